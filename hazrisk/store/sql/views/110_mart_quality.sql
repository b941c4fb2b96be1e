-- mart: data-quality relations for the evaluator's daily check (data_quality report, portal).
-- Personal data masked (terminal numbers are SIM numbers); registry rejects without the raw row.

-- Rejected frames per gateway (dump provider) x file date x reason (kept after retention).
CREATE OR REPLACE VIEW mart.quarantine_rejects AS
SELECT f.source_provider_id, f.source_date, r.reason, count(DISTINCT f.file_id) AS files,
       sum(r.n) AS frames
FROM meta.ingested_file_rejects r
JOIN meta.ingested_files f USING (file_id)
GROUP BY ALL;

-- Terminals seen in the dumps with no registry match at the time of their data.
CREATE OR REPLACE VIEW mart.unknown_terminals AS
SELECT mart.mask_phone(terminal_phone) AS terminal_phone, source_provider_id, positions,
       first_device_time, last_device_time,
       core.local_day(first_device_time) AS first_day,
       core.local_day(last_device_time) AS last_day
FROM core.unknown_terminals;

-- Registry rows rejected or with a value set to NULL (the row as read stays in the warehouse).
CREATE OR REPLACE VIEW mart.registry_rejects AS
SELECT i.kind, i.path, i.imported_at, r.row_number, r.action, r.column_name, r.error
FROM quarantine.registry_rejects r
JOIN meta.registry_imports i USING (import_id);

-- Files found but not taken by ingest or registry import, and failed ingest attempts.
CREATE OR REPLACE VIEW mart.files_left_alone AS
SELECT path, command, reason, first_seen, last_seen FROM meta.files_left_alone;

CREATE OR REPLACE VIEW mart.ingest_errors AS
SELECT path, sha256, error, failed_at FROM meta.ingest_errors;
