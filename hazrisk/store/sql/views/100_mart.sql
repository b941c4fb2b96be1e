-- mart: what `hazrisk publish` copies into the read-only snapshot. Personal data masked.
-- Other areas add their own mart.* views; publish copies every relation in schema mart.
CREATE OR REPLACE VIEW mart.enterprises AS
SELECT enterprise_id, name, city, license_no,
       mart.mask_name(safety_manager) AS safety_manager,
       mart.mask_phone(safety_manager_phone) AS safety_manager_phone
FROM core.enterprises;

CREATE OR REPLACE VIEW mart.providers AS
SELECT provider_id, name, platform_domain FROM core.providers;

CREATE OR REPLACE VIEW mart.device_makers AS SELECT maker_id, name FROM core.device_makers;

CREATE OR REPLACE VIEW mart.insurers AS SELECT insurer_id, name FROM core.insurers;

-- Which insurer insures which enterprise, per policy year (the portal's insurer scope). The
-- link and counts only: no premium, exposure or vehicle of a policy leaves the warehouse.
CREATE OR REPLACE VIEW mart.insured_enterprises AS
SELECT insurer_id, enterprise_id, year, count(*) AS policies,
       count(DISTINCT vehicle_id) AS vehicles, min(start_date) AS start_date,
       max(end_date) AS end_date
FROM core.policies
WHERE insurer_id IS NOT NULL AND enterprise_id IS NOT NULL AND year IS NOT NULL
GROUP BY insurer_id, enterprise_id, year;

CREATE OR REPLACE VIEW mart.vehicles AS
SELECT vehicle_id, mart.mask_phone(terminal_phone) AS terminal_phone, terminal_id, plate,
       plate_color, vin, enterprise_id,
       provider_id, vehicle_type, tonnage_t, hazmat_class, transport_permit_no,
       mart.mask_name(owner_name) AS owner_name,
       mart.mask_phone(operator_phone) AS operator_phone,
       maker_id, device_model, valid_from, valid_to, build_year
FROM core.vehicles;

CREATE OR REPLACE VIEW mart.drivers AS
SELECT driver_id, enterprise_id, vehicle_id, mart.mask_name(name) AS name,
       mart.mask_id(id_number) AS id_number, mart.mask_phone(phone) AS phone, role
FROM core.drivers;

CREATE OR REPLACE VIEW mart.ingested_files AS
SELECT f.file_id, f.path, f.sha256, f.size_bytes, f.format, f.source_provider_id,
       f.source_date, f.frames_ok, f.frames_rejected, f.garbage_bytes, f.positions,
       f.positions_stored, f.duplicates, f.unknown_terminals, f.finished_at, f.duration_s
FROM meta.ingested_files f;

-- Vehicle x Beijing day: volume and basic quality of the stored positions.
CREATE OR REPLACE VIEW mart.vehicle_days AS
SELECT vehicle_id, enterprise_id, provider_id,
       core.local_day(device_time) AS day,
       count(*) AS positions,
       count(*) FILTER (WHERE is_backfill) AS backfilled,
       count(*) FILTER (WHERE NOT quality_ok) AS flagged,
       min(device_time) AS first_device_time,
       max(device_time) AS last_device_time,
       max(speed_kmh) AS max_speed_kmh
FROM core.positions
WHERE vehicle_id IS NOT NULL AND device_time IS NOT NULL
GROUP BY ALL;

-- Gateway (dump provider) x day: frames, rejects, garbage, duplicates.
CREATE OR REPLACE VIEW mart.ingest_quality_days AS
SELECT source_provider_id, source_date,
       count(*) AS files, sum(frames_ok) AS frames_ok, sum(frames_rejected) AS frames_rejected,
       sum(garbage_bytes) AS garbage_bytes, sum(positions) AS positions,
       sum(duplicates) AS duplicates
FROM meta.ingested_files
GROUP BY ALL;
