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
