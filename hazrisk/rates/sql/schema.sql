-- hazrisk.rates: tables (created once, kept), applied by hazrisk.rates.install().
-- Results of `hazrisk rates` / `hazrisk devices` land here; mart.* views (mart.sql) publish them.
CREATE SCHEMA IF NOT EXISTS rates;

-- One row per stored period (the last computation wins). Rows of rates.* are working data
-- (the drill-down reads them); only official periods are published (mart.sql): `hazrisk rates`
-- sets `official`, `hazrisk devices` sets `devices_official`. A computation under other rules
-- (e.g. the rates a `hazrisk devices` run needed) keeps a flag only when the rules are unchanged.
CREATE TABLE IF NOT EXISTS rates.periods (
    period            VARCHAR PRIMARY KEY,   -- '2026-10' or '2026-10-01..2026-10-03'
    kind              VARCHAR NOT NULL,      -- month | range
    period_start      DATE NOT NULL,         -- Beijing dates, inclusive
    period_end        DATE NOT NULL,
    prev_period       VARCHAR NOT NULL,      -- previous calendar month / equal range just before
    rules_sha256      VARCHAR NOT NULL,      -- of the rules (as loaded) the results were computed with
    computed_at       TIMESTAMPTZ NOT NULL,
    official          BOOLEAN NOT NULL DEFAULT false,  -- provider rates published
    devices_official  BOOLEAN NOT NULL DEFAULT false   -- device KPIs published
);
-- Warehouses made before the flags: their periods count as trial runs until recomputed.
ALTER TABLE rates.periods ADD COLUMN IF NOT EXISTS official BOOLEAN DEFAULT false;
ALTER TABLE rates.periods ADD COLUMN IF NOT EXISTS devices_official BOOLEAN DEFAULT false;

-- The data's coverage of the period (added after the first release: ALTER for old warehouses).
-- Rates are judged against it; a partial period says so; an empty period is never stored.
ALTER TABLE rates.periods ADD COLUMN IF NOT EXISTS data_first_day DATE;  -- first Beijing day with data
ALTER TABLE rates.periods ADD COLUMN IF NOT EXISTS data_last_day DATE;   -- last Beijing day with data
ALTER TABLE rates.periods ADD COLUMN IF NOT EXISTS covered_days INTEGER; -- days with any position record
ALTER TABLE rates.periods ADD COLUMN IF NOT EXISTS data_coverage DOUBLE; -- covered_days / days of the period
ALTER TABLE rates.periods ADD COLUMN IF NOT EXISTS partial BOOLEAN;      -- data_coverage < 1

-- Provider x period x metric (metric ids: hazrisk.rates.metrics / rates.metrics).
CREATE TABLE IF NOT EXISTS rates.provider_rates (
    period          VARCHAR NOT NULL,
    provider_id     VARCHAR NOT NULL,
    metric          VARCHAR NOT NULL,
    numerator       DOUBLE NOT NULL,     -- vehicles, records, vehicle-days, km or minutes (rates.metrics.unit)
    denominator     DOUBLE NOT NULL,
    rate            DOUBLE,              -- NULL when the denominator is 0
    ci_low          DOUBLE,              -- 95 % Wilson score interval
    ci_high         DOUBLE,
    n_eff           DOUBLE NOT NULL,     -- trials used by the interval (= denominator except km: vehicle-days)
    score           DOUBLE,              -- composite points ([rate_weights], floors)
    national_score  DOUBLE,              -- national 2016 points ([rate_national_weights], floors)
    PRIMARY KEY (period, provider_id, metric)
);

-- Vehicle-level outcomes behind the vehicle-based rates (the drill-down): one row per
-- (provider, vehicle[, day], metric) in the metric's denominator; hit = counts in the numerator.
CREATE TABLE IF NOT EXISTS rates.vehicle_results (
    period       VARCHAR NOT NULL,
    provider_id  VARCHAR NOT NULL,
    vehicle_id   VARCHAR NOT NULL,
    day          DATE,                   -- vehicle-day metrics only (trajectory_completeness)
    metric       VARCHAR NOT NULL,
    hit          BOOLEAN NOT NULL,
    checks       VARCHAR[] NOT NULL,     -- failing checks (drift: what was found), e.g. ['vin', 'missing:owner_name']
    detail       VARCHAR                 -- JSON: the values checked
);

