-- The $n worst vehicles of each (provider, metric) in $period, by the amount failing
-- (mart.rate_vehicle_failures); $failing_only keeps the metrics whose floor the provider failed.
WITH r AS (
    SELECT provider_id, metric,
           coalesce(floor IS NOT NULL AND rate IS NOT NULL
                    AND ((direction = 'higher' AND rate < floor)
                         OR (direction = 'lower' AND rate > floor)), false) AS floor_failed,
           rate
    FROM mart.provider_rates WHERE period = $period
),
f AS (
    SELECT f.*, r.rate AS provider_rate, r.floor_failed,
           row_number() OVER (PARTITION BY f.provider_id, f.metric
                              ORDER BY f.failing DESC, f.failing_share DESC, f.unit_id) AS pos
    FROM mart.rate_vehicle_failures f
    JOIN r USING (provider_id, metric)
    WHERE f.period = $period AND ($provider IS NULL OR f.provider_id = $provider)
      AND ($metric IS NULL OR f.metric = $metric)
      AND (NOT $failing_only OR r.floor_failed)
)
SELECT provider_id, metric, name_zh, unit, provider_rate, floor_failed, pos AS position,
       unit_id, vehicle_id, plate, failing, total, failing_share, checks
FROM f WHERE pos <= $n
ORDER BY provider_id, metric, pos
