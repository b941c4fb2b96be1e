-- Enterprises an insurer's premium factors name (mart.premium_factors with insurer_id).
SELECT DISTINCT enterprise_id FROM mart.premium_factors
WHERE insurer_id = $insurer AND enterprise_id IS NOT NULL
ORDER BY enterprise_id;
