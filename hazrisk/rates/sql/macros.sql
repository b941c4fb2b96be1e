-- hazrisk.rates macros and the reusable per-position flags (recreated by hazrisk.rates.install()).
-- Thresholds are read from the one-row table rates.params, written from conf/rules.toml by
-- hazrisk.rates.install(con, rules) with bound parameters (never formatted into SQL).

-- Great-circle distance in km (mean Earth radius 6371.0088 km, as hazrisk.simulate.geo).
-- NULL when a coordinate is NULL (DuckDB's least/greatest skip NULLs, so guard explicitly).
CREATE OR REPLACE MACRO rates.haversine_km(lat1, lon1, lat2, lon2) AS
    CASE WHEN lat1 IS NOT NULL AND lon1 IS NOT NULL AND lat2 IS NOT NULL AND lon2 IS NOT NULL
    THEN 2 * 6371.0088 * asin(least(1.0, sqrt(
        pow(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * pow(sin(radians(lon2 - lon1) / 2), 2))))
    END;

-- Speed implied by two fixes, km/h; a zero or negative time step counts as 1 s.
CREATE OR REPLACE MACRO rates.implied_kmh(t_a, lat_a, lon_a, t_b, lat_b, lon_b) AS
    CASE WHEN t_a IS NOT NULL AND t_b IS NOT NULL
    THEN rates.haversine_km(lat_a, lon_a, lat_b, lon_b) * 3600.0
         / greatest(epoch(t_b) - epoch(t_a), 1.0)
    END;

-- 95 % Wilson score interval for a proportion p (0..1) observed on n trials (z: rates.params).
-- The bounds at p = 0 (low) and p = 1 (high) are exact: the closed form cancels there, and
-- floating point would leave 2e-17 above a rate of 0.
CREATE OR REPLACE MACRO rates.wilson_low(p, n, z) AS
    CASE WHEN p IS NOT NULL AND n > 0 AND p <= 0 THEN 0.0
         WHEN p IS NOT NULL AND n > 0 THEN greatest(0.0,
        (p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)))
        / (1 + z * z / n)) END;
CREATE OR REPLACE MACRO rates.wilson_high(p, n, z) AS
    CASE WHEN p IS NOT NULL AND n > 0 AND p >= 1 THEN 1.0
         WHEN p IS NOT NULL AND n > 0 THEN least(1.0,
        (p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)))
        / (1 + z * z / n)) END;

-- Blank text counts as missing.
CREATE OR REPLACE MACRO rates.blank(x) AS x IS NULL OR trim(CAST(x AS VARCHAR)) = '';

-- Hosts of a JT/T 808 server address (0x0013/0x0017: 'host', 2019 'host:port;host:port'),
-- or of a platform_domain list: lower-case, port and trailing dot removed, empty dropped.
CREATE OR REPLACE MACRO rates.server_hosts(v) AS
    list_filter(
        list_transform(string_split_regex(lower(coalesce(v, '')), '[;,\s]+'),
                       lambda h: rtrim(regexp_replace(trim(h), ':[0-9]*$', ''), '.')),
        lambda h: h <> '');

-- A bare IP address (IPv4 dotted quad, or IPv6) rather than a domain name.
CREATE OR REPLACE MACRO rates.is_ip(h) AS
    regexp_full_match(h, '[0-9]{1,3}(\.[0-9]{1,3}){3}') OR h LIKE '%:%' OR h LIKE '[%';

-- VIN check digit (position 9; ISO 3779 / GB 16735 transliteration and weights). Warning only.
CREATE OR REPLACE MACRO rates.vin_check_ok(vin) AS
    CASE WHEN NOT regexp_full_match(upper(coalesce(vin, '')), '[A-HJ-NPR-Z0-9]{17}') THEN NULL
    ELSE (
        list_sum(list_transform(range(1, 18), lambda i:
            [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2][i]
            * [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9,
               2, 3, 4, 5, 6, 7, 8, 9][strpos('0123456789ABCDEFGHJKLMNPRSTUVWXYZ',
                                               substr(upper(vin), i, 1))])) % 11
        = CASE substr(upper(vin), 9, 1) WHEN 'X' THEN 10
               ELSE CAST(substr(upper(vin), 9, 1) AS INTEGER) END
    ) END;

