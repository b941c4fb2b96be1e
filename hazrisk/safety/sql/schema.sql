-- The safety area's tables (idempotent DDL; applied by hazrisk.safety.tables.ensure_schema).
-- Times are TIMESTAMPTZ instants; days are Beijing days. Kept >= 3 years ([retention]
-- violation_years): the warehouse's retention treats safety.violations as a violation record
-- (by end_time).
CREATE SCHEMA IF NOT EXISTS safety;

-- One row per detected violation event, with its evidence and its handling.
CREATE TABLE IF NOT EXISTS safety.violations (
    violation_id        VARCHAR NOT NULL,     -- md5(rule_id | vehicle_id | start_time µs)
    rule_id             VARCHAR NOT NULL,     -- speeding, fatigue_continuous, ..., dsm_phone
    rule_group          VARCHAR NOT NULL,     -- speeding/fatigue/night_ban/route/offline/terminal/adas/dsm
    rule_name_zh        VARCHAR,
    vehicle_id          VARCHAR NOT NULL,
    enterprise_id       VARCHAR,
    provider_id         VARCHAR,
    terminal_phone      VARCHAR,
    start_time          TIMESTAMPTZ NOT NULL,
    end_time            TIMESTAMPTZ NOT NULL,
    duration_s          DOUBLE NOT NULL,
    day                 DATE NOT NULL,        -- Beijing day of start_time (the event's period)
    lat_deg             DOUBLE,               -- where it started
    lon_deg             DOUBLE,
    end_lat_deg         DOUBLE,
    end_lon_deg         DOUBLE,
    distance_km         DOUBLE,
    peak_speed_kmh      DOUBLE,
    avg_speed_kmh       DOUBLE,
    limit_kmh           DOUBLE,               -- speeding: the limit at the peak excess
    over_ratio          DOUBLE,               -- speeding: peak speed / limit - 1
    severity            VARCHAR,              -- speeding: minor/moderate/major/serious
    alarm_type          INTEGER,              -- ADAS/DSM type code
    alarm_level         INTEGER,              -- ADAS/DSM level (1/2)
    params_json         VARCHAR NOT NULL,     -- the thresholds used (conf/rules.toml values)
    detail_json         VARCHAR,              -- rule-specific evidence
    -- handling (0x8300 reminders in the dumps, core.handling_log)
    reminded_at         TIMESTAMPTZ,
    reminder_source     VARCHAR,              -- '0x8300' / 'handling_log'
    reminder_text       VARCHAR,
    time_to_reminder_s  DOUBLE,
    continued_after_reminder BOOLEAN,         -- still going at the reminder
    repeated_after_reminder  BOOLEAN,         -- same rule again within repeat_window_s after it
    escalated_safety_dept_at TIMESTAMPTZ,
    escalated_police_at TIMESTAMPTZ,
    dismissed_at        TIMESTAMPTZ,
    handling_status     VARCHAR,              -- unhandled/reminded/escalated_safety_dept/escalated_police/dismissed
    detected_at         TIMESTAMPTZ NOT NULL,
    hazrisk_version     VARCHAR
);

-- Vehicle x Beijing day safety history (registered or reporting vehicles).
CREATE TABLE IF NOT EXISTS safety.vehicle_days (
    vehicle_id          VARCHAR NOT NULL,
    day                 DATE NOT NULL,
    enterprise_id       VARCHAR,
    provider_id         VARCHAR,
    city                VARCHAR,
    registered          BOOLEAN NOT NULL,     -- a core.vehicles registration covers the day
    online              BOOLEAN NOT NULL,     -- at least one usable fix that day
    positions           BIGINT NOT NULL,      -- stored positions (all)
    positions_qualified BIGINT NOT NULL,      -- quality_ok and not drift
    drift_points        BIGINT NOT NULL,
    data_quality_rate   DOUBLE,               -- positions_qualified / positions
    km                  DOUBLE NOT NULL,
    driving_h           DOUBLE NOT NULL,
    night_km            DOUBLE NOT NULL,      -- 22:00-06:00 ([fatigue] night window)
    night_h             DOUBLE NOT NULL,
    night_km_share      DOUBLE,
    night_h_share       DOUBLE,
    fatigue_min         DOUBLE NOT NULL,      -- driving beyond 4 h (day) / 2 h (night) since a rest
    night_ban_min       DOUBLE NOT NULL,
    offline_min         DOUBLE NOT NULL,      -- minutes not covered by fixes < 30 min apart
    offline_share       DOUBLE NOT NULL,
    n_speeding          INTEGER NOT NULL,
    n_fatigue_continuous INTEGER NOT NULL,
    n_fatigue_night     INTEGER NOT NULL,
    n_fatigue_daily     INTEGER NOT NULL,
    n_night_ban         INTEGER NOT NULL,
    n_off_route         INTEGER NOT NULL,
    n_offline_displacement INTEGER NOT NULL,
    n_faulty_terminal_dispatch INTEGER NOT NULL,
    n_adas              INTEGER NOT NULL,
    n_dsm               INTEGER NOT NULL,
    n_violations        INTEGER NOT NULL,
    n_handled           INTEGER NOT NULL,
    n_reminded          INTEGER NOT NULL,
    median_time_to_reminder_s DOUBLE,
    speeding_per_100km  DOUBLE,
    fatigue_per_100km   DOUBLE,
    adas_per_100km      DOUBLE,
    dsm_per_100km       DOUBLE,
    computed_at         TIMESTAMPTZ NOT NULL
);

-- Enterprise x calendar month (Beijing) safety history, with the regional comparison.
CREATE TABLE IF NOT EXISTS safety.enterprise_months (
    enterprise_id       VARCHAR NOT NULL,
    period              VARCHAR NOT NULL,     -- 'YYYY-MM'
    month_start         DATE NOT NULL,
    city                VARCHAR,
    days_covered        INTEGER NOT NULL,     -- days of the month with a computed history
    vehicles            INTEGER NOT NULL,     -- vehicles with a vehicle-day in the month
    vehicles_online     INTEGER NOT NULL,
    vehicle_days        INTEGER NOT NULL,
    km                  DOUBLE NOT NULL,
    driving_h           DOUBLE NOT NULL,
    night_km_share      DOUBLE,
    night_h_share       DOUBLE,
    fatigue_min         DOUBLE NOT NULL,
    night_ban_min       DOUBLE NOT NULL,
    offline_share       DOUBLE,
    data_quality_rate   DOUBLE,
    n_speeding          INTEGER NOT NULL,
    n_fatigue           INTEGER NOT NULL,     -- continuous + night + daily
    n_night_ban         INTEGER NOT NULL,
    n_off_route         INTEGER NOT NULL,
    n_offline_displacement INTEGER NOT NULL,
    n_faulty_terminal_dispatch INTEGER NOT NULL,
    n_adas              INTEGER NOT NULL,
    n_dsm               INTEGER NOT NULL,
    n_violations        INTEGER NOT NULL,
    speeding_per_100km  DOUBLE,
    fatigue_per_100km   DOUBLE,
    night_ban_per_100km DOUBLE,
    off_route_per_100km DOUBLE,
    offline_per_100km   DOUBLE,
    adas_per_100km      DOUBLE,
    dsm_per_100km       DOUBLE,
    n_handled           INTEGER NOT NULL,
    handling_rate       DOUBLE,
    n_reminded          INTEGER NOT NULL,
    reminder_rate       DOUBLE,
    median_time_to_reminder_s DOUBLE,
    continued_after_reminder_rate DOUBLE,
    n_escalated_safety_dept INTEGER NOT NULL,
    n_escalated_police  INTEGER NOT NULL,
    n_unhandled         INTEGER NOT NULL,
    -- national enterprise table: 平均车辆超速次数 / 平均疲劳驾驶时长 vs the regional average A
    speeding_per_vehicle DOUBLE,              -- e: speeding events / online vehicles
    fatigue_min_per_vehicle DOUBLE,           -- e: fatigue minutes / online vehicles
    city_speeding_avg   DOUBLE,               -- A over the enterprise's city (pooled)
    province_speeding_avg DOUBLE,             -- A over all enterprises
    city_fatigue_avg    DOUBLE,
    province_fatigue_avg DOUBLE,
    speeding_score_city DOUBLE,               -- 0..20
    speeding_score_province DOUBLE,
    fatigue_score_city  DOUBLE,
    fatigue_score_province DOUBLE,
    computed_at         TIMESTAMPTZ NOT NULL
);

-- Enterprise x month x rule (every rule id, ADAS/DSM types included): counts by rule.
CREATE TABLE IF NOT EXISTS safety.enterprise_month_rules (
    enterprise_id       VARCHAR NOT NULL,
    period              VARCHAR NOT NULL,
    rule_id             VARCHAR NOT NULL,
    rule_group          VARCHAR NOT NULL,
    n_events            INTEGER NOT NULL,
    events_per_100km    DOUBLE,
    duration_min        DOUBLE NOT NULL,
    n_handled           INTEGER NOT NULL,
    n_reminded          INTEGER NOT NULL
);

-- Bookkeeping: one row per detected range of days [start_day, end_day): what was (re)derived,
-- when, from how many fixes (context included), with which rule parameters. One invocation can
-- detect several ranges (hazrisk daily: the day before and the day as one range, plus the days
-- around a late file's days); its rows share run_id, and command names it ('detect', 'daily').
-- Rows written before these two columns existed have them NULL.
CREATE TABLE IF NOT EXISTS safety.runs (
    run_at              TIMESTAMPTZ NOT NULL,
    start_day           DATE NOT NULL,
    end_day             DATE NOT NULL,        -- exclusive
    vehicles            INTEGER NOT NULL,
    positions           BIGINT NOT NULL,
    violations          BIGINT NOT NULL,
    duration_s          DOUBLE NOT NULL,
    params_json         VARCHAR NOT NULL,
    hazrisk_version     VARCHAR
);

-- The scoring macro safety.regional_score lives in macros.sql (also used by readers of the
-- published snapshot, hazrisk.snapshot).

-- Added by issue 13 (ALTER so old warehouses gain them in the same column order).
-- Handling: a violation is handled only when reminded or escalated ('dismissed' is not
-- handling). Escalation (implementing opinion 三.3(1): remind -> enterprise safety department
-- -> police): due when the behaviour went on after the reminder (continued or repeated);
-- a failure when due and never escalated.
ALTER TABLE safety.violations ADD COLUMN IF NOT EXISTS escalation_due BOOLEAN;
ALTER TABLE safety.violations ADD COLUMN IF NOT EXISTS escalation_failure BOOLEAN;
ALTER TABLE safety.violations ADD COLUMN IF NOT EXISTS driver_id VARCHAR;  -- on duty (0x0702)
-- road_unknown_fixes: fixes above the other-road limit with no mapped road within the
-- map-match tolerance, judged against the expressway limit only ([safety] unmatched_road).
ALTER TABLE safety.vehicle_days ADD COLUMN IF NOT EXISTS road_unknown_fixes BIGINT;
ALTER TABLE safety.runs ADD COLUMN IF NOT EXISTS run_id VARCHAR;   -- one invocation's ranges
ALTER TABLE safety.runs ADD COLUMN IF NOT EXISTS command VARCHAR;  -- 'detect', 'daily'
ALTER TABLE safety.vehicle_days ADD COLUMN IF NOT EXISTS n_escalation_failures INTEGER;
ALTER TABLE safety.vehicle_days ADD COLUMN IF NOT EXISTS n_tampering INTEGER;
ALTER TABLE safety.enterprise_months ADD COLUMN IF NOT EXISTS n_dismissed INTEGER;
ALTER TABLE safety.enterprise_months ADD COLUMN IF NOT EXISTS n_escalation_due INTEGER;
ALTER TABLE safety.enterprise_months ADD COLUMN IF NOT EXISTS n_escalation_failures INTEGER;
ALTER TABLE safety.enterprise_months ADD COLUMN IF NOT EXISTS escalation_compliance DOUBLE; -- 1 - failures / due
ALTER TABLE safety.enterprise_months ADD COLUMN IF NOT EXISTS n_tampering INTEGER;
ALTER TABLE safety.enterprise_months ADD COLUMN IF NOT EXISTS road_unknown_fixes BIGINT;

-- Tampering evidence per vehicle and day (hazrisk/safety/sql/tampering.sql; kept with the
-- violations: 3 years). kind: antenna_cut, antenna_short, power_down, gnss_fault,
-- repeated_power_pulls.
CREATE TABLE IF NOT EXISTS safety.tampering (
    vehicle_id      VARCHAR NOT NULL,
    enterprise_id   VARCHAR,
    day             DATE NOT NULL,
    kind            VARCHAR NOT NULL,
    first_time      TIMESTAMPTZ NOT NULL,
    last_time       TIMESTAMPTZ NOT NULL,
    reports         BIGINT NOT NULL,      -- alarm reports (pulls: power-down switches)
    moving_reports  BIGINT NOT NULL       -- of them while moving
);
