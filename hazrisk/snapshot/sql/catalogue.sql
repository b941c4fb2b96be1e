-- The snapshot's own catalogue (hazrisk/snapshot/core.py).

-- name: published_tables
-- the tables of the attached snapshot's mart schema
SELECT table_name FROM duckdb_tables()
WHERE database_name = 'snap' AND schema_name = 'mart' ORDER BY table_name;

-- name: attach
ATTACH $path AS snap (READ_ONLY);

-- name: has_table
-- a mart view of the reading connection (one per published table)
SELECT count(*) FROM duckdb_views()
WHERE database_name = 'memory' AND schema_name = 'mart' AND view_name = $name;

-- name: info
SELECT published_at, source_db, tables_json FROM mart._published;
