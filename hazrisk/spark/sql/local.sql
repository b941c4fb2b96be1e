-- Statements of hazrisk/spark/local.py (the worker's local warehouse). Replacing a relation by
-- the Spark rows is composed there (catalog identifiers cannot be bound).

-- name: columns
SELECT column_name, data_type FROM duckdb_columns()
WHERE schema_name = $schema AND table_name = $name ORDER BY column_index;

-- name: relation_kind
SELECT table_type FROM information_schema.tables WHERE table_schema = $schema AND table_name = $name;

-- name: lossless_on
SET arrow_lossless_conversion = true;

-- name: lossless_off
SET arrow_lossless_conversion = false;
