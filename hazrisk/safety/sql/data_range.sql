-- The Beijing days with data, which `hazrisk detect` covers when no period is given: one rule
-- for both engines (hazrisk/safety/data_range.py). The counts come from the warehouse's
-- positions (DuckDB engine) or from the executors over the Parquet export (Spark engine).

-- name: day_counts
-- Positions of registered vehicles with a device time, per Beijing day. Over any slice of the
-- positions: the counts of slices add up.
SELECT core.local_day(device_time) AS day, count(*) AS n
FROM core.positions
WHERE vehicle_id IS NOT NULL AND device_time IS NOT NULL
GROUP BY day;

-- name: data_range
-- (first day, last day) among the days ($days, their counts $counts) holding at least
-- $min_share of the median day's positions (conf/rules.toml [safety] data_day_min_share: a
-- stray fix with a broken clock does not stretch the range); NULLs when there is no day.
WITH d AS (
    SELECT unnest(CAST($days AS DATE[])) AS day, unnest(CAST($counts AS BIGINT[])) AS n
)
SELECT min(day) AS d0, max(day) AS d1
FROM d
WHERE n >= $min_share * (SELECT median(n) FROM d);
