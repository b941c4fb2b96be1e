-- Provider x metric for one period ($period label), with the floor verdict.
-- floor_failed: the rate is beyond the metric's floor (scores 0; rules.toml [rate_floors]).
SELECT period, period_start, period_end, provider_id, provider_name, metric, number, name_zh,
       name_en, unit, direction, numerator, denominator, rate, ci_low, ci_high, n_eff,
       floor, weight, score, national_weight, national_score,
       coalesce(floor IS NOT NULL AND rate IS NOT NULL
                AND ((direction = 'higher' AND rate < floor)
                     OR (direction = 'lower' AND rate > floor)), false) AS floor_failed
FROM mart.provider_rates
WHERE period = $period AND ($provider IS NULL OR provider_id = $provider)
ORDER BY provider_id, number, metric
