-- Beijing days in [$d0, $d1) with positions of registered vehicles (the days worth detecting).
SELECT DISTINCT CAST(timezone('Asia/Shanghai', device_time) AS DATE) AS day
FROM core.positions
WHERE vehicle_id IS NOT NULL
  AND device_time >= timezone('Asia/Shanghai', CAST($d0 AS TIMESTAMP))
  AND device_time < timezone('Asia/Shanghai', CAST($d1 AS TIMESTAMP))
ORDER BY day
