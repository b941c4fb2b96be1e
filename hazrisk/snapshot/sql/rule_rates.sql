-- Violations per 100 km by rule for Beijing days [$d0, $d1): each enterprise against its city
-- and the province (events of the region / km of the region over the same days).
WITH vd AS (
    SELECT enterprise_id, any_value(city) AS city, sum(km) AS km
    FROM safety.vehicle_days
    WHERE day >= $d0 AND day < $d1 AND enterprise_id IS NOT NULL
    GROUP BY enterprise_id
),
ev AS (
    SELECT enterprise_id, rule_id, any_value(rule_group) AS rule_group,
           any_value(rule_name_zh) AS rule_name_zh, count(*) AS n_events
    FROM safety.violations
    WHERE day >= $d0 AND day < $d1 AND enterprise_id IS NOT NULL
    GROUP BY enterprise_id, rule_id
),
rules AS (SELECT DISTINCT rule_id, rule_group, rule_name_zh FROM ev),
grid AS (
    SELECT vd.enterprise_id, vd.city, vd.km, rules.rule_id, rules.rule_group, rules.rule_name_zh,
           coalesce(ev.n_events, 0) AS n_events
    FROM vd CROSS JOIN rules
    LEFT JOIN ev ON ev.enterprise_id = vd.enterprise_id AND ev.rule_id = rules.rule_id
)
SELECT g.enterprise_id, e.name AS enterprise_name, g.city, g.rule_id, g.rule_group,
       g.rule_name_zh, g.n_events, g.km,
       g.n_events / nullif(g.km, 0) * 100 AS per_100km,
       sum(g.n_events) OVER city_rule / nullif(sum(g.km) OVER city_rule, 0) * 100
           AS city_per_100km,
       sum(g.n_events) OVER rule / nullif(sum(g.km) OVER rule, 0) * 100 AS province_per_100km
FROM grid g
LEFT JOIN core.enterprises e USING (enterprise_id)
WINDOW city_rule AS (PARTITION BY g.city, g.rule_id), rule AS (PARTITION BY g.rule_id)
ORDER BY g.rule_id, per_100km DESC NULLS LAST, g.enterprise_id
