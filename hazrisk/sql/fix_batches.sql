-- hazrisk/fix_batches.py: where whole-vehicle batches spill. Statements are named.

-- name: spill_folder
-- The database file (NULL: in memory) and DuckDB's temp_directory (where it spills its sorts).
SELECT path, current_setting('temp_directory') AS temp_directory
FROM duckdb_databases()
WHERE database_name = current_database();
