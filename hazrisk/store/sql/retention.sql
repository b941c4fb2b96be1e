-- Statements of hazrisk/store/retention.py. The per-table counts and deletes are composed in
-- the module from its fixed whitelist of tables and time expressions (identifiers and
-- expressions cannot be bound as parameters).

-- name: cutoff
-- Beijing midnight of $as_of - $months months
SELECT core.local_instant(CAST($as_of AS TIMESTAMP) - to_months($months));

-- name: table_columns
SELECT column_name FROM information_schema.columns
WHERE table_schema = $schema AND table_name = $table;

-- name: insert_run
INSERT INTO meta.retention_runs VALUES ($at, $as_of, $table, $horizon, $cutoff, $rows, false);
