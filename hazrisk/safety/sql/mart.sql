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
COMMENT ON VIEW mart.tampering IS '破坏、屏蔽、篡改终端的证据（天线剪断/短路、主电源掉电、GNSS故障、行驶中反复断电）/ tampering evidence per vehicle and day';
COMMENT ON COLUMN mart.tampering.vehicle_id IS '车辆编号 / vehicle id';
COMMENT ON COLUMN mart.tampering.enterprise_id IS '企业编号 / enterprise id';
COMMENT ON COLUMN mart.tampering.enterprise_name IS '企业名称 / enterprise name';
COMMENT ON COLUMN mart.tampering.day IS '日期（北京时间）/ Beijing day';
COMMENT ON COLUMN mart.tampering.kind IS '类型 antenna_cut 天线剪断, antenna_short 天线短路, power_down 主电源掉电, gnss_fault GNSS故障, repeated_power_pulls 行驶中反复断电 / kind';
COMMENT ON COLUMN mart.tampering.first_time IS '首次 / first report';
COMMENT ON COLUMN mart.tampering.last_time IS '末次 / last report';
COMMENT ON COLUMN mart.tampering.reports IS '次数（反复断电：断电次数）/ reports (pulls: power-down switches)';
COMMENT ON COLUMN mart.tampering.moving_reports IS '行驶中次数 / of them while moving';
COMMENT ON VIEW mart.driver_safety IS '驾驶员安全档案（按月，姓名和证件号已脱敏）/ per-driver safety history by month, masked';
COMMENT ON COLUMN mart.driver_safety.driver_id IS '驾驶员编号（未登记者为从业资格证号，已脱敏）/ driver id (unregistered: masked certificate number)';
COMMENT ON COLUMN mart.driver_safety.driver_name IS '姓名（脱敏）/ name, masked';
COMMENT ON COLUMN mart.driver_safety.id_number IS '身份证号（脱敏）/ ID number, masked';
COMMENT ON COLUMN mart.driver_safety.role IS '岗位 driver 驾驶员 / escort 押运员 / role';
COMMENT ON COLUMN mart.driver_safety.period IS '月份 / month';
COMMENT ON COLUMN mart.driver_safety.enterprise_id IS '企业编号 / enterprise id';
COMMENT ON COLUMN mart.driver_safety.n_violations IS '违规次数 / violations';
COMMENT ON COLUMN mart.driver_safety.n_speeding IS '超速次数 / speeding events';
COMMENT ON COLUMN mart.driver_safety.n_fatigue IS '疲劳驾驶次数 / fatigue events';
COMMENT ON COLUMN mart.driver_safety.n_night_ban IS '夜间禁行违规次数 / night-ban events';
COMMENT ON COLUMN mart.driver_safety.n_active_safety IS '主动安全报警次数（ADAS/DSM）/ active-safety alarms';
COMMENT ON COLUMN mart.driver_safety.n_handled IS '已处置（提醒或上报）/ handled (reminded or escalated)';
COMMENT ON COLUMN mart.driver_safety.n_continued_after_reminder IS '提醒后继续 / went on after the reminder';
COMMENT ON COLUMN mart.driver_safety.n_escalation_failures IS '应上报未上报 / escalation failures';
COMMENT ON COLUMN mart.violations.escalation_due IS '提醒无效、应逐级上报 / escalation due (went on after the reminder)';
COMMENT ON COLUMN mart.violations.escalation_failure IS '应上报而未上报（三.3(1)）/ never escalated although due';
COMMENT ON COLUMN mart.violations.driver_id IS '当班驾驶员（0x0702 插卡）/ driver on duty (0x0702 sign-in)';

-- The vehicle-month safety history (ids and figures only: no personal data) and where
-- detection and an imported archive disagree.
CREATE OR REPLACE VIEW mart.vehicle_months AS
SELECT * FROM safety.vehicle_months;

CREATE OR REPLACE VIEW mart.vehicle_month_differences AS
SELECT * FROM safety.vehicle_month_differences;

-- Rejected archive rows of `hazrisk history import` (without the raw row, as registry rejects).
CREATE OR REPLACE VIEW mart.history_rejects AS
SELECT source_file, row_no, column_name, reason, imported_at FROM quarantine.history_rejects;
