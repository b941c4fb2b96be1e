-- Beijing days in [$d0, $d1) with positions of registered vehicles (the days worth detecting).
SELECT DISTINCT core.local_day(device_time) AS day
FROM core.positions
WHERE vehicle_id IS NOT NULL
  AND device_time >= core.local_instant(CAST($d0 AS TIMESTAMP))
  AND device_time < core.local_instant(CAST($d1 AS TIMESTAMP))
ORDER BY day
