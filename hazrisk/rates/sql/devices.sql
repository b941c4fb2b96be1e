-- hazrisk.rates: device-maker KPIs of one period (hazrisk.rates.compute_devices), from the fault
-- tickets and the stored vehicle-days of the same period (rates.vehicle_days).

-- name: tickets
-- Fault tickets reported in the period; the data end is the last record of the period's
-- stored vehicle-days (rates.vehicle_days). Maker/model from the ticket, else from the terminal's
-- assignment at the report time, else from the vehicle's latest registration ('?' = unknown).
CREATE OR REPLACE TEMP TABLE _dev_tickets AS
SELECT
    t.ticket_id, t.vehicle_id, t.terminal_phone, t.fault_kind, t.reported_at, t.repaired_at,
    coalesce(nullif(trim(t.maker_id), ''), a.maker_id, v.maker_id, '?') AS maker_id,
    coalesce(nullif(trim(t.device_model), ''), a.device_model, v.device_model, '?')
        AS device_model,
    (epoch(t.repaired_at) - epoch(t.reported_at)) / 3600.0 AS repair_hours,
    coalesce(epoch(t.repaired_at) - epoch(t.reported_at) <= s.repair_within_s, false) AS hit,
    -- censored: still open and reported less than repair_within_s before the data ends, so
    -- its 24 h are not over in the data; left out of the rate (listed, not failed)
    t.repaired_at IS NULL AND e.data_end IS NOT NULL
        AND epoch(e.data_end) - epoch(t.reported_at) < s.repair_within_s AS censored,
    CASE WHEN t.repaired_at IS NULL AND e.data_end IS NOT NULL
              AND epoch(e.data_end) - epoch(t.reported_at) < s.repair_within_s THEN 'censored'
         WHEN t.repaired_at IS NULL THEN 'open'
         WHEN epoch(t.repaired_at) - epoch(t.reported_at) > s.repair_within_s THEN 'repaired_late'
    END AS check_name,
    e.data_end
FROM core.fault_tickets t
CROSS JOIN rates.params s
CROSS JOIN (SELECT max(last_time) AS data_end FROM rates.vehicle_days WHERE period = $period) e
LEFT JOIN core.terminal_assignments a
       ON a.terminal_key = core.terminal_key(t.terminal_phone)
      AND t.reported_at >= a.valid_from_ts AND t.reported_at < a.valid_to_ts
LEFT JOIN (SELECT vehicle_id, maker_id, device_model FROM core.vehicles
           QUALIFY row_number() OVER (PARTITION BY vehicle_id
                                      ORDER BY valid_from DESC NULLS LAST, import_id DESC,
                                               source_row DESC) = 1) v
       ON v.vehicle_id = t.vehicle_id
WHERE t.reported_at >= CAST($t0 AS TIMESTAMPTZ) AND t.reported_at < CAST($t1 AS TIMESTAMPTZ);

-- name: outages
-- Vehicle-days with outages (from rates.vehicle_days), attributed to the maker/model of the
-- vehicle's terminal assignment at its last record of the day.
CREATE OR REPLACE TEMP TABLE _dev_outages AS
SELECT d.provider_id, d.vehicle_id, d.day,
       coalesce(any_value(a.maker_id), '?') AS maker_id,
       coalesce(any_value(a.device_model), '?') AS device_model,
       d.outages, d.points_expected, d.points_recovered
FROM rates.vehicle_days d
LEFT JOIN core.terminal_assignments a
       ON a.vehicle_id = d.vehicle_id
      AND d.last_time >= a.valid_from_ts AND d.last_time < a.valid_to_ts
WHERE d.period = $period AND d.vehicle_id IS NOT NULL AND d.points_expected > 0
GROUP BY d.provider_id, d.vehicle_id, d.day, d.outages, d.points_expected, d.points_recovered;

