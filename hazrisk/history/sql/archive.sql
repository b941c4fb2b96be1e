-- Statements of hazrisk/history/archive.py (`hazrisk history import`). The tables are created
-- by the safety schema (hazrisk/safety/sql/schema_months.sql).

-- name: already_imported
SELECT count(*) FROM safety.history_imports WHERE file_sha256 = $sha256;

-- name: insert_reject
INSERT INTO quarantine.history_rejects VALUES ($sha256, $file, $row, $col, $reason, $raw, $now);

-- name: insert_import
INSERT INTO safety.history_imports
VALUES ($sha256, $file, $path, $encoding, $read, $ok, $bad, $now, $version);

-- name: stage_rows
-- the staged frame: source_row and the README's columns (by name)
INSERT INTO safety.vehicle_month_archive BY NAME
SELECT $sha256 AS file_sha256, $file AS source_file, source_row AS row_no, $now AS imported_at,
       * EXCLUDE (source_row)
FROM _history_staged;

-- name: archive_rows_used
SELECT count(*) FROM safety.vehicle_months v
JOIN safety.vehicle_month_archive_latest a USING (vehicle_id, month)
WHERE v.source = 'archive' AND a.file_sha256 = $sha256;

-- name: differences
SELECT * FROM safety.vehicle_month_differences WHERE file_sha256 = $sha256;
