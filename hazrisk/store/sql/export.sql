-- Catalogue query of hazrisk/store/export.py (the COPY statements are composed there over its
-- whitelist of tables and masked column lists: identifiers cannot be bound).

-- name: columns
SELECT column_name FROM duckdb_columns() WHERE schema_name = $schema AND table_name = $table
ORDER BY column_index;
