-- Periods with results in the snapshot: provider evaluation periods (as computed) and the
-- calendar months of the enterprise safety histories.
SELECT DISTINCT period, CASE WHEN period LIKE '%..%' THEN 'range' ELSE 'month' END AS kind,
       period_start, period_end, 'provider_rates' AS source
FROM mart.provider_rates
UNION ALL
SELECT DISTINCT period, 'month', month_start,
       CAST(month_start + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE), 'enterprise_safety'
FROM mart.enterprise_safety
ORDER BY source, period_start, period
