-- Appending one staged chunk of positions (hazrisk/store/positions.py), in the caller's
-- transaction. Statements are named; parameters are bound ($name).

-- name: insert_positions
-- The staged rows marked to append (``_append``), in append order (store.positions columns, in
-- table order).
INSERT INTO store.positions (
    pos_seq,
    term_key,
    assign_key,
    device_time,
    recv_time,
    lat_deg,
    lon_deg,
    altitude_m,
    speed_kmh,
    tacho_speed_kmh,
    heading_deg,
    mileage_km,
    fuel_l,
    rssi,
    gnss_count,
    alarm,
    status,
    is_backfill,
    msg_id,
    serial,
    version,
    pos_index,
    quality_flags,
    source_file_id,
    source_offset)
SELECT
    s.pos_seq,
    s.term_key,
    s.assign_key,
    s.device_time,
    s.recv_time,
    s.lat_deg,
    s.lon_deg,
    s.altitude_m,
    s.speed_kmh,
    s.tacho_speed_kmh,
    s.heading_deg,
    s.mileage_km,
    s.fuel_l,
    s.rssi,
    s.gnss_count,
    s.alarm,
    s.status,
    s.is_backfill,
    s.msg_id,
    s.serial,
    s.version,
    s.pos_index,
    s.quality_flags,
    s.source_file_id,
    s.source_offset
FROM _staged_positions s
WHERE s._append;

-- name: kept_create
-- Staged rows carrying alarm bits or active-safety items -> the stored copy of their position
-- (themselves, or the earlier identical position that made them a duplicate): a duplicate's
-- alarms and events are not lost, they attach to the copy that was kept.
CREATE OR REPLACE TEMP TABLE _kept (
    staged_seq BIGINT, kept_seq BIGINT, alarm UINTEGER, source_file_id INTEGER,
    source_offset BIGINT);

-- name: kept_positions
-- Where the kept copies are: the stored positions and the file's rows held back to whole row
-- groups (_held_positions, hazrisk/store/row_groups.py), stored in a later transaction of the
-- same file but the kept copies all the same. Read by kept_timed, insert_alarms and
-- insert_safety_events (their pos_seq and time bounds reach both sides).
CREATE OR REPLACE TEMP VIEW _kept_positions AS
SELECT pos_seq, term_key, assign_key, device_time, lat_deg, lon_deg, speed_kmh, is_backfill
FROM store.positions
UNION ALL
SELECT pos_seq, term_key, assign_key, device_time, lat_deg, lon_deg, speed_kmh, is_backfill
FROM _held_positions WHERE _append;

-- name: kept_self
-- Rows appended now are their own kept copy.
INSERT INTO _kept
SELECT s.pos_seq, s.pos_seq, s.alarm, s.source_file_id, s.source_offset
FROM _kept_rows s;

-- name: kept_timed
-- The dropped duplicates (_dropped: staged rows with alarms/items not appended) find their
-- kept copy by their key (among the stored and held positions: kept_positions).
INSERT INTO _kept
SELECT s.pos_seq, p.pos_seq, s.alarm, s.source_file_id, s.source_offset
FROM _dropped s
JOIN _kept_positions p
  ON p.term_key = s.term_key AND p.device_time = s.device_time
 AND p.lat_deg = s.lat_deg AND p.lon_deg = s.lon_deg
 AND p.device_time BETWEEN $tmin AND $tmax
WHERE s.device_time BETWEEN $tmin AND $tmax;

-- name: kept_bounds
SELECT min(kept_seq), max(kept_seq) FROM _kept;

-- name: kept_drop
DROP TABLE _kept;

-- name: kept_positions_drop
DROP VIEW _kept_positions;

-- name: insert_self_alarms
-- Alarms of the rows appended now, from the chunk itself (they are new positions: nothing to
-- check against); inserted before the duplicates' (insert_alarms), so a bit set on a stored
-- row and on its dropped duplicates keeps the stored row's provenance.
INSERT INTO store.alarms
SELECT a.pos_seq, tk.terminal_phone, ak.vehicle_id, ak.enterprise_id, ak.provider_id,
       a.device_time, CAST(a.bit AS TINYINT), n.alarm_name, a.lat_deg, a.lon_deg, a.speed_kmh,
       a.is_backfill, a.source_file_id, a.source_offset
FROM _self_alarms a
JOIN store.terminals tk ON tk.term_key = a.term_key
LEFT JOIN store.assign_keys ak ON ak.assign_key = a.assign_key
JOIN _alarm_names n ON n.bit = a.bit
ORDER BY a.pos_seq, a.bit;

-- name: insert_alarms
-- One row per (kept position, set bit) over all its copies, first copy's provenance.
INSERT INTO store.alarms
SELECT p.pos_seq, tk.terminal_phone, ak.vehicle_id, ak.enterprise_id, ak.provider_id,
       p.device_time, CAST(a.bit AS TINYINT), n.alarm_name, p.lat_deg, p.lon_deg, p.speed_kmh,
       p.is_backfill, a.source_file_id, a.source_offset
FROM (
    SELECT k.kept_seq, b.bit, arg_min(k.source_file_id, k.staged_seq) AS source_file_id,
           arg_min(k.source_offset, k.staged_seq) AS source_offset
    FROM _kept k CROSS JOIN range(32) b(bit)
    WHERE k.alarm <> 0 AND (k.alarm >> CAST(b.bit AS UINTEGER)) & 1 = 1
      AND k.staged_seq <> k.kept_seq  -- dropped duplicates (rows stored now: _SELF_ALARMS)
    GROUP BY k.kept_seq, b.bit
) a
JOIN _kept_positions p ON p.pos_seq = a.kept_seq AND p.pos_seq BETWEEN $lo AND $hi
JOIN store.terminals tk ON tk.term_key = p.term_key
LEFT JOIN store.assign_keys ak ON ak.assign_key = p.assign_key
JOIN _alarm_names n ON n.bit = a.bit
WHERE NOT EXISTS (SELECT 1 FROM store.alarms x
                  WHERE x.pos_seq = a.kept_seq AND x.alarm_bit = a.bit)
ORDER BY p.pos_seq, a.bit;

-- name: insert_safety_events
-- One row per active-safety item, attached to the kept copy of its position; the same item
-- seen again (a duplicate frame) is stored once.
INSERT INTO store.safety_events
SELECT p.pos_seq, tk.terminal_phone, ak.vehicle_id, ak.enterprise_id,
       ak.provider_id, p.device_time, e.item_id, e.system, e.alarm_id, e.alarm_type, e.alarm_level,
       e.flag_status, e.event_time, p.lat_deg, p.lon_deg, p.speed_kmh,
       p.is_backfill, e.item_json, k.source_file_id, k.source_offset
FROM _events e
JOIN _kept k ON k.staged_seq = e.pos_seq
JOIN _kept_positions p ON p.pos_seq = k.kept_seq AND p.pos_seq BETWEEN $lo AND $hi
JOIN store.terminals tk ON tk.term_key = p.term_key
LEFT JOIN store.assign_keys ak ON ak.assign_key = p.assign_key
WHERE NOT EXISTS (
    SELECT 1 FROM store.safety_events x
    WHERE x.pos_seq = k.kept_seq AND x.item_id = e.item_id
      AND x.alarm_type IS NOT DISTINCT FROM e.alarm_type
      AND x.alarm_id IS NOT DISTINCT FROM e.alarm_id)
QUALIFY row_number() OVER (
    PARTITION BY k.kept_seq, e.item_id, e.alarm_type, e.alarm_id
    ORDER BY e.pos_seq) = 1
ORDER BY p.pos_seq, e.item_id;