-- name: kpis
CREATE OR REPLACE TEMP TABLE _dev_kpis AS
WITH measured AS (
    SELECT maker_id, CASE WHEN grouping(device_model) = 1 THEN '*' ELSE device_model END
               AS device_model,
           'repair_24h' AS metric, CAST(count(*) FILTER (WHERE hit) AS DOUBLE) AS num,
           CAST(count(*) FILTER (WHERE NOT censored) AS DOUBLE) AS den,
           CAST(count(*) FILTER (WHERE censored) AS DOUBLE) AS censored
    FROM _dev_tickets
    GROUP BY GROUPING SETS ((maker_id, device_model), (maker_id))
    UNION ALL
    SELECT maker_id, CASE WHEN grouping(device_model) = 1 THEN '*' ELSE device_model END,
           'data_preservation', CAST(sum(points_recovered) AS DOUBLE),
           CAST(sum(points_expected) AS DOUBLE), NULL
    FROM _dev_outages
    GROUP BY GROUPING SETS ((maker_id, device_model), (maker_id))
)
SELECT CAST($period AS VARCHAR) AS period, x.maker_id, x.device_model, x.metric,
       x.num AS numerator, x.den AS denominator, x.censored,
       CASE WHEN x.den > 0 THEN x.num / x.den END AS rate,
       rates.wilson_low(CASE WHEN x.den > 0 THEN x.num / x.den END, x.den, s.ci_z) AS ci_low,
       rates.wilson_high(CASE WHEN x.den > 0 THEN x.num / x.den END, x.den, s.ci_z) AS ci_high
FROM measured x CROSS JOIN rates.params s
ORDER BY x.maker_id, x.device_model = '*' DESC, x.device_model, x.metric;

-- name: store_delete
DELETE FROM rates.device_kpis WHERE period = $period;

-- name: store
INSERT INTO rates.device_kpis BY NAME SELECT * FROM _dev_kpis;

-- name: store_official
UPDATE rates.periods SET devices_official = true WHERE period = $period;

-- name: verdicts
-- 标准化评价 per device maker: 合格 when every measurable KPI of the maker (all models) meets
-- its target ([device] repair_target, preservation_target: 100 % in the implementing opinion).
-- A maker without tickets or outages in the period has nothing failing.
CREATE OR REPLACE TEMP TABLE _dev_verdicts AS
WITH makers AS (
    SELECT maker_id FROM core.device_makers WHERE maker_id IS NOT NULL
    UNION SELECT maker_id FROM _dev_kpis WHERE maker_id <> '?'
),
fails AS (
    SELECT k.maker_id,
        list(format('{}（{}）{:.1f}% < target 目标 {:.0f}%', k.metric, m.name_zh, k.rate * 100,
                    m.target * 100) ORDER BY k.metric) AS reasons
    FROM _dev_kpis k JOIN rates.metrics m ON m.id = k.metric
    WHERE k.device_model = '*' AND k.rate IS NOT NULL AND m.target IS NOT NULL
      AND k.rate < m.target
    GROUP BY k.maker_id
)
SELECT CAST($period AS VARCHAR) AS period, 'device_maker' AS party, mk.maker_id AS subject_id,
       coalesce(f.reasons, CAST([] AS VARCHAR[])) AS reasons
FROM makers mk LEFT JOIN fails f ON f.maker_id = mk.maker_id;

-- name: store_verdicts_delete
DELETE FROM rates.verdicts WHERE period = $period AND party = 'device_maker';

-- name: store_verdicts
INSERT INTO rates.verdicts BY NAME
SELECT v.period, v.party, v.subject_id, v.reasons, len(v.reasons) = 0 AS passed,
       len(v.reasons) = 0 AS admitted,
       CASE WHEN len(v.reasons) = 0 THEN '合格' ELSE '不合格' END AS verdict,
       pe.data_coverage
FROM _dev_verdicts v LEFT JOIN rates.periods pe ON pe.period = v.period;

