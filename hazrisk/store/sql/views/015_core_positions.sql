-- core.positions: one row per decoded position, deduplicated on (terminal_phone, device_time,
-- lat_deg, lon_deg), the first copy in ingest order kept (NULL times compare equal).
-- Key: pos_seq. Stored in store.positions; the flags below are derived, not stored, and
-- vehicle_id/enterprise_id/provider_id come from the row's store.assign_keys key, the phone
-- from its store.terminals key. Rows of
-- files not yet committed (being ingested, or left by a crash) are not shown.
CREATE OR REPLACE VIEW core.positions AS
SELECT
    p.pos_seq, t.terminal_phone, k.vehicle_id, k.enterprise_id, k.provider_id,
    f.source_provider_id,
    p.device_time, p.recv_time, p.lat_deg, p.lon_deg, p.altitude_m, p.speed_kmh,
    p.tacho_speed_kmh, p.heading_deg, p.mileage_km, p.fuel_l, p.rssi, p.gnss_count,
    p.alarm, p.status,
    (p.status & 1) <> 0 AS acc_on,
    (p.status & 2) <> 0 AS is_located,
    p.is_backfill, p.msg_id, p.serial, p.version, p.pos_index,
    -- the data-qualification checks stored at ingest (hazrisk.validity: bit layout CHECKS;
    -- bit 0 'unregistered' is the registry's and never stored)
    p.quality_flags, p.quality_flags = 0 AS quality_ok,
    (p.quality_flags & 2) <> 0 AS q_time_invalid,
    (p.quality_flags & 4) <> 0 AS q_time_after_receive,
    (p.quality_flags & 8) <> 0 AS q_longitude,
    (p.quality_flags & 16) <> 0 AS q_latitude,
    (p.quality_flags & 32) <> 0 AS q_gps_speed,
    (p.quality_flags & 64) <> 0 AS q_tacho_speed,
    (p.quality_flags & 128) <> 0 AS q_heading,
    (p.quality_flags & 256) <> 0 AS q_altitude,
    (p.quality_flags & 512) <> 0 AS q_status_reserved_bits,
    (p.quality_flags & 1024) <> 0 AS q_alarm_reserved_bits,
    p.source_file_id, p.source_offset
FROM store.positions p
JOIN meta.ingested_files f ON f.file_id = p.source_file_id  -- committed files only
JOIN store.terminals t ON t.term_key = p.term_key
LEFT JOIN store.assign_keys k ON k.assign_key = p.assign_key;