-- Record aggregates per provider x vehicle (or unknown terminal '?<key>') x Beijing day.
CREATE TABLE IF NOT EXISTS rates.vehicle_days (
    period               VARCHAR NOT NULL,
    provider_id          VARCHAR NOT NULL,
    unit_id              VARCHAR NOT NULL, -- vehicle_id, or '?' || terminal key for unregistered terminals
    vehicle_id           VARCHAR,
    day                  DATE NOT NULL,
    last_time            TIMESTAMPTZ,
    records              BIGINT NOT NULL,
    qualified            BIGINT NOT NULL,
    interval_records     BIGINT NOT NULL,  -- registered, valid GNSS time (rate 5's records)
    interval_ok          BIGINT NOT NULL,
    drift_points         BIGINT NOT NULL,
    segments             BIGINT NOT NULL,
    incomplete_segments  BIGINT NOT NULL,
    km_total             DOUBLE NOT NULL,
    km_complete          DOUBLE NOT NULL,
    outages              BIGINT NOT NULL,
    points_expected      BIGINT NOT NULL,
    points_recovered     BIGINT NOT NULL
);

-- Device maker x model x period x metric; device_model '*' = all models of the maker.
CREATE TABLE IF NOT EXISTS rates.device_kpis (
    period        VARCHAR NOT NULL,
    maker_id      VARCHAR NOT NULL,      -- '?' when unknown
    device_model  VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    numerator     DOUBLE NOT NULL,
    denominator   DOUBLE NOT NULL,
    rate          DOUBLE,
    ci_low        DOUBLE,
    ci_high       DOUBLE,
    PRIMARY KEY (period, maker_id, device_model, metric)
);
ALTER TABLE rates.device_kpis ADD COLUMN IF NOT EXISTS censored DOUBLE; -- repair_24h: open tickets < 24 h before the data end, left out

-- Faults visible in the data without a fault ticket (device makers): terminal fault alarm bits
-- (one row per vehicle x bit x Beijing day) and > 24 h real-time silences while moving.
CREATE TABLE IF NOT EXISTS rates.untracked_faults (
    period          VARCHAR NOT NULL,
    maker_id        VARCHAR NOT NULL,
    device_model    VARCHAR NOT NULL,
    vehicle_id      VARCHAR NOT NULL,
    terminal_phone  VARCHAR,
    kind            VARCHAR NOT NULL,     -- 'alarm:<bit name>' | 'silent_while_moving'
    first_time      TIMESTAMPTZ,
    last_time       TIMESTAMPTZ,
    reports         BIGINT,               -- alarm reports (0 for silences)
    moved_km        DOUBLE                -- silences: straight-line km across the silence
);

-- 标准化评价 verdicts: provider x period (hazrisk rates) and device maker x period (hazrisk
-- devices). admitted = evaluated 合格, enters the intelligent safety management system
-- (implementing opinion: 评价合格的主体进入智能安全管理体系).
CREATE TABLE IF NOT EXISTS rates.verdicts (
    period         VARCHAR NOT NULL,
    party          VARCHAR NOT NULL,      -- provider | device_maker
    subject_id     VARCHAR NOT NULL,      -- provider_id / maker_id
    verdict        VARCHAR NOT NULL,      -- 合格 | 不合格
    passed         BOOLEAN NOT NULL,
    admitted       BOOLEAN NOT NULL,      -- in the admission list (准入名单)
    score          DOUBLE,                -- providers: composite score
    pass_mark      DOUBLE,                -- providers: [verdict] provider_pass_score
    reasons        VARCHAR[] NOT NULL,    -- every failed condition, with its value and limit
    data_coverage  DOUBLE,                -- share of the period's days with data
    PRIMARY KEY (period, party, subject_id)
);

-- 入网 evidence that survives retention: a vehicle known to have sent a qualified record by
-- entered_by (the end of a computed period; an upper bound of its first qualified record).
CREATE TABLE IF NOT EXISTS rates.network_entries (
    vehicle_id  VARCHAR PRIMARY KEY,
    entered_by  TIMESTAMPTZ NOT NULL
);

-- The national 联网联控 indicators per logistics enterprise and period (交运发〔2016〕160号
-- enterprise table), the input of the insurance data-quality gate (hazrisk/rates/sql/enterprise.sql).
CREATE TABLE IF NOT EXISTS rates.enterprise_scores (
    period        VARCHAR NOT NULL,
    enterprise_id VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,     -- network_entry, online, trajectory_completeness_km, data_qualification, drift_vehicles
    numerator     DOUBLE NOT NULL,
    denominator   DOUBLE NOT NULL,
    rate          DOUBLE,
    ci_low        DOUBLE,
    ci_high       DOUBLE,
    points        DOUBLE,               -- national enterprise-table points (0 beyond the floor)
    max_points    DOUBLE NOT NULL,
    within_floor  BOOLEAN,              -- rate within the national floor (NULL: not measurable)
    PRIMARY KEY (period, enterprise_id, metric)
);

-- Vehicle-day partials (hazrisk.rates.partials): what every rate needs from the records, per
-- provider x unit x Beijing day, computed day by day and summed over any period (the period's
-- rates.vehicle_days are these rows). run_id / computed_at say which run wrote a day's rows: a
-- late file re-derives only the days it touches.
CREATE TABLE IF NOT EXISTS rates.day_partials AS
SELECT * EXCLUDE (period) FROM rates.vehicle_days LIMIT 0;  -- the same columns, by day
ALTER TABLE rates.day_partials ADD COLUMN IF NOT EXISTS run_id VARCHAR;
ALTER TABLE rates.day_partials ADD COLUMN IF NOT EXISTS computed_at TIMESTAMPTZ;

-- 平台连通率 per provider x Beijing day: distinct minutes of the day with terminal data
-- (minutes never cross midnight, so a period's minutes are the sum of its days').
CREATE TABLE IF NOT EXISTS rates.day_connectivity (
    day             DATE NOT NULL,
    provider_id     VARCHAR NOT NULL,
    online_minutes  BIGINT NOT NULL,
    run_id          VARCHAR NOT NULL
);

-- One row per Beijing day whose partials were computed: the run, the rules, the inputs it saw
-- (newest ingested file and registry import: newer inputs that touch the day make it stale)
-- and whether the day has data (coverage).
CREATE TABLE IF NOT EXISTS rates.day_runs (
    day              DATE PRIMARY KEY,
    run_id           VARCHAR NOT NULL,
    computed_at      TIMESTAMPTZ NOT NULL,
    rules_sha256     VARCHAR NOT NULL,
    max_file_id      INTEGER,          -- newest meta.ingested_files.file_id seen
    max_import_id    INTEGER,          -- newest meta.registry_imports.import_id seen
    covered          BOOLEAN NOT NULL, -- positions, heartbeats or 0x0104 answers on the day
    records          BIGINT NOT NULL,
    batches          INTEGER NOT NULL,
    duration_s       DOUBLE
);

-- The context a day's partials carry to the next day: per unit, the records the next day's
-- first records look back to (its last record, last real-time and last evidence record up to
-- the day's end), whatever their age. A day's partials read the
-- previous day's tail and their own day only, so a record's verdict never depends on the
-- period asked for, and a silence of any length keeps its predecessor.
CREATE TABLE IF NOT EXISTS rates.day_tails (
    day          DATE NOT NULL,
    unit_id      VARCHAR NOT NULL,
    pos_seq      BIGINT NOT NULL,
    device_time  TIMESTAMPTZ NOT NULL
);

-- The Beijing days each ingested file carries data for, recorded once per file (hazrisk.rates.
-- partials.stored_data_days), so a day's run finds the days with data by reading only the files
-- ingested since, never the whole history of positions. kind: 'positions' (GNSS day, else receive
-- day / dump file date), 'heartbeats' (receive day), 'answers' (0x0104: receive day, else dump
-- file date); every recorded file also has one row of kind 'file' (day NULL), also when it
-- carries no dated data.
CREATE TABLE IF NOT EXISTS rates.file_days (
    file_id  INTEGER NOT NULL,
    kind     VARCHAR NOT NULL,
    day      DATE
);

-- The drift verdicts of the computed days (hazrisk/rates/drift.py, definition hazrisk.drift):
-- One row per drift fix of the computed days (qualified fixes only); spike: the reason.
CREATE TABLE IF NOT EXISTS rates.drift_fixes (
    pos_seq  BIGINT NOT NULL,
    day      DATE NOT NULL,     -- Beijing day of the fix's GNSS time
    spike    BOOLEAN NOT NULL   -- true: an isolated spike; false: an excursion (implied speed)
);
