-- hazrisk.rates: the national 联网联控 indicators per logistics enterprise (交运发〔2016〕160号
-- enterprise table: 入网率, 上线率, 轨迹完整率, 数据合格率, 漂移车辆率), from the period's
-- vehicle results and vehicle-days (run inside compute_rates after them). A vehicle belongs to
-- the enterprise of its latest registration valid during the covered days; a vehicle served by
-- two providers counts once (hit when any of its rows hits). Points: rates.enterprise_weights
-- × rate (drift: × (1 − rate)), 0 beyond the registry's floor. The insurance data-quality gate
-- reads rates.enterprise_scores / mart.enterprise_data_quality.

-- name: scores
CREATE OR REPLACE TEMP TABLE _rates_ent AS
WITH s AS (SELECT ci_z FROM rates.params),
ent AS (
    SELECT vehicle_id, enterprise_id FROM core.vehicles
    WHERE enterprise_id IS NOT NULL
      AND (valid_from IS NULL OR valid_from <= CAST($cov_end AS DATE))
      AND (valid_to IS NULL OR valid_to >= CAST($cov_start AS DATE))
    QUALIFY row_number() OVER (PARTITION BY vehicle_id ORDER BY valid_from DESC NULLS LAST,
                                                                import_id DESC, source_row DESC) = 1
),
veh AS (  -- one outcome per vehicle and metric
    SELECT e.enterprise_id, r.vehicle_id, r.metric, bool_or(r.hit) AS hit
    FROM _rates_vr r JOIN ent e USING (vehicle_id)
    WHERE r.metric IN ('network_entry', 'online', 'drift_vehicles')
    GROUP BY ALL
),
vr AS (
    SELECT enterprise_id, metric, CAST(count(*) FILTER (WHERE hit) AS DOUBLE) AS num,
           CAST(count(*) AS DOUBLE) AS den, CAST(count(*) AS DOUBLE) AS n
    FROM veh GROUP BY ALL
),
rec AS (
    SELECT e.enterprise_id, CAST(sum(d.qualified) AS DOUBLE) AS qualified,
           CAST(sum(d.records) AS DOUBLE) AS records, sum(d.km_complete) AS km_complete,
           sum(d.km_total) AS km_total,
           CAST(count(*) FILTER (WHERE d.km_total > 0) AS DOUBLE) AS km_days
    FROM _rates_vd d JOIN ent e USING (vehicle_id)
    GROUP BY ALL
),
measured AS (
    SELECT * FROM vr
    UNION ALL SELECT enterprise_id, 'data_qualification', qualified, records, records FROM rec
    UNION ALL SELECT enterprise_id, 'trajectory_completeness_km', km_complete, km_total, km_days
        FROM rec
),
rated AS (
    SELECT x.*, CASE WHEN x.den > 0 THEN x.num / x.den END AS rate, m.floor, m.direction,
           w.weight
    FROM measured x
    JOIN rates.metrics m ON m.id = x.metric
    JOIN rates.enterprise_weights w ON w.metric = x.metric
)
SELECT CAST($period AS VARCHAR) AS period, r.enterprise_id, r.metric, r.num AS numerator,
       r.den AS denominator, r.rate,
       rates.wilson_low(r.rate, r.n, s.ci_z) AS ci_low,
       rates.wilson_high(r.rate, r.n, s.ci_z) AS ci_high,
       CASE WHEN r.rate IS NULL THEN NULL
            WHEN r.floor IS NOT NULL AND ((r.direction = 'higher' AND r.rate < r.floor)
                                          OR (r.direction = 'lower' AND r.rate > r.floor)) THEN 0.0
            WHEN r.direction = 'higher' THEN r.weight * r.rate
            ELSE r.weight * (1 - r.rate) END AS points,
       r.weight AS max_points,
       CASE WHEN r.rate IS NULL THEN NULL
            WHEN r.floor IS NULL THEN true
            WHEN r.direction = 'higher' THEN r.rate >= r.floor
            ELSE r.rate <= r.floor END AS within_floor
FROM rated r CROSS JOIN s;

-- name: store_delete
DELETE FROM rates.enterprise_scores WHERE period = $period;

-- name: store
INSERT INTO rates.enterprise_scores BY NAME SELECT * FROM _rates_ent;
