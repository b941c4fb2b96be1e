-- hazrisk.rates: device-maker KPIs of one period (hazrisk.rates.compute_devices), from the fault
-- tickets and the stored vehicle-days of the same period (rates.vehicle_days).

-- name: tickets
-- Fault tickets reported in the period; maker/model from the ticket, else from the terminal's
-- assignment at the report time, else from the vehicle's latest registration ('?' = unknown).
CREATE OR REPLACE TEMP TABLE _dev_tickets AS
SELECT
    t.ticket_id, t.vehicle_id, t.terminal_phone, t.fault_kind, t.reported_at, t.repaired_at,
    coalesce(nullif(trim(t.maker_id), ''), a.maker_id, v.maker_id, '?') AS maker_id,
    coalesce(nullif(trim(t.device_model), ''), a.device_model, v.device_model, '?')
        AS device_model,
    (epoch(t.repaired_at) - epoch(t.reported_at)) / 3600.0 AS repair_hours,
    coalesce(epoch(t.repaired_at) - epoch(t.reported_at) <= s.repair_within_s, false) AS hit,
    CASE WHEN t.repaired_at IS NULL THEN 'open'
         WHEN epoch(t.repaired_at) - epoch(t.reported_at) > s.repair_within_s THEN 'repaired_late'
    END AS check_name
FROM core.fault_tickets t
CROSS JOIN rates.params s
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
           CAST(count(*) AS DOUBLE) AS den
    FROM _dev_tickets
    GROUP BY GROUPING SETS ((maker_id, device_model), (maker_id))
    UNION ALL
    SELECT maker_id, CASE WHEN grouping(device_model) = 1 THEN '*' ELSE device_model END,
           'data_preservation', CAST(sum(points_recovered) AS DOUBLE),
           CAST(sum(points_expected) AS DOUBLE)
    FROM _dev_outages
    GROUP BY GROUPING SETS ((maker_id, device_model), (maker_id))
)
SELECT CAST($period AS VARCHAR) AS period, x.maker_id, x.device_model, x.metric,
       x.num AS numerator, x.den AS denominator,
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

-- name: result
SELECT k.period, k.maker_id, k.device_model, k.metric, m.name_zh, m.name_en, m.number,
       m.unit, k.numerator, k.denominator, k.rate, k.ci_low, k.ci_high
FROM rates.device_kpis k JOIN rates.metrics m ON m.id = k.metric
WHERE k.period = $period
ORDER BY k.maker_id, k.device_model = '*' DESC, k.device_model, m.ord;
