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
