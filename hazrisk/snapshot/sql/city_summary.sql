-- Per city for Beijing days [$d0, $d1): enterprises, vehicles, km, violations and their rate,
-- speeding events and fatigue minutes per online vehicle (the averages of the league table).
WITH vd AS (
    SELECT city, count(DISTINCT enterprise_id) AS enterprises,
           count(DISTINCT vehicle_id) AS vehicles,
           count(DISTINCT vehicle_id) FILTER (WHERE online) AS vehicles_online,
           sum(km) AS km, sum(fatigue_min) AS fatigue_min
    FROM safety.vehicle_days
    WHERE day >= $d0 AND day < $d1 AND enterprise_id IS NOT NULL
    GROUP BY city
),
ev AS (
    SELECT d.city, count(*) AS n_violations,
           count(*) FILTER (WHERE v.rule_id = 'speeding') AS n_speeding,
           count(*) FILTER (WHERE v.handling_status = 'unhandled') AS n_unhandled
    FROM safety.violations v
    JOIN (SELECT DISTINCT vehicle_id, day, city FROM safety.vehicle_days) d
      ON d.vehicle_id = v.vehicle_id AND d.day = v.day
    WHERE v.day >= $d0 AND v.day < $d1 AND v.enterprise_id IS NOT NULL
    GROUP BY d.city
)
SELECT vd.city, vd.enterprises, vd.vehicles, vd.vehicles_online, vd.km,
       coalesce(ev.n_violations, 0) AS n_violations,
       coalesce(ev.n_violations, 0) / nullif(vd.km, 0) * 100 AS violations_per_100km,
       coalesce(ev.n_speeding, 0) / nullif(vd.vehicles_online, 0) AS speeding_per_vehicle,
       vd.fatigue_min / nullif(vd.vehicles_online, 0) AS fatigue_min_per_vehicle,
       coalesce(ev.n_unhandled, 0) AS n_unhandled
FROM vd LEFT JOIN ev USING (city)
ORDER BY violations_per_100km DESC NULLS LAST, vd.city