-- Data-qualification check names of a bit set (rate 7), lowest bit = first reported: the one
-- layout of hazrisk.validity (CHECKS), installed into rates.params.check_names.
CREATE OR REPLACE MACRO rates.check_names(bits) AS
    list_filter((SELECT check_names FROM rates.params),
                lambda name, i: (bits >> (i - 1)) & 1 = 1);
CREATE OR REPLACE MACRO rates.check_name(bits) AS
    CASE WHEN bits = 0 THEN NULL ELSE rates.check_names(bits)[1] END;

-- Per position (GNSS time in [t_lo, t1)): attribution and the data-qualification checks: the
-- flags stored at ingest (hazrisk.validity.check_bits) plus bit 0, 'unregistered' (no vehicle
-- assigned at the record's time: the registry's, so computed here).
-- provider_id: the terminal assignment at the record's time (core.positions), else the gateway
-- the dump came from (unregistered terminals). unit_id: vehicle_id, else '?' || terminal key.
CREATE OR REPLACE MACRO rates.position_checks(t_lo, t1) AS TABLE
SELECT
    p.pos_seq, p.terminal_phone, p.vehicle_id, p.enterprise_id,
    coalesce(p.provider_id, p.source_provider_id) AS provider_id,
    p.source_provider_id,
    coalesce(p.vehicle_id, '?' || core.terminal_key(p.terminal_phone)) AS unit_id,
    p.device_time, p.recv_time, p.lat_deg, p.lon_deg, p.speed_kmh, p.acc_on, p.is_backfill,
    coalesce(p.speed_kmh > 0, false) OR p.acc_on AS moving,
    CAST(p.quality_flags AS INTEGER) | CAST(p.vehicle_id IS NULL AS INTEGER) AS qual_bits
FROM core.positions p
WHERE p.device_time >= t_lo AND p.device_time < t1;

-- Beijing calendar day of an instant: the warehouse's core.local_day (hazrisk/sql/localtime.sql,
-- fixed-offset arithmetic from conf [period] timezone), under the name the rates SQL uses.
CREATE OR REPLACE MACRO rates.beijing_day(t) AS core.local_day(t);

-- The earliest instant (epoch seconds) a record's predecessor may have: lookback_hours before
-- the start of the record's Beijing calendar month.
CREATE OR REPLACE MACRO rates.month_context_epoch(t, lookback_hours) AS
    epoch(core.local_instant(CAST(date_trunc('month', rates.beijing_day(t)) AS TIMESTAMP)))
    - lookback_hours * 3600;

