-- hazrisk.rates published relations (copied by `hazrisk publish` with every mart.* relation).
-- The mart holds official periods only (rates.periods.official / devices_official); previews
-- and the drill-down's working data stay in rates.*.

-- Provider x period x metric with the registry's names (rates.metrics).
CREATE OR REPLACE VIEW mart.provider_rates AS
SELECT r.period, pe.period_start, pe.period_end, r.provider_id, p.name AS provider_name,
       r.metric, m.number, m.name_zh, m.name_en, m.unit, m.direction,
       r.numerator, r.denominator, r.rate, r.ci_low, r.ci_high, r.n_eff,
       m.floor, m.weight, r.score, m.national_weight, r.national_score
FROM rates.provider_rates r
JOIN rates.metrics m ON m.id = r.metric
JOIN rates.periods pe ON pe.period = r.period AND pe.official
LEFT JOIN (SELECT provider_id, any_value(name) AS name FROM core.providers GROUP BY provider_id) p
       ON p.provider_id = r.provider_id;

-- Composite score per provider and stored period, its rank, and the change against the
-- previous period (previous calendar month, or the equal range just before) when that is
-- official. rank_change > 0: moved up. coverage: share of the composite weight with a
-- measurable rate; data_coverage: share of the period's days with data (partial = below 1).
-- `hazrisk rates --ranking` reads it (previews included); the mart below keeps the official
-- periods.
CREATE OR REPLACE VIEW rates.provider_ranking AS
WITH totals AS (
    SELECT r.period, r.provider_id,
           sum(coalesce(r.score, 0)) AS score,
           sum(coalesce(r.national_score, 0)) AS national_score,
           sum(m.weight) FILTER (WHERE r.rate IS NOT NULL) / nullif(sum(m.weight), 0) AS coverage
    FROM rates.provider_rates r JOIN rates.metrics m ON m.id = r.metric
    GROUP BY r.period, r.provider_id
),
ranked AS (  -- 不合格 providers rank after every 合格 one (issue 13), then by score
    SELECT t.*, rank() OVER (PARTITION BY t.period
                             ORDER BY coalesce(v.passed, false) DESC, t.score DESC) AS rank,
           rank() OVER (PARTITION BY t.period ORDER BY t.national_score DESC) AS national_rank
    FROM totals t
    LEFT JOIN rates.verdicts v ON v.period = t.period AND v.party = 'provider'
                              AND v.subject_id = t.provider_id
)
SELECT c.period, pe.period_start, pe.period_end, c.provider_id, p.name AS provider_name,
       c.score, c.rank, c.national_score, c.national_rank, c.coverage,
       pe.prev_period, prev.score AS prev_score, prev.rank AS prev_rank,
       c.score - prev.score AS score_change, prev.rank - c.rank AS rank_change,
       c.national_score - prev.national_score AS national_score_change,
       pe.data_first_day, pe.data_last_day, pe.covered_days, pe.data_coverage, pe.partial,
       v.verdict, v.reasons AS verdict_reasons, pe.official
FROM ranked c
JOIN rates.periods pe ON pe.period = c.period
LEFT JOIN rates.verdicts v ON v.period = c.period AND v.party = 'provider'
                          AND v.subject_id = c.provider_id
LEFT JOIN ranked prev ON prev.period = pe.prev_period AND prev.provider_id = c.provider_id
       AND prev.period IN (SELECT period FROM rates.periods WHERE official)
LEFT JOIN (SELECT provider_id, any_value(name) AS name FROM core.providers GROUP BY provider_id) p
       ON p.provider_id = c.provider_id;

CREATE OR REPLACE VIEW mart.provider_ranking AS
SELECT * EXCLUDE (official) FROM rates.provider_ranking WHERE official;

