-- Statements of hazrisk/store/registry_import.py (the registry tables themselves are written
-- by the module: their names come from the static specs, identifiers cannot be bound).

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
