-- Tampering evidence (implementing opinion 三.1(5): 不得破坏、屏蔽、篡改 the terminal) for the
-- Beijing days [$d0, $d1), per vehicle and day:
--   antenna_cut / antenna_short / power_down / gnss_fault: terminal alarm bits 5 / 6 / 8 / 4
--     (JT/T 808 table 24), first and last report, reports, reports while moving;
--   repeated_power_pulls: the main-power-down bit (8) switched on at least $pulls_min times
--     in a day while the vehicle moved (GNSS speed > $moving_kmh) at the switch: the rows of
--     position_parts.sql's power_pulls, registered as safety_stage_pulls.
INSERT INTO safety.tampering
WITH bits AS (
    SELECT a.vehicle_id, any_value(a.enterprise_id) AS enterprise_id,
           core.local_day(a.device_time) AS day,
           CASE a.alarm_bit WHEN 4 THEN 'gnss_fault' WHEN 5 THEN 'antenna_cut'
                            WHEN 6 THEN 'antenna_short' ELSE 'power_down' END AS kind,
           min(a.device_time) AS first_time, max(a.device_time) AS last_time,
           count(*) AS reports,
           count(*) FILTER (WHERE a.speed_kmh > $moving_kmh) AS moving_reports
    FROM core.alarms a
    WHERE a.alarm_bit IN (4, 5, 6, 8) AND a.vehicle_id IS NOT NULL
      AND a.device_time >= $t0 AND a.device_time < $t1
    GROUP BY ALL
),
pulls AS (SELECT * FROM safety_stage_pulls)  -- position_parts.sql: power_pulls
SELECT vehicle_id, enterprise_id, day, kind, first_time, last_time, reports, moving_reports
FROM bits
UNION ALL
SELECT vehicle_id, enterprise_id, day, kind, first_time, last_time, reports, moving_reports
FROM pulls
