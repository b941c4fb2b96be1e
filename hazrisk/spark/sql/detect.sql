-- Statements of hazrisk/spark/detect.py.

-- name: range_alarms
-- The terminal alarms of the range [$t0, $t1) (broadcast: the executors' power_pulls statement,
-- safety/sql/position_parts.sql, reads the vehicles with a power-down alarm from them).
SELECT * FROM core.alarms WHERE device_time >= $t0 AND device_time < $t1;
