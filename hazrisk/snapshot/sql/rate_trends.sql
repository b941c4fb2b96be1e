-- Rates of the last $n periods of the same kind ending at $period (months: calendar months;
-- ranges: every computed range ending no later), oldest first.
WITH chosen AS (
    SELECT DISTINCT period, period_start FROM mart.provider_rates
    WHERE period_start <= $d0
      AND (CASE WHEN $period LIKE '%..%' THEN period LIKE '%..%' ELSE period NOT LIKE '%..%' END)
    ORDER BY period_start DESC
    LIMIT $n
)
SELECT r.period, r.period_start, r.provider_id, r.provider_name, r.metric, r.number, r.name_zh,
       r.rate, r.ci_low, r.ci_high, r.score, k.score AS composite_score, k.rank
FROM mart.provider_rates r
JOIN chosen USING (period)
LEFT JOIN mart.provider_ranking k ON k.period = r.period AND k.provider_id = r.provider_id
WHERE $provider IS NULL OR r.provider_id = $provider
ORDER BY r.period_start, r.provider_id, r.number, r.metric
