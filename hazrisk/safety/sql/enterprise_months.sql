-- Enterprise x month histories for the months [$m0, $m1) (first days of months), from
-- safety.vehicle_days and safety.violations, with the regional comparison of the national
-- enterprise table (平均车辆超速次数, 平均疲劳驾驶时长 vs the city and province averages;
-- averages pooled: total events / total online vehicles of the region). Count columns per rule
-- group: generated from the rule registry (hazrisk/safety/rule_counts.py).
INSERT INTO safety.enterprise_months BY NAME
WITH vd AS (
    SELECT *, CAST(date_trunc('month', day) AS DATE) AS month_start
    FROM safety.vehicle_days
    WHERE day >= $m0 AND day < $m1 AND enterprise_id IS NOT NULL
),
base AS (
    SELECT enterprise_id, month_start,
           strftime(month_start, '%Y-%m') AS period,
           any_value(city) AS city,
           count(DISTINCT day) AS days_covered,
           count(DISTINCT vehicle_id) AS vehicles,
           count(DISTINCT vehicle_id) FILTER (WHERE online) AS vehicles_online,
           count(*) AS vehicle_days,
           sum(km) AS km, sum(driving_h) AS driving_h,
           CASE WHEN sum(km) > 0 THEN sum(night_km) / sum(km) END AS night_km_share,
           CASE WHEN sum(driving_h) > 0 THEN sum(night_h) / sum(driving_h) END AS night_h_share,
           sum(fatigue_min) AS fatigue_min, sum(night_ban_min) AS night_ban_min,
           sum(offline_min) / (count(*) * 1440.0) AS offline_share,
           CASE WHEN sum(positions) > 0 THEN sum(positions_qualified) / sum(positions) END
               AS data_quality_rate,
           sum(coalesce(road_unknown_fixes, 0)) AS road_unknown_fixes,
           sum(coalesce(n_tampering, 0)) AS n_tampering
    FROM vd GROUP BY enterprise_id, month_start
),
vio AS (
    SELECT enterprise_id, CAST(date_trunc('month', day) AS DATE) AS month_start,
           /*@rule_counts:group_filters*/,
           count(*) AS n_violations,
           count(*) FILTER (WHERE safety.handled(handling_status)) AS n_handled,
           count(*) FILTER (WHERE reminded_at IS NOT NULL) AS n_reminded,
           median(time_to_reminder_s) AS median_time_to_reminder_s,
           avg(CASE WHEN continued_after_reminder OR repeated_after_reminder THEN 1.0 ELSE 0.0 END)
               FILTER (WHERE reminded_at IS NOT NULL) AS continued_after_reminder_rate,
           count(*) FILTER (WHERE escalated_safety_dept_at IS NOT NULL) AS n_escalated_safety_dept,
           count(*) FILTER (WHERE escalated_police_at IS NOT NULL) AS n_escalated_police,
           count(*) FILTER (WHERE handling_status = 'unhandled') AS n_unhandled,
           count(*) FILTER (WHERE handling_status = 'dismissed') AS n_dismissed,
           count(*) FILTER (WHERE escalation_due) AS n_escalation_due,
           count(*) FILTER (WHERE escalation_failure) AS n_escalation_failures
    FROM safety.violations
    WHERE day >= $m0 AND day < $m1 AND enterprise_id IS NOT NULL
    GROUP BY ALL
),
j AS (
    SELECT b.*,
           /*@rule_counts:group_coalesced*/,
           coalesce(v.n_violations, 0) AS n_violations,
           coalesce(v.n_handled, 0) AS n_handled, coalesce(v.n_reminded, 0) AS n_reminded,
           v.median_time_to_reminder_s, v.continued_after_reminder_rate,
           coalesce(v.n_escalated_safety_dept, 0) AS n_escalated_safety_dept,
           coalesce(v.n_escalated_police, 0) AS n_escalated_police,
           coalesce(v.n_unhandled, 0) AS n_unhandled,
           coalesce(v.n_dismissed, 0) AS n_dismissed,
           coalesce(v.n_escalation_due, 0) AS n_escalation_due,
           coalesce(v.n_escalation_failures, 0) AS n_escalation_failures
    FROM base b LEFT JOIN vio v USING (enterprise_id, month_start)
),
reg AS (
    SELECT *,
           CASE WHEN vehicles_online > 0 THEN n_speeding / vehicles_online END AS e_speed,
           CASE WHEN vehicles_online > 0 THEN fatigue_min / vehicles_online END AS e_fat,
           sum(n_speeding) OVER city / nullif(sum(vehicles_online) OVER city, 0) AS a_speed_city,
           sum(n_speeding) OVER prov / nullif(sum(vehicles_online) OVER prov, 0) AS a_speed_prov,
           sum(fatigue_min) OVER city / nullif(sum(vehicles_online) OVER city, 0) AS a_fat_city,
           sum(fatigue_min) OVER prov / nullif(sum(vehicles_online) OVER prov, 0) AS a_fat_prov
    FROM j
    WINDOW city AS (PARTITION BY month_start, city), prov AS (PARTITION BY month_start)
)
SELECT enterprise_id, period, month_start, city, days_covered, vehicles, vehicles_online,
       vehicle_days, km, driving_h, night_km_share, night_h_share, fatigue_min, night_ban_min,
       offline_share, data_quality_rate,
       /*@rule_counts:group_names*/, n_violations,
       CASE WHEN km > 0 THEN n_speeding / km * 100 END AS speeding_per_100km,
       CASE WHEN km > 0 THEN n_fatigue / km * 100 END AS fatigue_per_100km,
       CASE WHEN km > 0 THEN n_night_ban / km * 100 END AS night_ban_per_100km,
       CASE WHEN km > 0 THEN n_off_route / km * 100 END AS off_route_per_100km,
       CASE WHEN km > 0 THEN n_offline_displacement / km * 100 END AS offline_per_100km,
       CASE WHEN km > 0 THEN n_adas / km * 100 END AS adas_per_100km,
       CASE WHEN km > 0 THEN n_dsm / km * 100 END AS dsm_per_100km,
       n_handled, CASE WHEN n_violations > 0 THEN n_handled / n_violations END AS handling_rate,
       n_reminded, CASE WHEN n_violations > 0 THEN n_reminded / n_violations END AS reminder_rate,
       median_time_to_reminder_s, continued_after_reminder_rate,
       n_escalated_safety_dept, n_escalated_police, n_unhandled,
       e_speed AS speeding_per_vehicle, e_fat AS fatigue_min_per_vehicle,
       a_speed_city AS city_speeding_avg, a_speed_prov AS province_speeding_avg,
       a_fat_city AS city_fatigue_avg, a_fat_prov AS province_fatigue_avg,
       safety.regional_score(e_speed, a_speed_city) AS speeding_score_city,
       safety.regional_score(e_speed, a_speed_prov) AS speeding_score_province,
       safety.regional_score(e_fat, a_fat_city) AS fatigue_score_city,
       safety.regional_score(e_fat, a_fat_prov) AS fatigue_score_province,
       $now AS computed_at,
       n_dismissed, n_escalation_due, n_escalation_failures,
       CASE WHEN n_escalation_due > 0 THEN 1 - n_escalation_failures / n_escalation_due END
           AS escalation_compliance,
       n_tampering, road_unknown_fixes
FROM reg