-- Device maker x model KPIs (device_model '*' = all models of the maker).
CREATE OR REPLACE VIEW mart.device_kpis AS
SELECT k.period, pe.period_start, pe.period_end, k.maker_id, dm.name AS maker_name,
       k.device_model, k.metric, m.number, m.name_zh, m.name_en, m.unit,
       k.numerator, k.denominator, k.rate, k.ci_low, k.ci_high, k.censored,
       m.target, CASE WHEN k.rate IS NOT NULL AND m.target IS NOT NULL
                      THEN k.rate >= m.target END AS meets_target
FROM rates.device_kpis k
JOIN rates.metrics m ON m.id = k.metric
JOIN rates.periods pe ON pe.period = k.period AND pe.devices_official
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
JOIN rates.periods pe ON pe.period = f.period AND pe.official
LEFT JOIN (SELECT vehicle_id, any_value(plate) AS plate FROM core.vehicles GROUP BY vehicle_id) v
       ON v.vehicle_id = f.vehicle_id
WHERE f.failing > 0;

-- 标准化评价 verdicts (合格/不合格) of providers and device makers, with every reason.
CREATE OR REPLACE VIEW mart.evaluation_verdicts AS
SELECT v.period, pe.period_start, pe.period_end, v.party, v.subject_id,
       coalesce(p.name, dm.name) AS subject_name, v.verdict, v.passed, v.admitted, v.score,
       v.pass_mark, v.reasons, v.data_coverage, pe.partial
FROM rates.verdicts v
JOIN rates.periods pe ON pe.period = v.period
 AND (CASE WHEN v.party = 'device_maker' THEN pe.devices_official ELSE pe.official END)
LEFT JOIN (SELECT provider_id, any_value(name) AS name FROM core.providers GROUP BY ALL) p
       ON v.party = 'provider' AND p.provider_id = v.subject_id
LEFT JOIN (SELECT maker_id, any_value(name) AS name FROM core.device_makers GROUP BY ALL) dm
       ON v.party = 'device_maker' AND dm.maker_id = v.subject_id;

-- The admission list: subjects evaluated 合格 (implementing opinion: 评价合格的主体进入智能安全管理体系).
CREATE OR REPLACE VIEW mart.admission_list AS
SELECT period, party, subject_id, subject_name, score, data_coverage, partial
FROM mart.evaluation_verdicts WHERE admitted;

-- The national 联网联控 indicators per logistics enterprise (the insurance data-quality gate's input).
CREATE OR REPLACE VIEW mart.enterprise_data_quality AS
SELECT s.period, pe.period_start, pe.period_end, s.enterprise_id, e.name AS enterprise_name,
       s.metric, m.name_zh, m.name_en, s.numerator, s.denominator, s.rate, s.ci_low, s.ci_high,
       s.points, s.max_points, s.within_floor, m.floor, pe.data_coverage, pe.partial
FROM rates.enterprise_scores s
JOIN rates.metrics m ON m.id = s.metric
JOIN rates.periods pe ON pe.period = s.period AND pe.official
LEFT JOIN (SELECT enterprise_id, any_value(name) AS name FROM core.enterprises GROUP BY ALL) e
       ON e.enterprise_id = s.enterprise_id;

-- Faults visible in the data without a fault ticket, per device maker and model (the terminal
-- number is a SIM number: masked).
CREATE OR REPLACE VIEW mart.untracked_faults AS
SELECT u.period, u.maker_id, dm.name AS maker_name, u.device_model, u.vehicle_id,
       mart.mask_phone(u.terminal_phone) AS terminal_phone, u.kind, u.first_time, u.last_time,
       u.reports, u.moved_km
FROM rates.untracked_faults u
JOIN rates.periods pe ON pe.period = u.period AND pe.devices_official
LEFT JOIN (SELECT maker_id, any_value(name) AS name FROM core.device_makers GROUP BY ALL) dm
       ON dm.maker_id = u.maker_id;

-- Column comments of the views above that issue 13 added or extended (Chinese / English).
