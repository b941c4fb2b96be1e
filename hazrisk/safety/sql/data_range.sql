-- Beijing days with data: (first day, last day) among days holding at least $min_share of the
-- median day's positions (a stray fix with a broken clock does not stretch the range).
WITH d AS (
    SELECT core.local_day(device_time) AS day, count(*) AS n
    FROM core.positions
    WHERE vehicle_id IS NOT NULL AND device_time IS NOT NULL
    GROUP BY day
)
SELECT min(day) AS d0, max(day) AS d1
FROM d
WHERE n >= $min_share * (SELECT median(n) FROM d)
