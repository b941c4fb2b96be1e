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

-- Provider x period x metric (metric ids: hazrisk.rates.registry / rates.metrics).
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
