-- Statements of hazrisk/store/registry_import.py.

-- name: last_import
SELECT sha256, rows_ok FROM meta.registry_imports WHERE kind = $kind
ORDER BY import_id DESC LIMIT 1;

-- name: next_import_id
SELECT coalesce(max(import_id), 0) + 1 FROM meta.registry_imports;

-- name: delete_rejects
DELETE FROM quarantine.registry_rejects WHERE kind = $kind;

-- name: insert_rejects
INSERT INTO quarantine.registry_rejects
SELECT import_id, kind, path, row_number, action, column_name, error, row_json
FROM _registry_rejects;

-- name: insert_import
INSERT INTO meta.registry_imports VALUES ($id, $kind, $path, $sha256, $ok, $bad, now());

-- Replacing one registry file's rows: the rows of its kind deleted, the staged rows
-- (_registry_staged, columns by name) inserted ($kind: the fence kind of a GeoJSON file). One
-- pair per file kind of registry_specs.SPECS (identifiers cannot be bound;
-- tests/store/test_store_statements.py checks every kind has its pair, naming its table).

-- name: clear_enterprises
DELETE FROM core.enterprises;

-- name: insert_enterprises
INSERT INTO core.enterprises BY NAME SELECT * FROM _registry_staged;

-- name: clear_providers
DELETE FROM core.providers;

-- name: insert_providers
INSERT INTO core.providers BY NAME SELECT * FROM _registry_staged;

-- name: clear_device_makers
DELETE FROM core.device_makers;

-- name: insert_device_makers
INSERT INTO core.device_makers BY NAME SELECT * FROM _registry_staged;

-- name: clear_insurers
DELETE FROM core.insurers;

-- name: insert_insurers
INSERT INTO core.insurers BY NAME SELECT * FROM _registry_staged;

-- name: clear_vehicles
DELETE FROM core.vehicles;

-- name: insert_vehicles
INSERT INTO core.vehicles BY NAME SELECT * FROM _registry_staged;

-- name: clear_drivers
DELETE FROM core.drivers;

-- name: insert_drivers
INSERT INTO core.drivers BY NAME SELECT * FROM _registry_staged;

-- name: clear_images
DELETE FROM core.images;

-- name: insert_images
INSERT INTO core.images BY NAME SELECT * FROM _registry_staged;

-- name: clear_phone_verifications
DELETE FROM core.phone_verifications;

-- name: insert_phone_verifications
INSERT INTO core.phone_verifications BY NAME SELECT * FROM _registry_staged;

-- name: clear_handling_log
DELETE FROM core.handling_log;

-- name: insert_handling_log
INSERT INTO core.handling_log BY NAME SELECT * FROM _registry_staged;

-- name: clear_fault_tickets
DELETE FROM core.fault_tickets;

-- name: insert_fault_tickets
INSERT INTO core.fault_tickets BY NAME SELECT * FROM _registry_staged;

-- name: clear_policies
DELETE FROM core.policies;

-- name: insert_policies
INSERT INTO core.policies BY NAME SELECT * FROM _registry_staged;

-- name: clear_claims
DELETE FROM core.claims;

-- name: insert_claims
INSERT INTO core.claims BY NAME SELECT * FROM _registry_staged;

-- name: clear_routes
DELETE FROM core.fences WHERE kind = $kind;

-- name: insert_routes
INSERT INTO core.fences BY NAME SELECT * FROM _registry_staged;

-- name: clear_areas
DELETE FROM core.fences WHERE kind = $kind;

-- name: insert_areas
INSERT INTO core.fences BY NAME SELECT * FROM _registry_staged;

-- name: clear_roads
DELETE FROM core.roads;

-- name: insert_roads
INSERT INTO core.roads BY NAME SELECT * FROM _registry_staged;
