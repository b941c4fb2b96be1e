-- Package-wide statements of hazrisk.sqlfiles: catalogue probes (has_relation, has_columns;
-- queries of DuckDB's catalogue never fail, so they are safe inside a transaction, where a
-- failed statement would abort it) and the session zone (set_timezone).

-- name: has_relation
SELECT (SELECT count(*) FROM duckdb_tables() WHERE schema_name = $schema AND table_name = $name)
     + (SELECT count(*) FROM duckdb_views() WHERE schema_name = $schema AND view_name = $name)
     > 0 AS present;

-- name: column_count
SELECT count(DISTINCT column_name) AS n FROM duckdb_columns()
WHERE schema_name = $schema AND table_name = $name AND list_contains($columns, column_name);

-- name: set_timezone
SET TimeZone = $timezone;
