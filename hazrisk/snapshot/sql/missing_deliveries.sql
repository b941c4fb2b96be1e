-- Gateway x Beijing day of [$d0, $d1) with no dump file: the provider's gateway did not
-- deliver (every registered provider is expected every day).
WITH days AS (
    SELECT CAST(d AS DATE) AS source_date
    FROM generate_series(CAST($d0 AS DATE), CAST($d1 AS DATE) - INTERVAL 1 DAY,
                         INTERVAL 1 DAY) AS t(d)
),
expected AS (
    SELECT p.provider_id, p.name AS provider_name, days.source_date
    FROM (SELECT provider_id, any_value(name) AS name FROM mart.providers GROUP BY provider_id) p
    CROSS JOIN days
)
SELECT e.provider_id, e.provider_name, e.source_date
FROM expected e
LEFT JOIN mart.ingested_files f
       ON f.source_provider_id = e.provider_id AND f.source_date = e.source_date
WHERE f.file_id IS NULL
ORDER BY e.source_date, e.provider_id
