-- The long-lived safety history at vehicle-month grain (idempotent DDL; applied by
-- hazrisk.safety.tables.ensure_schema). Written by `hazrisk detect` (source 'detected', from
-- safety.vehicle_days and safety.violations) and by `hazrisk history import` (source
-- 'archive', histories exported by an existing platform). Where both cover a vehicle-month the
-- detected row is the one in safety.vehicle_months; every imported row stays in
-- safety.vehicle_month_archive and the differences are in safety.vehicle_month_differences.
-- Kept >= [retention] safety_history_years (the enterprise's safety record).
CREATE TABLE IF NOT EXISTS safety.vehicle_months (
    vehicle_id          VARCHAR NOT NULL,
    month               DATE NOT NULL,        -- first day of the Beijing calendar month
    enterprise_id       VARCHAR,
    provider_id         VARCHAR,
    source              VARCHAR NOT NULL,     -- 'detected' | 'archive'
    source_file         VARCHAR,              -- archive file name (NULL when detected)
    days_covered        INTEGER,              -- days of the month the history covers
    days_registered     INTEGER,
    days_online         INTEGER,
    km                  DOUBLE,
    driving_h           DOUBLE,
    night_km            DOUBLE,
    night_h             DOUBLE,
    night_km_share      DOUBLE,
    fatigue_min         DOUBLE,
    night_ban_min       DOUBLE,
    offline_min         DOUBLE,
    offline_share       DOUBLE,
    positions           BIGINT,
    positions_qualified BIGINT,
    drift_points        BIGINT,
    data_quality_rate   DOUBLE,
    n_speeding          INTEGER,
    n_fatigue           INTEGER,
    n_night_ban         INTEGER,
    n_off_route         INTEGER,
    n_offline_displacement INTEGER,
    n_faulty_terminal_dispatch INTEGER,
    n_adas              INTEGER,
    n_dsm               INTEGER,
    n_violations        INTEGER,
    n_reminded          INTEGER,
    n_handled           INTEGER,
    n_escalated         INTEGER,
    median_time_to_reminder_s DOUBLE,
    computed_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (vehicle_id, month)
);

-- Every row of every imported archive file, as imported (the same measures, nullable), with
-- where it came from. Idempotent on file content (sha256).
CREATE TABLE IF NOT EXISTS safety.vehicle_month_archive (
    file_sha256         VARCHAR NOT NULL,
    source_file         VARCHAR NOT NULL,
    row_no              INTEGER NOT NULL,     -- file row (header = 1)
    imported_at         TIMESTAMPTZ NOT NULL,
    vehicle_id          VARCHAR NOT NULL,
    month               DATE NOT NULL,
    enterprise_id       VARCHAR,
    provider_id         VARCHAR,
    days_registered     INTEGER,
    days_online         INTEGER,
    km                  DOUBLE,
    driving_h           DOUBLE,
    night_km            DOUBLE,
    night_km_share      DOUBLE,
    offline_min         DOUBLE,
    offline_share       DOUBLE,
    positions           BIGINT,
    positions_qualified BIGINT,
    drift_points        BIGINT,
    data_quality_rate   DOUBLE,
    n_speeding          INTEGER,
    n_fatigue           INTEGER,
    n_night_ban         INTEGER,
    n_off_route         INTEGER,
    n_offline_displacement INTEGER,
    n_adas              INTEGER,
    n_dsm               INTEGER,
    n_violations        INTEGER,
    n_reminded          INTEGER,
    n_handled           INTEGER,
    n_escalated         INTEGER,
    median_time_to_reminder_s DOUBLE,
    PRIMARY KEY (file_sha256, vehicle_id, month)
);

-- One row per archive file import (skipped files are not repeated).
CREATE TABLE IF NOT EXISTS safety.history_imports (
    file_sha256         VARCHAR PRIMARY KEY,
    source_file         VARCHAR NOT NULL,
    path                VARCHAR NOT NULL,
    encoding            VARCHAR NOT NULL,
    rows_read           INTEGER NOT NULL,
    rows_loaded         INTEGER NOT NULL,
    rows_rejected       INTEGER NOT NULL,
    imported_at         TIMESTAMPTZ NOT NULL,
    hazrisk_version     VARCHAR
);

-- Rejected archive rows (file, row, column, reason), kept with the row as read.
CREATE TABLE IF NOT EXISTS quarantine.history_rejects (
    file_sha256         VARCHAR NOT NULL,
    source_file         VARCHAR NOT NULL,
    row_no              INTEGER NOT NULL,
    column_name         VARCHAR,
    reason              VARCHAR NOT NULL,
    raw_json            VARCHAR NOT NULL,
    imported_at         TIMESTAMPTZ NOT NULL
);

-- The latest import of each archived vehicle-month (a later file supersedes an earlier one).
CREATE OR REPLACE VIEW safety.vehicle_month_archive_latest AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY vehicle_id, month
                                 ORDER BY imported_at DESC, source_file DESC, row_no DESC) AS rn
    FROM safety.vehicle_month_archive
) WHERE rn = 1;

-- Where detection and an archive cover the same vehicle-month: both values and detected -
-- archive, for the measures both carry (detection wins in safety.vehicle_months).
CREATE OR REPLACE VIEW safety.vehicle_month_differences AS
SELECT d.vehicle_id, d.month, a.source_file, a.file_sha256,
       d.km AS km_detected, a.km AS km_archive, d.km - a.km AS km_diff,
       d.driving_h AS driving_h_detected, a.driving_h AS driving_h_archive,
       d.driving_h - a.driving_h AS driving_h_diff,
       d.offline_share AS offline_share_detected, a.offline_share AS offline_share_archive,
       d.offline_share - a.offline_share AS offline_share_diff,
       d.n_speeding AS n_speeding_detected, a.n_speeding AS n_speeding_archive,
       d.n_speeding - a.n_speeding AS n_speeding_diff,
       d.n_fatigue AS n_fatigue_detected, a.n_fatigue AS n_fatigue_archive,
       d.n_fatigue - a.n_fatigue AS n_fatigue_diff,
       d.n_night_ban AS n_night_ban_detected, a.n_night_ban AS n_night_ban_archive,
       d.n_night_ban - a.n_night_ban AS n_night_ban_diff,
       d.n_off_route AS n_off_route_detected, a.n_off_route AS n_off_route_archive,
       d.n_off_route - a.n_off_route AS n_off_route_diff,
       d.n_offline_displacement AS n_offline_displacement_detected,
       a.n_offline_displacement AS n_offline_displacement_archive,
       d.n_offline_displacement - a.n_offline_displacement AS n_offline_displacement_diff,
       d.n_adas AS n_adas_detected, a.n_adas AS n_adas_archive, d.n_adas - a.n_adas AS n_adas_diff,
       d.n_dsm AS n_dsm_detected, a.n_dsm AS n_dsm_archive, d.n_dsm - a.n_dsm AS n_dsm_diff,
       d.n_violations AS n_violations_detected, a.n_violations AS n_violations_archive,
       d.n_violations - a.n_violations AS n_violations_diff
FROM safety.vehicle_months d
JOIN safety.vehicle_month_archive_latest a USING (vehicle_id, month)
WHERE d.source = 'detected';
