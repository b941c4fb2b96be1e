-- Each provider's latest evaluation of 轨迹完整率 (mileage form) and 数据合格率 starting no
-- later than $until (rates.provider_rates, written by `hazrisk rates`).
SELECT r.provider_id,
       arg_max(r.rate, p.period_start) FILTER (WHERE r.metric = 'trajectory_completeness_km')
           AS provider_completeness,
       arg_max(r.rate, p.period_start) FILTER (WHERE r.metric = 'data_qualification')
           AS provider_qualification
FROM rates.provider_rates r
JOIN rates.periods p USING (period)
WHERE p.period_start <= $until AND r.rate IS NOT NULL
GROUP BY r.provider_id
