-- Published safety relations (hazrisk publish copies every relation in mart). The terminal
-- number is a SIM/phone number: masked like every phone. A driver unmatched in the registry
-- is known by his qualification certificate number ('Q:…'): masked like an ID number.
CREATE OR REPLACE MACRO safety.public_driver_id(d) AS
    CASE WHEN d LIKE 'Q:%' THEN 'Q:' || mart.mask_id(substr(d, 3)) ELSE d END;
CREATE OR REPLACE VIEW mart.violations AS
SELECT violation_id, rule_id, rule_group, rule_name_zh, vehicle_id, enterprise_id, provider_id,
       mart.mask_phone(terminal_phone) AS terminal_phone,
       start_time, end_time, duration_s, day, lat_deg, lon_deg, end_lat_deg, end_lon_deg,
       distance_km, peak_speed_kmh, avg_speed_kmh, limit_kmh, over_ratio, severity,
       alarm_type, alarm_level, params_json, detail_json,
       reminded_at, reminder_source, time_to_reminder_s, continued_after_reminder,
       repeated_after_reminder, escalated_safety_dept_at, escalated_police_at, dismissed_at,
       handling_status, escalation_due, escalation_failure,
       safety.public_driver_id(driver_id) AS driver_id
FROM safety.violations;

CREATE OR REPLACE VIEW mart.enterprise_safety AS
SELECT m.*, e.name AS enterprise_name
FROM safety.enterprise_months m
LEFT JOIN (SELECT enterprise_id, any_value(name) AS name FROM core.enterprises GROUP BY ALL) e
  USING (enterprise_id);

CREATE OR REPLACE VIEW mart.enterprise_safety_rules AS
SELECT * FROM safety.enterprise_month_rules;

CREATE OR REPLACE VIEW mart.safety_vehicle_days AS
SELECT * FROM safety.vehicle_days;

-- Tampering evidence per vehicle and day (implementing opinion 三.1(5)); per enterprise:
-- mart.enterprise_safety.n_tampering.
CREATE OR REPLACE VIEW mart.tampering AS
SELECT t.*, e.name AS enterprise_name
FROM safety.tampering t
LEFT JOIN (SELECT enterprise_id, any_value(name) AS name FROM core.enterprises GROUP BY ALL) e
  USING (enterprise_id);

-- Per-driver safety history (masked for public views: name and ID-card number shape-kept).
CREATE OR REPLACE VIEW mart.driver_safety AS
SELECT safety.public_driver_id(m.driver_id) AS driver_id, mart.mask_name(d.name) AS driver_name, mart.mask_id(d.id_number) AS id_number,
       d.role, m.* EXCLUDE (driver_id)
FROM safety.driver_months m
LEFT JOIN (SELECT driver_id, any_value(name) AS name, any_value(id_number) AS id_number,
                  any_value(role) AS role FROM core.drivers GROUP BY ALL) d USING (driver_id);

-- The vehicle-month safety history (ids and figures only: no personal data) and where
-- detection and an imported archive disagree.
CREATE OR REPLACE VIEW mart.vehicle_months AS
SELECT * FROM safety.vehicle_months;

CREATE OR REPLACE VIEW mart.vehicle_month_differences AS
SELECT * FROM safety.vehicle_month_differences;

-- Rejected archive rows of `hazrisk history import` (without the raw row, as registry rejects).
CREATE OR REPLACE VIEW mart.history_rejects AS
SELECT source_file, row_no, column_name, reason, imported_at FROM quarantine.history_rejects;
