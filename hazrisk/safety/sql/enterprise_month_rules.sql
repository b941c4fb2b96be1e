-- Enterprise x month x rule counts for the months [$m0, $m1) (after enterprise_months).
INSERT INTO safety.enterprise_month_rules
WITH v AS (
    SELECT *, CAST(date_trunc('month', day) AS DATE) AS month_start
    FROM safety.violations
    WHERE day >= $m0 AND day < $m1 AND enterprise_id IS NOT NULL
)
SELECT v.enterprise_id, strftime(v.month_start, '%Y-%m') AS period, v.rule_id,
       any_value(v.rule_group), count(*),
       count(*) / nullif(any_value(m.km), 0) * 100,
       sum(v.duration_s) / 60.0,
       count(*) FILTER (WHERE safety.handled(v.handling_status)),
       count(*) FILTER (WHERE v.reminded_at IS NOT NULL)
FROM v
LEFT JOIN safety.enterprise_months m
  ON m.enterprise_id = v.enterprise_id AND m.month_start = v.month_start
GROUP BY v.enterprise_id, v.month_start, v.rule_id
