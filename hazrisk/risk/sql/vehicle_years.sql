-- Telematics safety history per vehicle x calendar year, from safety.vehicle_months
-- (detected months and imported archives alike). Sums of counts and km; shares weighted by
-- registered days; the time to reminder is the mean of monthly medians weighted by reminders.
-- The provider of a vehicle-year is the one with the most km.
SELECT
    vehicle_id,
    CAST(year(month) AS INTEGER)                          AS feature_year,
    count(*)                                              AS months_observed,
    sum(days_registered)                                  AS days_registered,
    sum(days_online)                                      AS days_online,
    sum(km)                                               AS km,
    sum(driving_h)                                        AS driving_h,
    sum(night_km)                                         AS night_km,
    sum(offline_share * days_registered) / nullif(sum(days_registered), 0) AS offline_share,
    sum(positions)                                        AS positions,
    sum(positions_qualified)                              AS positions_qualified,
    sum(n_speeding)                                       AS n_speeding,
    sum(n_fatigue)                                        AS n_fatigue,
    sum(n_night_ban)                                      AS n_night_ban,
    sum(n_off_route)                                      AS n_off_route,
    sum(n_adas) + sum(n_dsm)                              AS n_adas_dsm,
    sum(n_violations)                                     AS n_violations,
    sum(n_reminded)                                       AS n_reminded,
    sum(n_escalated)                                      AS n_escalated,
    sum(median_time_to_reminder_s * n_reminded)
        / nullif(sum(n_reminded) FILTER (WHERE median_time_to_reminder_s IS NOT NULL), 0)
                                                          AS time_to_reminder_s,
    arg_max(provider_id, km)                              AS provider_id,
    bool_or(source = 'archive')                           AS has_archive,
    bool_or(source = 'detected')                          AS has_detected
FROM safety.vehicle_months
GROUP BY ALL