-- The earliest record of a day's tail context worth reading: the day's month context (records
-- before it are never a predecessor of the day's records, hazrisk/rates/sql/macros.sql w1b) when
-- a tail is read (tail_day not NULL; t0: the day's start), else t0 (nothing read).
CREATE OR REPLACE MACRO rates.tail_from(t0, tail_day) AS
    CASE WHEN tail_day IS NULL THEN t0
         ELSE to_timestamp(rates.month_context_epoch(
                  t0, (SELECT lookback_hours FROM rates.params))) END;

-- Outage estimate, one stretch between consecutive evidence points a -> b of an outage (the
-- opening real-time record, the backfilled records inside, the closing real-time record; all
-- samples of the terminal's clock): dt seconds, valid speeds spd_a/spd_b (NULL = not driving),
-- ACC, straight-line km (NULL unless both are qualified fixes). Seconds driven in it: all of
-- dt when both ends drive at an average >= slow_kmh (or a drives and km is unknown, or neither
-- drives but ACC is on at both ends or it moved > gap_km, the terminal reporting at its driving
-- interval); when only one end drives, or the average is below slow_kmh (it parked in
-- between), the time to cover km at the driving end's speed; else none.
CREATE OR REPLACE MACRO rates.outage_drive_s(dt, spd_a, spd_b, acc_a, acc_b, km, gap_km, slow_kmh) AS
    CASE WHEN spd_a IS NULL AND spd_b IS NULL
         THEN CASE WHEN coalesce(acc_a AND acc_b, false) OR coalesce(km > gap_km, false)
                   THEN dt ELSE 0 END
         WHEN km IS NULL THEN CASE WHEN spd_a IS NOT NULL THEN dt ELSE 0 END
         WHEN spd_a IS NOT NULL AND spd_b IS NOT NULL AND km * 3600.0 / dt >= slow_kmh THEN dt
         ELSE least(dt, km * 3600.0 / coalesce((spd_a + spd_b) / 2, spd_a, spd_b)) END;
-- Report steps in the stretch (>= 1: both ends are samples): driven seconds at the driving
-- interval iv_m, the rest at the parked interval iv_p, rounded; 0 for no stretch.
CREATE OR REPLACE MACRO rates.outage_steps(dt, spd_a, spd_b, acc_a, acc_b, km, iv_m, iv_p, gap_km, slow_kmh) AS
    CASE WHEN coalesce(dt > 0, false)
         THEN greatest(round(
                  rates.outage_drive_s(dt, spd_a, spd_b, acc_a, acc_b, km, gap_km, slow_kmh) / iv_m
                  + (dt - rates.outage_drive_s(dt, spd_a, spd_b, acc_a, acc_b, km, gap_km,
                                               slow_kmh)) / iv_p), 1)
         ELSE 0 END;

-- rates.position_flags_between(t_lo, t0, t1, prov): one row per position, for reuse (rates,
-- safety). Records with GNSS time in [t_lo, t1) are read; those before t0 only give context
-- (in_period = false). Records without a valid GNSS time are included when their receive time
-- (else their dump file's date) falls in [t0, t1). prov: NULL = all, else only the vehicles /
-- terminals with a record attributed to that provider in [t0, t1) (all their records).
-- Order: per unit_id by (device_time, pos_seq). Join core.positions USING (pos_seq) for the
-- other columns. Columns:
--   unit_id, vehicle_id, provider_id   vehicle (or '?' || terminal key), attribution
--   qualified / qual_bits / qual_fail   data-qualification checks (rates.check_names(qual_bits))
--   prev_time, gap_s, gap_km            previous record of the unit (any record)
--   allowed_gap_s, interval_ok, interval_fail   upload-interval rule
--   drift, drift_reason, implied_speed_kmh      drift (qualified fixes only; 'spike' | 'implied_speed')
--   seg_prev_time, seg_s, seg_km, seg_incomplete   segment from the previous good (qualified,
--                                       non-drift) fix of the same Beijing day, on good fixes
--                                       only (a vehicle-day's trajectory is its own fixes)
--   prev_rt_time                        the previous real-time (not backfilled) record's time
--                                       (records ahead of their receive time are skipped)
--   rt_gap_s, rt_interval_s             on real-time records: the gap since the previous
--                                       real-time record, the report interval for the outage
--                                       test (the terminal's 0x0029/0x0027 answer, else the
--                                       rule maxima, by the state as the gap opened)
--   outage                              the record closes (real-time) or lies in (backfilled)
--                                       an outage: gap > outage_factor x interval, or with a
--                                       backfilled point inside (a backfilled record after a
--                                       real-time one always lies in an outage)
--   outage_expected                     points expected in the outage's stretch from the
--                                       previous evidence point to this record (rates.outage_
--                                       steps; a backfilled record counts itself, the closing
--                                       real-time record not); summed over the outage's
--                                       records = its expected points
--   outage_recovered                    1 on backfilled (0x0704) records: recovered points
-- Drift is not computed here: the verdicts of hazrisk.drift (the one definition, judged per
-- unit-day over the qualified fixes, shared with detection) are stored per day in
-- rates.drift_fixes by hazrisk.rates.drift.store_drift before the flags are read; days never
-- computed show no drift. Everything else comes from ONE sort of the period's positions.
-- rates.position_flags_units(t_lo, t0, t1, prov, nb, bk, tail_day): the same, for the units
-- (vehicles / unregistered terminals) with hash(unit_id) % nb = bk only: one of nb vehicle
-- batches, whole units each (a unit's flags depend on its own records only), so a day's
-- partials are computed batch by batch in bounded memory (hazrisk.rates.partials). nb <= 1 =
-- every unit. tail_day (a DATE, or NULL): the records of rates.day_tails of that day are read
-- as context too, whatever their age (each unit's last record, last real-time and last
-- evidence record before the day: all the window below looks back to across midnight; the
-- previous good fix only feeds same-day segments).
CREATE OR REPLACE MACRO rates.position_flags_units(t_lo, t0, t1, prov, nb, bk, tail_day) AS TABLE
WITH
iv AS (  -- the terminal's own report intervals: its latest 0x0104 answer up to t1 carrying
         -- 0x0029 (default = driving interval) / 0x0027 (sleep = parked interval), in seconds
    SELECT terminal_key, moving_iv_s, parked_iv_s FROM (
        SELECT core.terminal_key(a.terminal_phone) AS terminal_key,
               any_value(coalesce(a.recv_time,
                   core.local_instant(CAST(f.source_date AS TIMESTAMP)))) AS answered_at,
               a.source_file_id, a.source_offset,
               max(TRY_CAST(a.value_text AS DOUBLE)) FILTER (WHERE a.param_id = 41) AS moving_iv_s,
               max(TRY_CAST(a.value_text AS DOUBLE)) FILTER (WHERE a.param_id = 39) AS parked_iv_s
        FROM core.param_answers a
        LEFT JOIN meta.ingested_files f ON f.file_id = a.source_file_id
        WHERE a.param_id IN (39, 41)
        GROUP BY core.terminal_key(a.terminal_phone), a.source_file_id, a.source_offset
    ) m
    WHERE m.answered_at IS NULL OR m.answered_at < t1
    QUALIFY row_number() OVER (PARTITION BY m.terminal_key
                               ORDER BY m.answered_at DESC NULLS LAST, m.source_file_id DESC,
                                        m.source_offset DESC) = 1
),
c AS (
    SELECT k.pos_seq, k.unit_id, k.provider_id, k.device_time, k.lat_deg, k.lon_deg,
           k.qual_bits, k.moving, k.is_backfill,
           -- drift (hazrisk.drift, judged per unit-day over the qualified fixes): the verdicts
           -- stored for the day (hazrisk.rates.drift.store_drift)
           df.pos_seq IS NOT NULL AS drift, coalesce(df.spike, false) AS spike,
           -- outage evidence: a record whose GNSS time is trusted (not ahead of its receive time);
           -- driving = a valid speed > 0 (an out-of-range speed says nothing)
           (k.qual_bits & 4) = 0 AS ev,
           CASE WHEN (k.qual_bits & 32) = 0 AND k.speed_kmh > 0 THEN k.speed_kmh END AS spd,
           coalesce((k.qual_bits & 32) = 0 AND k.speed_kmh > 0, false) AS driving,
           coalesce(k.acc_on, false) AS acc,
           CASE WHEN iv.moving_iv_s > 0 THEN iv.moving_iv_s END AS moving_iv_s,
           CASE WHEN iv.parked_iv_s > 0 THEN iv.parked_iv_s END AS parked_iv_s
    FROM (
        SELECT * FROM rates.position_checks(t_lo, t1)
        UNION ALL
        -- the tail: records older than the day's month context (lookback_hours before its
        -- month's start) are never a predecessor (w1b), so they are not read: the scan skips
        -- the earlier months' positions
        SELECT * FROM rates.position_checks(rates.tail_from(t0, tail_day), t_lo)
        WHERE tail_day IS NOT NULL
          AND pos_seq IN (SELECT dt.pos_seq FROM rates.day_tails dt WHERE dt.day = tail_day)
    ) k
    LEFT JOIN iv ON iv.terminal_key = core.terminal_key(k.terminal_phone)
    -- the verdicts of the days read (from t_lo's day on, a day early for any zone): an older
    -- (tail) record's verdict only matters for the previous good fix, which feeds same-day
    -- segments only, so the join does not read the history's verdicts
    LEFT JOIN rates.drift_fixes df
           ON df.pos_seq = k.pos_seq AND df.day >= CAST(t_lo AS DATE) - 1
    WHERE (prov IS NULL
           OR k.unit_id IN (SELECT x.unit_id FROM rates.position_checks(t0, t1) x
                            WHERE x.provider_id = prov))
      AND (nb <= 1 OR hash(k.unit_id) % nb = bk)
),
w1 AS (  -- the one window pass: previous record, previous good (qualified, non-drift) fix,
         -- previous real-time record. "The previous non-NULL" is last_value(... IGNORE NULLS)
         -- over the rows before, the same as lag(..., 1 IGNORE NULLS) at about 15 % less CPU
         -- of the window on the province-day (benchmarks/README.md "daily")
    SELECT
        c.*,
        lag({'t': device_time, 'lat': lat_deg, 'lon': lon_deg, 'moving': moving}) OVER w AS pr,
        last_value(CASE WHEN qual_bits = 0 AND NOT drift
                        THEN {'t': device_time, 'lat': lat_deg, 'lon': lon_deg} END
                   IGNORE NULLS) OVER before AS lg,
        last_value(CASE WHEN NOT is_backfill AND ev
                        THEN {'t': device_time, 'lat': lat_deg, 'lon': lon_deg,
                              'driving': driving, 'acc': acc, 'q': qual_bits} END
                   IGNORE NULLS) OVER before AS prt,
        -- the previous evidence point (real-time or backfilled record with a trusted time)
        last_value(CASE WHEN ev
                        THEN {'t': device_time, 'lat': lat_deg, 'lon': lon_deg, 'spd': spd,
                              'acc': acc, 'q': qual_bits} END
                   IGNORE NULLS) OVER before AS pe
    FROM c
    WINDOW w AS (PARTITION BY unit_id ORDER BY device_time, pos_seq),
           before AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
w1b AS (  -- a predecessor counts when no earlier than [rates] lookback_hours before the start of
          -- the record's Beijing calendar month (the whole-month evaluation's context), so a
          -- record's verdict depends on its own month only, never on the period asked for
    SELECT w1.* REPLACE (
        CASE WHEN epoch(pr.t) >= m0 THEN pr END AS pr,
        CASE WHEN epoch(lg.t) >= m0 THEN lg END AS lg,
        CASE WHEN epoch(prt.t) >= m0 THEN prt END AS prt,
        CASE WHEN epoch(pe.t) >= m0 THEN pe END AS pe)
    FROM (
        SELECT w1.*,
            rates.month_context_epoch(device_time, s.lookback_hours) AS m0
        FROM w1 CROSS JOIN rates.params s
    ) w1
),
x AS (  -- scalars; interval rule; real-time gaps
    SELECT
        pos_seq, unit_id, provider_id, device_time, lat_deg, lon_deg, qual_bits, moving,
        is_backfill,
        pr.t AS prev_time,
        epoch(device_time) - epoch(pr.t) AS gap_s,
        rates.haversine_km(pr.lat, pr.lon, lat_deg, lon_deg) AS gap_km,
        CASE WHEN CASE WHEN s.interval_state = 'current' THEN moving ELSE pr.moving END
             THEN s.moving_max_s ELSE s.parked_max_s END AS allowed_gap_s,
        drift, spike,
        lg.t AS lg0_t, lg.lat AS lg0_lat, lg.lon AS lg0_lon,
        prt.t AS prev_rt_time,
        CASE WHEN NOT is_backfill AND ev THEN g_s END AS rt_gap_s,
        CASE WHEN NOT is_backfill THEN g_iv END AS rt_interval_s,
        outage,
        -- points expected in the stretch of an outage from the previous evidence point to this
        -- record (README "Device KPIs"): a backfilled record counts itself, the closing
        -- real-time record does not; summed over an outage's records = its expected points.
        -- CASE: only outage records pay for the estimate.
        CASE WHEN NOT outage THEN 0
             ELSE greatest(rates.outage_steps(epoch(device_time) - epoch(pe.t), pe.spd, spd, pe.acc, acc,
                                     CASE WHEN pe.q = 0 AND qual_bits = 0
                                          THEN rates.haversine_km(pe.lat, pe.lon,
                                                                  lat_deg, lon_deg) END,
                                     iv_m, iv_p, s.gap_km, s.outage_parked_below_kmh)
                  - CASE WHEN is_backfill THEN 0 ELSE 1 END, 0) END AS outage_expected
    FROM (
        -- outage: a gap > outage_factor x the interval of the state as it opened, or any gap
        -- with a backfilled point inside (the terminal stored points while offline)
        SELECT g.*,
            coalesce(ev AND prt.t IS NOT NULL
                     AND (g_bf OR (g_s > p.outage_factor * least(iv_m, iv_p)
                                   AND g_s > p.outage_factor * g_iv)), false) AS outage
        FROM (
            -- the real-time gap this (real-time) record closes: from the previous real-time
            -- record; g_bf: a backfilled record lies in it (a backfilled record: always, it lies
            -- in the gap after the previous real-time record); g_iv: the report interval by the
            -- state as it opened (driving, ACC on at both ends, or moved > gap_km between
            -- qualified fixes: the driving one)
            SELECT c.*,
                CASE WHEN NOT ev OR prt.t IS NULL OR is_backfill THEN NULL
                     WHEN prt.driving THEN iv_m
                     WHEN prt.acc AND acc THEN iv_m
                     WHEN prt.q = 0 AND qual_bits = 0
                          AND rates.haversine_km(prt.lat, prt.lon, lat_deg, lon_deg) > p.gap_km
                          THEN iv_m
                     ELSE iv_p END AS g_iv
            FROM (
                SELECT w1.*,
                    epoch(device_time) - epoch(prt.t) AS g_s,
                    is_backfill OR pe.t > prt.t AS g_bf,
                    coalesce(moving_iv_s, p.moving_max_s) AS iv_m,
                    coalesce(parked_iv_s, p.parked_max_s) AS iv_p
                FROM w1b w1 CROSS JOIN rates.params p
            ) c CROSS JOIN rates.params p
        ) g CROSS JOIN rates.params p
    ) w1 CROSS JOIN rates.params s
),
timed AS (
    SELECT
        x.pos_seq, x.unit_id,
        CASE WHEN x.unit_id NOT LIKE '?%' THEN x.unit_id END AS vehicle_id,
        x.provider_id, x.device_time, rates.beijing_day(x.device_time) AS day,
        x.device_time >= t0 AS in_period,
        x.is_backfill, x.lat_deg, x.lon_deg, x.moving,
        x.qual_bits, x.qual_bits = 0 AS qualified, rates.check_name(x.qual_bits) AS qual_fail,
        x.prev_time, x.gap_s, x.gap_km, x.allowed_gap_s,
        x.prev_time IS NULL OR x.gap_s <= x.allowed_gap_s AS interval_ok,
        CASE WHEN x.prev_time IS NULL OR x.gap_s <= x.allowed_gap_s THEN NULL
             WHEN x.allowed_gap_s = s.moving_max_s THEN 'gap_over_moving_max'
             ELSE 'gap_over_parked_max' END AS interval_fail,
        x.drift,
        CASE WHEN NOT x.drift THEN NULL WHEN x.spike THEN 'spike' ELSE 'implied_speed' END
            AS drift_reason,
        CASE WHEN x.drift THEN rates.implied_kmh(x.lg0_t, x.lg0_lat, x.lg0_lon, x.device_time,
                                                 x.lat_deg, x.lon_deg) END AS implied_speed_kmh,
        -- trajectory segment: from the last good fix (lg0) of the same Beijing day
        CASE WHEN x.same_day THEN x.lg0_t END AS seg_prev_time,
        CASE WHEN x.same_day THEN epoch(x.device_time) - epoch(x.lg0_t) END AS seg_s,
        CASE WHEN x.same_day THEN x.seg_km END AS seg_km,
        CASE WHEN x.same_day THEN x.seg_km > s.gap_km
                                  AND epoch(x.device_time) - epoch(x.lg0_t) > s.gap_s
        END AS seg_incomplete,
        x.prev_rt_time, x.rt_gap_s, x.rt_interval_s, x.outage,
        CAST(x.outage_expected AS BIGINT) AS outage_expected,
        -- a backfilled (0x0704 blind-area) point is a point recovered after an outage
        CAST(x.is_backfill AS INTEGER) AS outage_recovered
    FROM (
        SELECT x.*,
            qual_bits = 0 AND NOT drift AND lg0_t IS NOT NULL
                AND rates.beijing_day(lg0_t) = rates.beijing_day(device_time) AS same_day,
            rates.haversine_km(lg0_lat, lg0_lon, lat_deg, lon_deg) AS seg_km
        FROM x
    ) x CROSS JOIN rates.params s
),
untimed AS (
    SELECT
        p.pos_seq,
        coalesce(p.vehicle_id, '?' || core.terminal_key(p.terminal_phone)) AS unit_id,
        p.vehicle_id, coalesce(p.provider_id, p.source_provider_id) AS provider_id,
        p.device_time,
        rates.beijing_day(coalesce(p.recv_time,
                                   core.local_instant(CAST(f.source_date AS TIMESTAMP))))
            AS day,
        true AS in_period,
        p.is_backfill, p.lat_deg, p.lon_deg,
        coalesce(p.speed_kmh > 0, false) OR p.acc_on AS moving,
        CAST(p.quality_flags AS INTEGER) | CAST(p.vehicle_id IS NULL AS INTEGER) AS qual_bits,
        false AS qualified,
        rates.check_name(CAST(p.quality_flags AS INTEGER)
                         | CAST(p.vehicle_id IS NULL AS INTEGER)) AS qual_fail,
        NULL::TIMESTAMPTZ AS prev_time, NULL::DOUBLE AS gap_s, NULL::DOUBLE AS gap_km,
        NULL::DOUBLE AS allowed_gap_s, false AS interval_ok, 'time_invalid' AS interval_fail,
        false AS drift, NULL::VARCHAR AS drift_reason, NULL::DOUBLE AS implied_speed_kmh,
        NULL::TIMESTAMPTZ AS seg_prev_time, NULL::DOUBLE AS seg_s, NULL::DOUBLE AS seg_km,
        NULL::BOOLEAN AS seg_incomplete, NULL::TIMESTAMPTZ AS prev_rt_time,
        NULL::DOUBLE AS rt_gap_s, NULL::DOUBLE AS rt_interval_s, false AS outage,
        0::BIGINT AS outage_expected,
        0 AS outage_recovered
    FROM (  -- records without a GNSS time: by receive time in [t0, t1), else (raw captures
            -- carry none) by their dump file's date; two plain filters, so the scans skip the
            -- history's row groups (receive times, file ids) instead of reading every record
            -- without a time
        SELECT * FROM core.positions
        WHERE device_time IS NULL AND recv_time >= t0 AND recv_time < t1
        UNION ALL
        SELECT * FROM core.positions
        WHERE device_time IS NULL AND recv_time IS NULL
          AND source_file_id IN (
              SELECT file_id FROM meta.ingested_files
              WHERE core.local_instant(CAST(source_date AS TIMESTAMP)) >= t0
                AND core.local_instant(CAST(source_date AS TIMESTAMP)) < t1)
    ) p
    LEFT JOIN meta.ingested_files f ON f.file_id = p.source_file_id
    WHERE p.device_time IS NULL
      AND coalesce(p.recv_time, core.local_instant(CAST(f.source_date AS TIMESTAMP))) >= t0
      AND coalesce(p.recv_time, core.local_instant(CAST(f.source_date AS TIMESTAMP))) < t1
      AND (prov IS NULL OR coalesce(p.provider_id, p.source_provider_id) = prov)
      AND (nb <= 1
           OR hash(coalesce(p.vehicle_id, '?' || core.terminal_key(p.terminal_phone))) % nb = bk)
)
SELECT * FROM timed UNION ALL BY NAME SELECT * FROM untimed;

-- Every unit at once (see rates.position_flags_units).
CREATE OR REPLACE MACRO rates.position_flags_between(t_lo, t0, t1, prov) AS TABLE
SELECT * FROM rates.position_flags_units(t_lo, t0, t1, prov, 1, 0, CAST(NULL AS DATE));

-- All positions, flagged with the thresholds last installed (hazrisk.rates.install):
--   SELECT * FROM rates.position_flags WHERE vehicle_id = 'V0001' ORDER BY device_time, pos_seq
CREATE OR REPLACE VIEW rates.position_flags AS
SELECT * FROM rates.position_flags_between(
    CAST('-infinity' AS TIMESTAMPTZ), CAST('-infinity' AS TIMESTAMPTZ),
    CAST('infinity' AS TIMESTAMPTZ), CAST(NULL AS VARCHAR));

-- rates.vehicle_day_sums(t_lo, t0, t1, nb, bk, tail_day): the records of [t0, t1) (one vehicle
-- batch, context as rates.position_flags_units) aggregated per provider x unit x Beijing day:
-- the vehicle-day partials every record-based rate sums (hazrisk/rates/sql/partials.sql).
CREATE OR REPLACE MACRO rates.vehicle_day_sums(t_lo, t0, t1, nb, bk, tail_day) AS TABLE
SELECT
    day, provider_id, unit_id, any_value(vehicle_id) AS vehicle_id,
    max(device_time) AS last_time,
    count(*) AS records,
    count(*) FILTER (WHERE qualified) AS qualified,
    -- rate 5 judges registered vehicles' records with a valid GNSS time (they have an order)
    count(*) FILTER (WHERE vehicle_id IS NOT NULL AND device_time IS NOT NULL)
        AS interval_records,
    count(*) FILTER (WHERE interval_ok AND vehicle_id IS NOT NULL AND device_time IS NOT NULL)
        AS interval_ok,
    count(*) FILTER (WHERE drift) AS drift_points,
    count(seg_km) AS segments,
    count(*) FILTER (WHERE seg_incomplete) AS incomplete_segments,
    coalesce(sum(seg_km), 0) AS km_total,
    coalesce(sum(seg_km) FILTER (WHERE NOT seg_incomplete), 0) AS km_complete,
    count(*) FILTER (WHERE outage) AS outages,
    coalesce(sum(outage_expected), 0) AS points_expected,
    -- backfilled points, capped per vehicle-day at the points expected in its outages
    least(coalesce(sum(outage_recovered), 0), coalesce(sum(outage_expected), 0))
        AS points_recovered
FROM rates.position_flags_units(t_lo, t0, t1, CAST(NULL AS VARCHAR), nb, bk, tail_day)
WHERE in_period AND provider_id IS NOT NULL
GROUP BY provider_id, unit_id, day;
