-- hazrisk.rates published relations (copied by `hazrisk publish` with every mart.* relation).

-- Provider x period x metric with the registry's names (rates.metrics).
CREATE OR REPLACE VIEW mart.provider_rates AS
SELECT r.period, pe.period_start, pe.period_end, r.provider_id, p.name AS provider_name,
       r.metric, m.number, m.name_zh, m.name_en, m.unit, m.direction,
       r.numerator, r.denominator, r.rate, r.ci_low, r.ci_high, r.n_eff,
       m.floor, m.weight, r.score, m.national_weight, r.national_score
FROM rates.provider_rates r
JOIN rates.metrics m ON m.id = r.metric
LEFT JOIN rates.periods pe ON pe.period = r.period
LEFT JOIN (SELECT provider_id, any_value(name) AS name FROM core.providers GROUP BY provider_id) p
       ON p.provider_id = r.provider_id;

-- Composite score per provider and period, its rank, and the change against the previous
-- period (previous calendar month, or the equal range just before) when that was computed.
-- rank_change > 0: moved up. coverage: share of the composite weight with a measurable rate.
CREATE OR REPLACE VIEW mart.provider_ranking AS
WITH totals AS (
    SELECT r.period, r.provider_id,
           sum(coalesce(r.score, 0)) AS score,
           sum(coalesce(r.national_score, 0)) AS national_score,
           sum(m.weight) FILTER (WHERE r.rate IS NOT NULL) / nullif(sum(m.weight), 0) AS coverage
    FROM rates.provider_rates r JOIN rates.metrics m ON m.id = r.metric
    GROUP BY r.period, r.provider_id
),
ranked AS (
    SELECT *, rank() OVER (PARTITION BY period ORDER BY score DESC) AS rank,
           rank() OVER (PARTITION BY period ORDER BY national_score DESC) AS national_rank
    FROM totals
)
SELECT c.period, pe.period_start, pe.period_end, c.provider_id, p.name AS provider_name,
       c.score, c.rank, c.national_score, c.national_rank, c.coverage,
       pe.prev_period, prev.score AS prev_score, prev.rank AS prev_rank,
       c.score - prev.score AS score_change, prev.rank - c.rank AS rank_change,
       c.national_score - prev.national_score AS national_score_change
FROM ranked c
JOIN rates.periods pe ON pe.period = c.period
LEFT JOIN ranked prev ON prev.period = pe.prev_period AND prev.provider_id = c.provider_id
LEFT JOIN (SELECT provider_id, any_value(name) AS name FROM core.providers GROUP BY provider_id) p
       ON p.provider_id = c.provider_id;

-- Device maker x model KPIs (device_model '*' = all models of the maker).
CREATE OR REPLACE VIEW mart.device_kpis AS
SELECT k.period, pe.period_start, pe.period_end, k.maker_id, dm.name AS maker_name,
       k.device_model, k.metric, m.number, m.name_zh, m.name_en, m.unit,
       k.numerator, k.denominator, k.rate, k.ci_low, k.ci_high
FROM rates.device_kpis k
JOIN rates.metrics m ON m.id = k.metric
LEFT JOIN rates.periods pe ON pe.period = k.period
LEFT JOIN (SELECT maker_id, any_value(name) AS name FROM core.device_makers GROUP BY maker_id) dm
       ON dm.maker_id = k.maker_id;

-- The metric registry as published (definitions, weights, floors, sources).
CREATE OR REPLACE VIEW mart.rate_metrics AS
SELECT * EXCLUDE (ord) FROM rates.metrics ORDER BY ord;

-- Provider x period x metric x vehicle (or unknown terminal '?<key>'): how much of the vehicle
-- fails the metric (the drill-down behind "worst vehicles per failing rate" in the reports and
-- the portal). Vehicle-based metrics: failing = vehicles (vehicle-days for the count form of
-- 轨迹完整率) not in the numerator, from rates.vehicle_results; record-based metrics: failing
-- records (数据合格率, 上传时间间隔合格率) or km in incomplete segments (轨迹完整率 mileage),
-- from rates.vehicle_days. Only rows with something failing.
CREATE OR REPLACE VIEW mart.rate_vehicle_failures AS
WITH per_vehicle AS (
    SELECT period, provider_id, vehicle_id AS unit_id, vehicle_id, metric,
           CAST(count(*) FILTER (WHERE NOT hit) AS DOUBLE) AS failing,
           CAST(count(*) AS DOUBLE) AS total,
           array_to_string(list_sort(list_distinct(flatten(
               list(checks) FILTER (WHERE NOT hit)))), ', ') AS checks
    FROM rates.vehicle_results GROUP BY ALL
),
per_record AS (
    SELECT period, provider_id, unit_id, any_value(vehicle_id) AS vehicle_id,
           'data_qualification' AS metric, CAST(sum(records - qualified) AS DOUBLE) AS failing,
           CAST(sum(records) AS DOUBLE) AS total, NULL AS checks
    FROM rates.vehicle_days GROUP BY period, provider_id, unit_id
    UNION ALL
    SELECT period, provider_id, unit_id, any_value(vehicle_id),
           'upload_interval_qualification', CAST(sum(interval_records - interval_ok) AS DOUBLE),
           CAST(sum(interval_records) AS DOUBLE), NULL
    FROM rates.vehicle_days GROUP BY period, provider_id, unit_id
    UNION ALL
    SELECT period, provider_id, unit_id, any_value(vehicle_id),
           'trajectory_completeness_km', sum(km_total - km_complete), sum(km_total), NULL
    FROM rates.vehicle_days GROUP BY period, provider_id, unit_id
),
failing AS (
    SELECT * FROM per_vehicle UNION ALL BY NAME SELECT * FROM per_record
)
SELECT f.period, f.provider_id, f.metric, m.name_zh, m.unit, f.unit_id, f.vehicle_id,
       v.plate, f.failing, f.total, f.failing / nullif(f.total, 0) AS failing_share, f.checks
FROM failing f
JOIN rates.metrics m ON m.id = f.metric
LEFT JOIN (SELECT vehicle_id, any_value(plate) AS plate FROM core.vehicles GROUP BY vehicle_id) v
       ON v.vehicle_id = f.vehicle_id
WHERE f.failing > 0;
