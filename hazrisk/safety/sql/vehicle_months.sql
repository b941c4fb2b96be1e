-- Detected vehicle-months for the months [$m0, $m1) (first days of months) that have positions
-- (temp table safety_months_with_positions): sums of
-- safety.vehicle_days over the month, handling figures from safety.violations (a median of
-- daily medians is not a median). Enterprise and provider: those of the month's last day.
INSERT INTO safety.vehicle_months BY NAME
WITH vd AS (
    SELECT *, CAST(date_trunc('month', day) AS DATE) AS month
    FROM safety.vehicle_days
    WHERE day >= $m0 AND day < $m1
      AND CAST(date_trunc('month', day) AS DATE) IN (SELECT month FROM safety_months_with_positions)
),
base AS (
    SELECT vehicle_id, month,
           arg_max(enterprise_id, day) AS enterprise_id,
           arg_max(provider_id, day) AS provider_id,
           count(*) AS days_covered,
           count(*) FILTER (WHERE registered) AS days_registered,
           count(*) FILTER (WHERE online) AS days_online,
           sum(km) AS km, sum(driving_h) AS driving_h, sum(night_km) AS night_km,
           sum(night_h) AS night_h, sum(fatigue_min) AS fatigue_min,
           sum(night_ban_min) AS night_ban_min, sum(offline_min) AS offline_min,
           sum(positions) AS positions, sum(positions_qualified) AS positions_qualified,
           sum(drift_points) AS drift_points,
           /*@rule_counts:group_sums_from_days*/,
           sum(n_violations) AS n_violations
    FROM vd GROUP BY vehicle_id, month
),
handling AS (
    SELECT vehicle_id, CAST(date_trunc('month', day) AS DATE) AS month,
           count(*) FILTER (WHERE reminded_at IS NOT NULL) AS n_reminded,
           count(*) FILTER (WHERE safety.handled(handling_status)) AS n_handled,
           count(*) FILTER (WHERE escalated_safety_dept_at IS NOT NULL
                              OR escalated_police_at IS NOT NULL) AS n_escalated,
           median(time_to_reminder_s) AS median_time_to_reminder_s
    FROM safety.violations
    WHERE day >= $m0 AND day < $m1
    GROUP BY ALL
)
SELECT b.vehicle_id, b.month, b.enterprise_id, b.provider_id, 'detected' AS source,
       NULL AS source_file, b.days_covered, b.days_registered, b.days_online,
       b.km, b.driving_h, b.night_km, b.night_h,
       CASE WHEN b.km > 0 THEN b.night_km / b.km END AS night_km_share,
       b.fatigue_min, b.night_ban_min, b.offline_min,
       b.offline_min / (b.days_covered * 1440.0) AS offline_share,
       b.positions, b.positions_qualified, b.drift_points,
       CASE WHEN b.positions > 0 THEN b.positions_qualified / b.positions END AS data_quality_rate,
       /*@rule_counts:group_names*/, b.n_violations,
       coalesce(h.n_reminded, 0) AS n_reminded, coalesce(h.n_handled, 0) AS n_handled,
       coalesce(h.n_escalated, 0) AS n_escalated,
       h.median_time_to_reminder_s, $now AS computed_at
FROM base b LEFT JOIN handling h USING (vehicle_id, month)
