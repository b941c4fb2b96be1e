-- Statements of hazrisk/store/connect.py: schema bookkeeping and recovery of unfinished
-- ingests (the DDL itself is sql/schema/NNN_*.sql and sql/views/NNN_*.sql).

-- name: applied_versions
SELECT version FROM meta.schema_migrations;

-- name: record_migration
INSERT INTO meta.schema_migrations (version, name, sha256) VALUES ($version, $name, $sha256);

-- name: unfinished_ingests
SELECT file_id FROM meta.ingest_in_progress ORDER BY file_id;

-- name: forget_unfinished
DELETE FROM meta.ingest_in_progress WHERE file_id = $file_id;

-- Every stored row of one file ($f: an unfinished or failed ingest) removed, one statement
-- per physical telematics table of connect.STORE_TABLES (identifiers cannot be bound;
-- tests/store/test_store_statements.py checks every table has its statement).

-- name: forget_file_positions
DELETE FROM store.positions WHERE source_file_id = $f;

-- name: forget_file_alarms
DELETE FROM store.alarms WHERE source_file_id = $f;

-- name: forget_file_safety_events
DELETE FROM store.safety_events WHERE source_file_id = $f;

-- name: forget_file_heartbeats
DELETE FROM store.heartbeats WHERE source_file_id = $f;

-- name: forget_file_registrations
DELETE FROM store.registrations WHERE source_file_id = $f;

-- name: forget_file_authentications
DELETE FROM store.authentications WHERE source_file_id = $f;

-- name: forget_file_param_answers
DELETE FROM store.param_answers WHERE source_file_id = $f;

-- name: forget_file_text_messages
DELETE FROM store.text_messages WHERE source_file_id = $f;

-- name: forget_file_multimedia
DELETE FROM store.multimedia WHERE source_file_id = $f;

-- name: forget_file_raw_messages
DELETE FROM store.raw_messages WHERE source_file_id = $f;

-- name: forget_file_frames_rejected
DELETE FROM store.frames_rejected WHERE source_file_id = $f;

-- name: forget_file_garbage_spans
DELETE FROM store.garbage_spans WHERE source_file_id = $f;
