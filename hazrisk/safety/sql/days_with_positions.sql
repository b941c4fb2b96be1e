-- Does the Beijing day [$d0, $d1) have positions of registered vehicles (a day worth
-- detecting)? EXISTS stops at the first one: no scan of the day, no per-row time zone.
SELECT EXISTS (
    SELECT 1 FROM core.positions
    WHERE vehicle_id IS NOT NULL
      AND device_time >= core.local_instant(CAST($d0 AS TIMESTAMP))
      AND device_time < core.local_instant(CAST($d1 AS TIMESTAMP))
) AS has_positions
