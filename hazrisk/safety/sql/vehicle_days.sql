-- Vehicle x Beijing day histories for days in [$d0, $d1): registered vehicle-days (core.vehicles
-- validity), plus any vehicle-day with positions or trajectory metrics. The trajectory metrics
-- come from the detectors (registered Python frame safety_stage_tracks), the position counts
-- from position_parts.sql (safety_stage_positions). The per-rule counts are
-- generated from the rule registry (hazrisk/safety/rule_counts.py expands the markers).
INSERT INTO safety.vehicle_days BY NAME
WITH reg AS (
    SELECT v.vehicle_id, CAST(d.day AS DATE) AS day,
           arg_max(v.enterprise_id, coalesce(v.valid_from, DATE '1900-01-01')) AS enterprise_id,
           arg_max(v.provider_id, coalesce(v.valid_from, DATE '1900-01-01')) AS provider_id
    FROM core.vehicles v,
         unnest(generate_series(CAST(greatest(coalesce(v.valid_from, $d0), $d0) AS TIMESTAMP),
                                CAST(least(coalesce(v.valid_to, $d1 - 1), $d1 - 1) AS TIMESTAMP),
                                INTERVAL 1 DAY)) AS d(day)
    WHERE v.vehicle_id IS NOT NULL
    GROUP BY ALL
),
pos AS (SELECT * FROM safety_stage_positions),  -- position_parts.sql: vehicle_day_positions
trk AS (SELECT * FROM safety_stage_tracks),
tam AS (
    SELECT vehicle_id, day, count(*) AS n_tampering FROM safety.tampering
    WHERE day >= $d0 AND day < $d1 GROUP BY ALL
),
vio AS (
    SELECT vehicle_id, day,
           /*@rule_counts:rule_filters*/,
           count(*) AS n_violations,
           count(*) FILTER (WHERE safety.handled(handling_status)) AS n_handled,
           count(*) FILTER (WHERE reminded_at IS NOT NULL) AS n_reminded,
           median(time_to_reminder_s) AS median_time_to_reminder_s,
           coalesce(sum(duration_s) FILTER (WHERE rule_id = 'night_ban'), 0) / 60.0 AS night_ban_min,
           count(*) FILTER (WHERE escalation_failure) AS n_escalation_failures
    FROM safety.violations
    WHERE day >= $d0 AND day < $d1
    GROUP BY ALL
),
keys AS (
    SELECT vehicle_id, day FROM reg
    UNION SELECT vehicle_id, day FROM pos
    UNION SELECT vehicle_id, day FROM trk
    UNION SELECT vehicle_id, day FROM vio
    UNION SELECT vehicle_id, day FROM tam
),
j AS (
    SELECT k.vehicle_id, k.day,
           coalesce(trk.enterprise_id, pos.enterprise_id, reg.enterprise_id) AS enterprise_id,
           coalesce(trk.provider_id, pos.provider_id, reg.provider_id) AS provider_id,
           reg.vehicle_id IS NOT NULL AS registered,
           coalesce(trk.online, false) AS online,
           coalesce(pos.positions, 0) AS positions,
           greatest(coalesce(pos.positions_ok, 0) - coalesce(trk.drift_points, 0), 0)
               AS positions_qualified,
           coalesce(trk.drift_points, 0) AS drift_points,
           coalesce(trk.km, 0.0) AS km,
           coalesce(trk.driving_s, 0.0) / 3600.0 AS driving_h,
           coalesce(trk.night_km, 0.0) AS night_km,
           coalesce(trk.night_s, 0.0) / 3600.0 AS night_h,
           coalesce(trk.fatigue_s, 0.0) / 60.0 AS fatigue_min,
           coalesce(vio.night_ban_min, 0.0) AS night_ban_min,
           1440.0 - least(coalesce(trk.covered_s, 0.0) / 60.0, 1440.0) AS offline_min,
           coalesce(trk.road_unknown_fixes, 0) AS road_unknown_fixes,
           coalesce(tam.n_tampering, 0) AS n_tampering,
           vio.* EXCLUDE (vehicle_id, day, night_ban_min)
    FROM keys k
    LEFT JOIN reg USING (vehicle_id, day)
    LEFT JOIN pos USING (vehicle_id, day)
    LEFT JOIN trk USING (vehicle_id, day)
    LEFT JOIN vio USING (vehicle_id, day)
    LEFT JOIN tam USING (vehicle_id, day)
)
SELECT vehicle_id, day, j.enterprise_id, provider_id, e.city, registered, online, positions,
       positions_qualified, drift_points,
       CASE WHEN positions > 0 THEN positions_qualified / positions END AS data_quality_rate,
       km, driving_h, night_km, night_h,
       CASE WHEN km > 0 THEN night_km / km END AS night_km_share,
       CASE WHEN driving_h > 0 THEN night_h / driving_h END AS night_h_share,
       fatigue_min, night_ban_min, offline_min, offline_min / 1440.0 AS offline_share,
       /*@rule_counts:rule_coalesced*/,
       coalesce(n_violations, 0) AS n_violations, coalesce(n_handled, 0) AS n_handled,
       coalesce(n_reminded, 0) AS n_reminded,
       median_time_to_reminder_s,
       CASE WHEN km > 0 THEN coalesce(n_speeding, 0) / km * 100 END AS speeding_per_100km,
       CASE WHEN km > 0 THEN (coalesce(n_fatigue_continuous, 0) + coalesce(n_fatigue_night, 0)
                              + coalesce(n_fatigue_daily, 0)) / km * 100 END AS fatigue_per_100km,
       CASE WHEN km > 0 THEN coalesce(n_adas, 0) / km * 100 END AS adas_per_100km,
       CASE WHEN km > 0 THEN coalesce(n_dsm, 0) / km * 100 END AS dsm_per_100km,
       $now AS computed_at,
       road_unknown_fixes, coalesce(n_escalation_failures, 0) AS n_escalation_failures,
       n_tampering
FROM j
LEFT JOIN (SELECT enterprise_id, any_value(city) AS city FROM core.enterprises GROUP BY ALL) e
  ON e.enterprise_id = j.enterprise_id
