-- Statements of hazrisk/spark/detect.py.

-- name: power_down_alarms
-- The rows of core.alarms that the executors' power_pulls statement (safety/sql/position_parts.sql)
-- reads: power-down alarms (bit 8) of the range [$t0, $t1), the columns it reads (broadcast).
SELECT vehicle_id, alarm_bit, device_time FROM core.alarms
WHERE alarm_bit = 8 AND device_time >= $t0 AND device_time < $t1;
