-- Enterprise league table for Beijing days [$d0, $d1) from safety.vehicle_days and
-- safety.violations ($enterprise NULL = all), with the national scoring against the city and
-- province averages (pooled: events / online vehicles of the region over the same days). Count
-- columns per rule group: generated from the rule registry (hazrisk/safety/rule_counts.py).
WITH vd AS (
    SELECT * FROM safety.vehicle_days
    WHERE day >= $d0 AND day < $d1 AND enterprise_id IS NOT NULL
),
base AS (
    SELECT enterprise_id, any_value(city) AS city,
           count(DISTINCT day) AS days_covered,
           count(DISTINCT vehicle_id) AS vehicles,
           count(DISTINCT vehicle_id) FILTER (WHERE online) AS vehicles_online,
           sum(km) AS km, sum(driving_h) AS driving_h,
           CASE WHEN sum(km) > 0 THEN sum(night_km) / sum(km) END AS night_km_share,
           CASE WHEN sum(driving_h) > 0 THEN sum(night_h) / sum(driving_h) END AS night_h_share,
           sum(fatigue_min) AS fatigue_min, sum(night_ban_min) AS night_ban_min,
           sum(offline_min) / (count(*) * 1440.0) AS offline_share,
           CASE WHEN sum(positions) > 0 THEN sum(positions_qualified) / sum(positions) END
               AS data_quality_rate
    FROM vd GROUP BY enterprise_id
),
vio AS (
    SELECT enterprise_id,
           count(*) AS n_violations,
           /*@rule_counts:group_filters*/,
           count(*) FILTER (WHERE safety.handled(handling_status)) AS n_handled,
           count(*) FILTER (WHERE reminded_at IS NOT NULL) AS n_reminded,
           median(time_to_reminder_s) AS median_time_to_reminder_s,
           count(*) FILTER (WHERE escalated_safety_dept_at IS NOT NULL) AS n_escalated_safety_dept,
           count(*) FILTER (WHERE escalated_police_at IS NOT NULL) AS n_escalated_police
    FROM safety.violations
    WHERE day >= $d0 AND day < $d1 AND enterprise_id IS NOT NULL
    GROUP BY enterprise_id
),
by_rule AS (
    SELECT enterprise_id, CAST(to_json(map_from_entries(list((rule_id, n) ORDER BY rule_id)))
                               AS VARCHAR) AS counts_by_rule_json
    FROM (SELECT enterprise_id, rule_id, count(*) AS n FROM safety.violations
          WHERE day >= $d0 AND day < $d1 AND enterprise_id IS NOT NULL GROUP BY ALL)
    GROUP BY enterprise_id
),
j AS (
    SELECT b.*, coalesce(v.n_violations, 0) AS n_violations,
           /*@rule_counts:group_coalesced*/,
           coalesce(v.n_handled, 0) AS n_handled, coalesce(v.n_reminded, 0) AS n_reminded,
           v.median_time_to_reminder_s,
           coalesce(v.n_escalated_safety_dept, 0) AS n_escalated_safety_dept,
           coalesce(v.n_escalated_police, 0) AS n_escalated_police,
           coalesce(r.counts_by_rule_json, '{}') AS counts_by_rule_json
    FROM base b LEFT JOIN vio v USING (enterprise_id) LEFT JOIN by_rule r USING (enterprise_id)
),
sc AS (
    SELECT *,
           CASE WHEN vehicles_online > 0 THEN n_speeding / vehicles_online END AS speeding_per_vehicle,
           CASE WHEN vehicles_online > 0 THEN fatigue_min / vehicles_online END AS fatigue_min_per_vehicle,
           sum(n_speeding) OVER city / nullif(sum(vehicles_online) OVER city, 0) AS city_speeding_avg,
           sum(n_speeding) OVER () / nullif(sum(vehicles_online) OVER (), 0) AS province_speeding_avg,
           sum(fatigue_min) OVER city / nullif(sum(vehicles_online) OVER city, 0) AS city_fatigue_avg,
           sum(fatigue_min) OVER () / nullif(sum(vehicles_online) OVER (), 0) AS province_fatigue_avg
    FROM j
    WINDOW city AS (PARTITION BY city)
)
SELECT sc.enterprise_id, e.name AS enterprise_name, sc.city, days_covered, vehicles,
       vehicles_online, round(km, 1) AS km, round(driving_h, 1) AS driving_h,
       n_violations, /*@rule_counts:group_names*/,
       CASE WHEN km > 0 THEN round(n_violations / km * 100, 3) END AS violations_per_100km,
       CASE WHEN km > 0 THEN round(n_speeding / km * 100, 3) END AS speeding_per_100km,
       CASE WHEN km > 0 THEN round(n_fatigue / km * 100, 3) END AS fatigue_per_100km,
       round(fatigue_min, 1) AS fatigue_min, round(night_ban_min, 1) AS night_ban_min,
       round(night_km_share, 4) AS night_km_share, round(night_h_share, 4) AS night_h_share,
       round(offline_share, 4) AS offline_share, round(data_quality_rate, 4) AS data_quality_rate,
       CASE WHEN n_violations > 0 THEN round(n_handled / n_violations, 4) END AS handling_rate,
       CASE WHEN n_violations > 0 THEN round(n_reminded / n_violations, 4) END AS reminder_rate,
       median_time_to_reminder_s, n_escalated_safety_dept, n_escalated_police,
       round(speeding_per_vehicle, 4) AS speeding_per_vehicle,
       round(fatigue_min_per_vehicle, 2) AS fatigue_min_per_vehicle,
       round(city_speeding_avg, 4) AS city_speeding_avg,
       round(province_speeding_avg, 4) AS province_speeding_avg,
       round(safety.regional_score(speeding_per_vehicle, city_speeding_avg), 2) AS speeding_score_city,
       round(safety.regional_score(speeding_per_vehicle, province_speeding_avg), 2) AS speeding_score_province,
       round(safety.regional_score(fatigue_min_per_vehicle, city_fatigue_avg), 2) AS fatigue_score_city,
       round(safety.regional_score(fatigue_min_per_vehicle, province_fatigue_avg), 2) AS fatigue_score_province,
       counts_by_rule_json
FROM sc
LEFT JOIN (SELECT enterprise_id, any_value(name) AS name FROM core.enterprises GROUP BY ALL) e
  USING (enterprise_id)
WHERE $enterprise IS NULL OR sc.enterprise_id = $enterprise
ORDER BY coalesce(speeding_score_province, 0) + coalesce(fatigue_score_province, 0) DESC,
         violations_per_100km NULLS LAST, sc.enterprise_id
