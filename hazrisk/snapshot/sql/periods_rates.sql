-- Provider evaluation periods as computed (`hazrisk rates --period ...`).
SELECT DISTINCT period, CASE WHEN period LIKE '%..%' THEN 'range' ELSE 'month' END AS kind,
       period_start, period_end, 'provider_rates' AS source
FROM mart.provider_rates
