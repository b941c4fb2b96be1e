-- Catalogue queries of hazrisk/store/mart_docs.py (the COMMENT ON statements themselves are
-- composed there: DuckDB binds no parameter in COMMENT).

-- name: current_database
SELECT current_database();

-- name: relations
-- the mart relations of a catalog, with the COMMENT ON keyword of each
SELECT table_name, 'TABLE' FROM duckdb_tables()
WHERE database_name = $catalog AND schema_name = 'mart'
UNION ALL
SELECT view_name, 'VIEW' FROM duckdb_views()
WHERE database_name = $catalog AND schema_name = 'mart';

-- name: columns
SELECT table_name, column_name FROM duckdb_columns()
WHERE database_name = $catalog AND schema_name = 'mart';

-- name: column_comments
SELECT table_name, column_name, comment FROM duckdb_columns()
WHERE database_name = $catalog AND schema_name = 'mart'
ORDER BY table_name, column_index;

-- name: relation_comments
SELECT table_name, comment FROM duckdb_tables()
WHERE database_name = $catalog AND schema_name = 'mart'
UNION ALL
SELECT view_name, comment FROM duckdb_views()
WHERE database_name = $catalog AND schema_name = 'mart';

-- name: column_types
SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
WHERE database_name = $catalog AND schema_name = 'mart'
ORDER BY table_name, column_index;
