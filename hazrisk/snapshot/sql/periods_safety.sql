-- Calendar months of the enterprise safety histories.
SELECT DISTINCT period, 'month' AS kind, CAST(month_start AS DATE) AS period_start,
       CAST(month_start + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS period_end,
       'enterprise_safety' AS source
FROM mart.enterprise_safety
