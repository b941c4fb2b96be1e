-- What the vehicle-days (vehicle_days.sql) and the tampering evidence (tampering.sql) of the
-- Beijing days [$t0, $t1) take from the positions, per vehicle and day: run on the warehouse
-- by `hazrisk detect` (hazrisk.safety.tables.position_parts) and per group of whole vehicles
-- on Spark executors (hazrisk.spark.detect), whose rows add up (every vehicle in one group).
-- Their rows are read back as safety_stage_positions / safety_stage_pulls.

-- name: vehicle_day_positions
-- Per registered vehicle and day: positions, those passing the data-qualification checks,
-- and the enterprise / provider of the day's last fix.
SELECT vehicle_id,
       core.local_day(device_time) AS day,
       arg_max(enterprise_id, device_time) AS enterprise_id,
       arg_max(provider_id, device_time) AS provider_id,
       count(*) AS positions,
       count(*) FILTER (WHERE quality_ok) AS positions_ok
FROM core.positions
WHERE vehicle_id IS NOT NULL AND device_time >= $t0 AND device_time < $t1
GROUP BY ALL;

-- name: power_pulls
-- repeated_power_pulls: the main-power-down bit (8) switched on at least $pulls_min times in a
-- day while the vehicle moved (GNSS speed > $moving_kmh) at the switch; along the records of
-- the vehicles with a power-down alarm in the range (core.alarms), with a day of context.
WITH seq AS (
    SELECT p.vehicle_id, p.enterprise_id, p.device_time, p.speed_kmh,
           (p.alarm & 256) <> 0 AS down,
           lag((p.alarm & 256) <> 0) OVER (PARTITION BY p.vehicle_id
                                          ORDER BY p.device_time, p.pos_seq) AS was_down
    FROM core.positions p
    WHERE p.vehicle_id IN (SELECT vehicle_id FROM core.alarms
                           WHERE alarm_bit = 8 AND vehicle_id IS NOT NULL
                             AND device_time >= $t0 AND device_time < $t1)
      AND p.device_time >= $t0 - INTERVAL 1 DAY AND p.device_time < $t1
)
SELECT vehicle_id, any_value(enterprise_id) AS enterprise_id,
       core.local_day(device_time) AS day,
       'repeated_power_pulls' AS kind, min(device_time) AS first_time,
       max(device_time) AS last_time, count(*) AS reports, count(*) AS moving_reports
FROM seq
WHERE down AND NOT coalesce(was_down, false) AND speed_kmh > $moving_kmh
  AND device_time >= $t0
GROUP BY vehicle_id, core.local_day(device_time)
HAVING count(*) >= $pulls_min;
