-- The stored data-qualification flags and the [validity] rules they were computed under
-- (hazrisk/store/validity_flags.py). Statements are named; parameters are bound ($name).

-- name: remember_rules
INSERT INTO meta.validity_rules VALUES ($sha, $bounds, current_timestamp)
ON CONFLICT DO NOTHING;

-- name: record_file
INSERT OR REPLACE INTO meta.file_validity VALUES ($f, $sha, current_timestamp);

-- name: other_files
-- Committed files whose flags were computed under other rules (or before they were
-- recorded), with those rules; only files with positions stored here count (file_has_positions:
-- a Spark results warehouse holds the export's file list but no positions). Usually none: no
-- position is read then.
SELECT f.file_id, f.path, v.validity_sha256, r.bounds_json
FROM meta.ingested_files f
LEFT JOIN meta.file_validity v USING (file_id)
LEFT JOIN meta.validity_rules r USING (validity_sha256)
WHERE v.validity_sha256 IS DISTINCT FROM $sha
ORDER BY f.file_id;

-- name: file_has_positions
SELECT EXISTS (SELECT 1 FROM store.positions WHERE source_file_id = $f) AS has;

-- name: file_inputs
-- One file's stored positions, the columns hazrisk.validity.check_bits reads.
SELECT pos_seq, quality_flags, device_time, recv_time, lat_deg, lon_deg, speed_kmh,
       tacho_speed_kmh, heading_deg, altitude_m, status, alarm, version
FROM store.positions WHERE source_file_id = $f;

-- name: update_flags
-- _validity_flags: (pos_seq, bits) of the rows whose flags change.
UPDATE store.positions p SET quality_flags = n.bits
FROM _validity_flags n WHERE p.pos_seq = n.pos_seq;
