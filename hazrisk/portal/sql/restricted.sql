-- The restricted publication beside a snapshot, read by hazrisk/portal/personal.py.

-- name: attach
ATTACH $path AS personal (READ_ONLY);

-- name: is_restricted
-- written by hazrisk publish: it carries restricted._published
SELECT count(*) FROM duckdb_tables()
WHERE database_name = 'personal' AND schema_name = 'restricted' AND table_name = '_published';
