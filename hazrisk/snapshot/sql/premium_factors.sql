-- Enterprise premium-adjustment factors of one priced year with their parts (published by
-- the risk models as mart.premium_factors); $model NULL = every model.
SELECT f.enterprise_id, e.name AS enterprise_name, e.city, f.year, f.factor, f.claims_record,
       f.behaviour, f.management, f.data_quality, f.raw_factor, f.trusted,
       f.balance_constant, f.model, f.computed_at
FROM mart.premium_factors f
LEFT JOIN core.enterprises e USING (enterprise_id)
WHERE f.level = 'enterprise' AND f.year = $year AND ($model IS NULL OR f.model = $model)
ORDER BY f.factor DESC, f.enterprise_id
