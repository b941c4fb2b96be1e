-- Quarantine relations under the names the other areas read.
CREATE OR REPLACE VIEW core.frames_rejected AS SELECT * FROM quarantine.frames_rejected;
CREATE OR REPLACE VIEW core.garbage_spans AS SELECT * FROM quarantine.garbage_spans;

-- Terminals seen in the dumps with no registry match at the time of their data.
CREATE OR REPLACE VIEW core.unknown_terminals AS
SELECT terminal_phone, source_provider_id,
       count(*) AS positions, min(device_time) AS first_device_time,
       max(device_time) AS last_device_time,
       list(DISTINCT source_file_id ORDER BY source_file_id) AS source_file_ids
FROM core.positions
WHERE vehicle_id IS NULL
GROUP BY terminal_phone, source_provider_id;
