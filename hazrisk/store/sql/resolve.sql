-- Statements of hazrisk/store/resolve.py that need no composed identifiers.

-- name: term_keys
SELECT t.terminal_phone, t.term_key FROM store.terminals t
SEMI JOIN _phones p USING (terminal_phone);

-- name: resolved_count
SELECT count(*) FROM _resolved;

-- name: update_position_keys
UPDATE store.positions t SET assign_key = r.assign_key FROM _resolved r
WHERE t.pos_seq = r.pos_seq;

-- name: drop_resolved
DROP TABLE _resolved;

-- name: resolve_positions
-- every stored position whose assignment key changes; a position without a GNSS or receive
-- time stands at the noon (Beijing) of its dump's day
CREATE OR REPLACE TEMP TABLE _resolved AS
WITH p AS (
    SELECT p.pos_seq, tk.terminal_phone, p.assign_key,
           coalesce(p.device_time, p.recv_time,
                    core.local_instant(CAST(f.source_date AS TIMESTAMP) + INTERVAL 12 HOUR)) AS t
    FROM store.positions p
    LEFT JOIN store.terminals tk ON tk.term_key = p.term_key
    LEFT JOIN meta.ingested_files f ON f.file_id = p.source_file_id
)
SELECT p.pos_seq, a.assign_key, a.vehicle_id, a.enterprise_id, a.provider_id
FROM p
LEFT JOIN store.keyed_assignments a
  ON a.terminal_key = core.terminal_key(p.terminal_phone)
 AND p.t >= a.valid_from_ts AND p.t < a.valid_to_ts
WHERE p.assign_key IS DISTINCT FROM a.assign_key;

-- name: assignments
-- the assignments as epoch microseconds (open ends as the extreme BIGINTs), for Assigner
SELECT terminal_key, coalesce(epoch_us(valid_from_ts), -4611686018427387904),
       coalesce(epoch_us(valid_to_ts), 4611686018427387904), assign_key
FROM store.keyed_assignments
ORDER BY terminal_key, valid_from_ts;
