-- ADAS (0x64) and DSM (0x65) alarms as events: one per (terminal, system, alarm id, type),
-- from the first to the last report; starting in [$t0, $t1). Rows without an alarm id are
-- events on their own (keyed by their position).
WITH e AS (
    SELECT
        s.vehicle_id, s.enterprise_id, s.provider_id, s.terminal_phone, s.system,
        s.alarm_type, s.alarm_level, s.pos_seq,
        coalesce(s.event_time, s.device_time) AS t,
        s.lat_deg, s.lon_deg, s.speed_kmh, s.is_backfill,
        coalesce(CAST(s.alarm_id AS VARCHAR), 'pos' || CAST(s.pos_seq AS VARCHAR)) AS akey
    FROM core.safety_events s
    WHERE s.system IN ('adas', 'dsm') AND s.vehicle_id IS NOT NULL
      AND coalesce(s.event_time, s.device_time) IS NOT NULL
      AND coalesce(s.event_time, s.device_time) >= $t0 - INTERVAL 1 DAY
      AND coalesce(s.event_time, s.device_time) < $t1 + INTERVAL 1 DAY
)
SELECT
    vehicle_id,
    arg_min(enterprise_id, (t, pos_seq)) AS enterprise_id,
    arg_min(provider_id, (t, pos_seq)) AS provider_id,
    terminal_phone, system, alarm_type,
    max(alarm_level) AS alarm_level,
    epoch_us(min(t)) AS start_us,
    epoch_us(max(t)) AS end_us,
    arg_min(lat_deg, (t, pos_seq)) AS lat_deg,
    arg_min(lon_deg, (t, pos_seq)) AS lon_deg,
    arg_max(lat_deg, (t, pos_seq)) AS end_lat_deg,
    arg_max(lon_deg, (t, pos_seq)) AS end_lon_deg,
    max(speed_kmh) AS peak_speed_kmh,
    avg(speed_kmh) AS avg_speed_kmh,
    count(*) AS reports,
    bool_or(is_backfill) AS any_backfill,
    min(akey) AS alarm_key
FROM e
GROUP BY vehicle_id, terminal_phone, system, alarm_type, akey
HAVING min(t) >= $t0 AND min(t) < $t1
ORDER BY vehicle_id, start_us
