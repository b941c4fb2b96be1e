-- Statements of hazrisk/store/publish.py. Copying each mart relation into the snapshot is
-- composed in the module (the relation names, validated identifiers of the source catalog,
-- cannot be bound as parameters).

-- name: mart_relations
SELECT table_name FROM information_schema.tables
WHERE table_catalog = $catalog AND table_schema = 'mart' ORDER BY table_name;

-- name: attach_source
ATTACH $path AS src (READ_ONLY);

-- name: current_database
SELECT current_database();

-- name: create_mart
CREATE SCHEMA mart;

-- name: detach_source
DETACH src;
CHECKPOINT;