-- name: untracked
-- Faults visible in the data without a fault ticket, per maker/model: terminal fault alarm
-- bits (GNSS module 4, antenna open 5 / short 6, display 9, TTS 10, camera 11, IC card 12) per
-- vehicle x bit x Beijing day, and real-time silences longer than [device] silent_fault_s
-- while the vehicle moved more than silent_moved_km. A fault is tracked when a ticket of the
-- vehicle (or terminal) was reported before it ended + repair_within_s and not repaired
-- before it began.
CREATE OR REPLACE TEMP TABLE _dev_untracked AS
WITH s AS (SELECT * FROM rates.params),
bits AS (
    SELECT a.vehicle_id, a.terminal_phone, 'alarm:' || a.alarm_name AS kind,
           min(a.device_time) AS first_time, max(a.device_time) AS last_time,
           count(*) AS reports, CAST(NULL AS DOUBLE) AS moved_km
    FROM core.alarms a
    WHERE a.alarm_bit IN (4, 5, 6, 9, 10, 11, 12) AND a.vehicle_id IS NOT NULL
      AND a.device_time >= CAST($t0 AS TIMESTAMPTZ) AND a.device_time < CAST($t1 AS TIMESTAMPTZ)
    GROUP BY a.vehicle_id, a.terminal_phone, a.alarm_name, rates.beijing_day(a.device_time)
),
rt AS (
    SELECT p.vehicle_id, p.terminal_phone, p.device_time, p.lat_deg, p.lon_deg,
           lag(p.device_time) OVER w AS prev_time, lag(p.lat_deg) OVER w AS prev_lat,
           lag(p.lon_deg) OVER w AS prev_lon
    FROM core.positions p
    WHERE NOT p.is_backfill AND p.vehicle_id IS NOT NULL AND p.quality_ok
      AND p.device_time >= CAST($t0 AS TIMESTAMPTZ) - to_seconds(2 * (SELECT silent_fault_s FROM s))
      AND p.device_time < CAST($t1 AS TIMESTAMPTZ)
      -- only vehicles with an outage in the period (a long silence is one): keeps the scan small
      AND p.vehicle_id IN (SELECT vehicle_id FROM rates.vehicle_days
                           WHERE period = $period AND outages > 0 AND vehicle_id IS NOT NULL)
    WINDOW w AS (PARTITION BY p.vehicle_id ORDER BY p.device_time, p.pos_seq)
),
silent AS (
    SELECT rt.vehicle_id, rt.terminal_phone, 'silent_while_moving' AS kind,
           rt.prev_time AS first_time, rt.device_time AS last_time, 0 AS reports,
           rates.haversine_km(rt.prev_lat, rt.prev_lon, rt.lat_deg, rt.lon_deg) AS moved_km
    FROM rt CROSS JOIN s
    WHERE rt.device_time >= CAST($t0 AS TIMESTAMPTZ)
      AND epoch(rt.device_time) - epoch(rt.prev_time) > s.silent_fault_s
      AND rates.haversine_km(rt.prev_lat, rt.prev_lon, rt.lat_deg, rt.lon_deg) > s.silent_moved_km
),
faults AS (SELECT * FROM bits UNION ALL SELECT * FROM silent)
SELECT CAST($period AS VARCHAR) AS period,
       coalesce(any_value(a.maker_id), '?') AS maker_id,
       coalesce(any_value(a.device_model), '?') AS device_model,
       f.vehicle_id, f.terminal_phone, f.kind, f.first_time, f.last_time, f.reports, f.moved_km
FROM faults f
CROSS JOIN s
LEFT JOIN core.terminal_assignments a
       ON a.terminal_key = core.terminal_key(f.terminal_phone)
      AND f.last_time >= a.valid_from_ts AND f.last_time < a.valid_to_ts
WHERE NOT EXISTS (
    SELECT 1 FROM core.fault_tickets t
    WHERE (t.vehicle_id = f.vehicle_id
           OR core.terminal_key(t.terminal_phone) = core.terminal_key(f.terminal_phone))
      AND t.reported_at <= f.last_time + to_seconds(s.repair_within_s)
      AND (t.repaired_at IS NULL OR t.repaired_at >= f.first_time))
GROUP BY ALL;

-- name: store_untracked_delete
DELETE FROM rates.untracked_faults WHERE period = $period;

-- name: store_untracked
INSERT INTO rates.untracked_faults BY NAME SELECT * FROM _dev_untracked;

-- name: result
SELECT k.period, k.maker_id, k.device_model, k.metric, m.name_zh, m.name_en, m.number,
       m.unit, k.numerator, k.denominator, k.rate, k.ci_low, k.ci_high, k.censored, m.target,
       CASE WHEN k.rate IS NOT NULL AND m.target IS NOT NULL THEN k.rate >= m.target END
           AS meets_target
FROM rates.device_kpis k JOIN rates.metrics m ON m.id = k.metric
WHERE k.period = $period
ORDER BY k.maker_id, k.device_model = '*' DESC, k.device_model, m.ord;
