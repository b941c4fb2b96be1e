-- hazrisk.rates: the provider rates of one period, as named statements run in order by
-- hazrisk.rates.compute_rates(). Parameters ($name) are bound, never formatted:
--   $period, $t_lo, $t0, $t1 (ISO instants), $start_date, $end_date (ISO dates), $minutes.
-- Temporary tables: _rates_vd (vehicle-days, from rates.day_partials), _rates_entered,
-- _rates_conn, _rates_vr (vehicle results), _rates_pr (provider rates). The record-based figures
-- come from the day partials only (hazrisk/rates/sql/partials.sql).

-- name: params
CREATE OR REPLACE TABLE rates.params AS
SELECT
    CAST($moving_max_s AS DOUBLE) AS moving_max_s,
    CAST($parked_max_s AS DOUBLE) AS parked_max_s,
    CAST($interval_state AS VARCHAR) AS interval_state,
    CAST($gap_km AS DOUBLE) AS gap_km,
    CAST($gap_s AS DOUBLE) AS gap_s,
    CAST($implied_speed_kmh AS DOUBLE) AS implied_speed_kmh,
    CAST($spike_km AS DOUBLE) AS spike_km,
    CAST($neighbour_km AS DOUBLE) AS neighbour_km,
    CAST($lon_min AS DOUBLE) AS lon_min,
    CAST($lon_max AS DOUBLE) AS lon_max,
    CAST($lat_min AS DOUBLE) AS lat_min,
    CAST($lat_max AS DOUBLE) AS lat_max,
    CAST($gps_speed_max_kmh AS DOUBLE) AS gps_speed_max_kmh,
    CAST($tacho_speed_max_kmh AS DOUBLE) AS tacho_speed_max_kmh,
    CAST($heading_max_deg AS DOUBLE) AS heading_max_deg,
    CAST($altitude_min_m AS DOUBLE) AS altitude_min_m,
    CAST($altitude_max_m AS DOUBLE) AS altitude_max_m,
    CAST($time_max_future_s AS DOUBLE) AS time_max_future_s,
    CAST($status_reserved_2013 AS UBIGINT) AS status_reserved_2013,
    CAST($status_reserved_2019 AS UBIGINT) AS status_reserved_2019,
    CAST($alarm_reserved_2013 AS UBIGINT) AS alarm_reserved_2013,
    CAST($alarm_reserved_2019 AS UBIGINT) AS alarm_reserved_2019,
    CAST($plate_pattern AS VARCHAR) AS plate_pattern,
    CAST($plate_colors AS INTEGER[]) AS plate_colors,
    CAST($vin_pattern AS VARCHAR) AS vin_pattern,
    CAST($image_slots AS VARCHAR[]) AS image_slots,
    CAST($image_magic AS VARCHAR[]) AS image_magic,
    CAST($phone_pattern AS VARCHAR) AS phone_pattern,
    CAST($phone_max_age_days AS INTEGER) AS phone_max_age_days,
    CAST($domain_max_age_days AS INTEGER) AS domain_max_age_days,
    CAST($network_basis AS VARCHAR) AS network_basis,
    CAST($repair_within_s AS DOUBLE) AS repair_within_s,
    CAST($repair_target AS DOUBLE) AS repair_target,
    CAST($preservation_target AS DOUBLE) AS preservation_target,
    CAST($silent_fault_s AS DOUBLE) AS silent_fault_s,
    CAST($silent_moved_km AS DOUBLE) AS silent_moved_km,
    CAST($provider_pass_score AS DOUBLE) AS provider_pass_score,
    CAST($outage_factor AS DOUBLE) AS outage_factor,
    CAST($outage_parked_below_kmh AS DOUBLE) AS outage_parked_below_kmh,
    CAST($ci_z AS DOUBLE) AS ci_z,
    CAST($lookback_hours AS DOUBLE) AS lookback_hours;

-- name: vehicle_days
-- The period's vehicle-days: the stored day partials (hazrisk.rates.partials) of its days.
CREATE OR REPLACE TEMP TABLE _rates_vd AS
SELECT * EXCLUDE (run_id, computed_at)
FROM rates.day_partials
WHERE day BETWEEN CAST($start_date AS DATE) AND CAST($end_date AS DATE);

-- name: entered
-- 入网: vehicles that sent at least one qualified record up to the period end (any provider):
-- a vehicle-day partial with a qualified record up to the period end, or an entry found by
-- an earlier computation (rates.network_entries), so a vehicle's entry survives the retention
-- of the records (and partials) that showed it.
CREATE OR REPLACE TEMP TABLE _rates_entered AS
SELECT DISTINCT vehicle_id FROM rates.day_partials
WHERE qualified > 0 AND vehicle_id IS NOT NULL AND day <= CAST($end_date AS DATE)
UNION
SELECT vehicle_id FROM rates.network_entries WHERE entered_by <= CAST($t1 AS TIMESTAMPTZ);

-- name: coverage
-- The data's coverage of the period: Beijing days with at least one position record,
-- heartbeat or parameter answer (rates.day_runs.covered, from the day partials).
SELECT count(*) AS covered_days, min(day) AS first_day, max(day) AS last_day
FROM rates.day_runs
WHERE covered AND day BETWEEN CAST($start_date AS DATE) AND CAST($end_date AS DATE);

-- name: connectivity
-- 平台连通率 (a PROXY: terminal data, not the platform link): the covered days' minutes with
-- terminal data per provider gateway (rates.day_connectivity). Denominator: the covered minutes.
CREATE OR REPLACE TEMP TABLE _rates_conn AS
SELECT provider_id, sum(online_minutes) AS online_minutes
FROM rates.day_connectivity
WHERE day BETWEEN CAST($cov_start AS DATE) AND CAST($cov_end AS DATE)
GROUP BY provider_id;

-- name: vehicle_results
-- One row per (provider, vehicle[, day], metric) in a vehicle-based metric's denominator.
-- Judged against the data's coverage: registrations valid during [$cov_start, $cov_end] (the
-- first and last Beijing day with data in the period) and registry evidence (0x0104 answers,
-- images, verifications) as of $t_ref = the end of the last day with data, not the period end.
CREATE OR REPLACE TEMP TABLE _rates_vr AS
WITH
s AS (SELECT * FROM rates.params),
reg AS (  -- the provider's registration of the vehicle valid during the period (latest row)
    SELECT v.*
    FROM core.vehicles v
    WHERE v.provider_id IS NOT NULL
      AND (v.valid_from IS NULL OR v.valid_from <= CAST($cov_end AS DATE))
      AND (v.valid_to IS NULL OR v.valid_to >= CAST($cov_start AS DATE))
    QUALIFY row_number() OVER (PARTITION BY v.provider_id, v.vehicle_id
                               ORDER BY v.valid_from DESC NULLS LAST, v.import_id DESC,
                                        v.source_row DESC) = 1
),
dup AS (  -- plate + colour registered for more than one vehicle
    SELECT upper(trim(plate)) AS plate_key, plate_color,
           list(DISTINCT vehicle_id ORDER BY vehicle_id) AS vehicles
    FROM reg
    WHERE NOT rates.blank(plate)
    GROUP BY ALL
    HAVING count(DISTINCT vehicle_id) > 1
),
network AS (
    SELECT r.provider_id, r.vehicle_id, e.vehicle_id IS NOT NULL AS entered
    FROM reg r LEFT JOIN _rates_entered e ON e.vehicle_id = r.vehicle_id
),
innet AS (  -- vehicles in network ([rates] network_basis)
    SELECT n.provider_id, n.vehicle_id
    FROM network n CROSS JOIN s
    WHERE n.entered OR s.network_basis = 'registered'
),
r1 AS (  -- 1 车辆数据规范率
    SELECT r.provider_id, r.vehicle_id, CAST(NULL AS DATE) AS day,
        'vehicle_data_conformance' AS metric,
        list_filter([
            CASE WHEN rates.blank(r.plate) OR NOT regexp_matches(trim(r.plate), s.plate_pattern)
                 THEN 'plate' END,
            CASE WHEN r.plate_color IS NULL OR NOT list_contains(s.plate_colors, r.plate_color)
                 THEN 'plate_color' END,
            CASE WHEN rates.blank(r.vin) OR NOT regexp_matches(upper(trim(r.vin)), s.vin_pattern)
                 THEN 'vin' END,
            CASE WHEN rates.blank(r.transport_permit_no) THEN 'missing:transport_permit_no' END,
            CASE WHEN rates.blank(r.owner_name) THEN 'missing:owner_name' END,
            CASE WHEN rates.blank(r.vehicle_type) THEN 'missing:vehicle_type' END,
            CASE WHEN r.tonnage_t IS NULL THEN 'missing:tonnage_t' END,
            CASE WHEN rates.blank(r.hazmat_class) THEN 'missing:hazmat_class' END,
            CASE WHEN rates.blank(r.terminal_id) THEN 'missing:terminal_id' END,
            CASE WHEN rates.blank(r.terminal_phone) THEN 'missing:terminal_phone' END,
            CASE WHEN rates.blank(r.maker_id) THEN 'missing:maker_id' END,
            CASE WHEN rates.blank(r.device_model) THEN 'missing:device_model' END,
            CASE WHEN d.vehicles IS NOT NULL THEN 'duplicate_plate' END
        ], lambda x: x IS NOT NULL) AS checks,
        to_json({'plate': r.plate, 'plate_color': r.plate_color, 'vin': r.vin,
                 'vin_check_digit_ok': rates.vin_check_ok(trim(r.vin)),
                 'same_plate_vehicles': d.vehicles})::VARCHAR AS detail
    FROM innet i
    JOIN reg r ON r.provider_id = i.provider_id AND r.vehicle_id = i.vehicle_id
    CROSS JOIN s
    LEFT JOIN dup d ON d.plate_key = upper(trim(r.plate))
                   AND d.plate_color IS NOT DISTINCT FROM r.plate_color
),
answers AS (  -- 0x0104 answers carrying 0x0013, the latest per terminal up to the period end
    SELECT * FROM (
        SELECT core.terminal_key(a.terminal_phone) AS terminal_key, a.source_file_id,
               a.source_offset,
               any_value(coalesce(a.recv_time,
                   core.local_instant(CAST(f.source_date AS TIMESTAMP)))) AS answered_at,
               max(a.value_text) FILTER (WHERE a.param_id = 19) AS main_addr,
               max(a.value_text) FILTER (WHERE a.param_id = 23) AS backup_addr
        FROM core.param_answers a
        LEFT JOIN meta.ingested_files f ON f.file_id = a.source_file_id
        WHERE a.param_id IN (19, 23)
        GROUP BY core.terminal_key(a.terminal_phone), a.source_file_id, a.source_offset
        HAVING bool_or(a.param_id = 19)
    ) m
    WHERE m.answered_at IS NULL OR m.answered_at < CAST($t_ref AS TIMESTAMPTZ)
    QUALIFY row_number() OVER (PARTITION BY m.terminal_key
                               ORDER BY m.answered_at DESC NULLS LAST, m.source_file_id DESC,
                                        m.source_offset DESC) = 1
),
dom AS (
    SELECT i.provider_id, i.vehicle_id, a.terminal_key IS NOT NULL AS answered,
           a.answered_at, a.main_addr, a.backup_addr,
           pr.platform_domain,
           rates.server_hosts(a.main_addr) AS main_hosts,
           rates.server_hosts(a.backup_addr) AS backup_hosts,
           rates.server_hosts(pr.platform_domain) AS approved,
           s.domain_max_age_days
    FROM innet i CROSS JOIN s
    JOIN reg r ON r.provider_id = i.provider_id AND r.vehicle_id = i.vehicle_id
    LEFT JOIN answers a ON a.terminal_key = core.terminal_key(r.terminal_phone)
    LEFT JOIN (SELECT provider_id, any_value(platform_domain) AS platform_domain
               FROM core.providers GROUP BY provider_id) pr ON pr.provider_id = i.provider_id
),
r2 AS (  -- 2 终端域名设置正确率
    SELECT provider_id, vehicle_id, CAST(NULL AS DATE) AS day,
        'terminal_domain_correctness' AS metric,
        CASE
            WHEN NOT answered THEN ['no_answer']
            WHEN answered_at IS NULL THEN ['answer_time_unknown']
            WHEN answered_at < CAST($t_ref AS TIMESTAMPTZ) - to_days(domain_max_age_days)
                THEN ['answer_too_old']
            ELSE list_filter([
                CASE WHEN len(approved) = 0 THEN 'no_platform_domain' END,
                CASE WHEN len(main_hosts) = 0 THEN 'main_missing' END,
                CASE WHEN len(list_filter(main_hosts, lambda h: rates.is_ip(h))) > 0
                     THEN 'main_is_ip' END,
                CASE WHEN len(list_filter(main_hosts, lambda h: NOT rates.is_ip(h)
                                          AND NOT list_contains(approved, h))) > 0
                     THEN 'main_wrong_domain' END,
                CASE WHEN len(list_filter(backup_hosts, lambda h: rates.is_ip(h))) > 0
                     THEN 'backup_is_ip' END,
                CASE WHEN len(list_filter(backup_hosts, lambda h: NOT rates.is_ip(h)
                                          AND NOT list_contains(approved, h))) > 0
                     THEN 'backup_wrong_domain' END
            ], lambda x: x IS NOT NULL)
        END AS checks,
        to_json({'answered_at': answered_at, '0x0013': main_addr, '0x0017': backup_addr,
                 'platform_domain': platform_domain})::VARCHAR AS detail
    FROM dom
),
img AS (  -- latest upload per vehicle and slot up to the period end
    SELECT vehicle_id, slot, file_name, lower(trim(sha256)) AS sha256, lower(magic_hex) AS magic_hex,
           uploaded_at
    FROM core.images
    WHERE uploaded_at IS NULL OR uploaded_at < CAST($t_ref AS TIMESTAMPTZ)
    QUALIFY row_number() OVER (PARTITION BY vehicle_id, slot
                               ORDER BY uploaded_at DESC NULLS LAST, import_id DESC,
                                        source_row DESC) = 1
),
img_dup AS (  -- the same file in more than one (vehicle, slot)
    SELECT sha256, list(vehicle_id || '/' || slot ORDER BY vehicle_id, slot) AS owners
    FROM img, s
    WHERE NOT rates.blank(sha256) AND list_contains(s.image_slots, slot)
    GROUP BY sha256
    HAVING count(*) > 1
),
img_slots AS (
    SELECT i.provider_id, i.vehicle_id, sl.slot, m.file_name, m.sha256, m.magic_hex,
        CASE
            WHEN m.vehicle_id IS NULL THEN 'image_missing:' || sl.slot
            WHEN m.magic_hex IS NULL OR NOT list_bool_or(
                    list_transform(s.image_magic, lambda g: starts_with(m.magic_hex, g)))
                THEN 'image_undecodable:' || sl.slot
            WHEN d.owners IS NOT NULL THEN 'image_duplicate:' || sl.slot
        END AS check_name,
        d.owners
    FROM innet i
    CROSS JOIN s
    CROSS JOIN (SELECT unnest(image_slots) AS slot FROM rates.params) sl
    LEFT JOIN img m ON m.vehicle_id = i.vehicle_id AND m.slot = sl.slot
    LEFT JOIN img_dup d ON d.sha256 = m.sha256
),
r3 AS (  -- 3 图片上传正确率
    SELECT provider_id, vehicle_id, CAST(NULL AS DATE) AS day,
        'image_upload_correctness' AS metric,
        coalesce(list(check_name ORDER BY slot) FILTER (WHERE check_name IS NOT NULL),
                 CAST([] AS VARCHAR[])) AS checks,
        to_json(list({'slot': slot, 'file_name': file_name, 'sha256': sha256,
                      'magic_hex': magic_hex, 'same_file_as': owners} ORDER BY slot))::VARCHAR
            AS detail
    FROM img_slots
    GROUP BY provider_id, vehicle_id
),
ver AS (
    SELECT vehicle_id, trim(operator_phone) AS phone, verified_at, lower(trim(result)) AS result
    FROM core.phone_verifications
    WHERE verified_at IS NULL OR verified_at < CAST($t_ref AS TIMESTAMPTZ)
),
ph AS (
    SELECT i.provider_id, i.vehicle_id, trim(r.operator_phone) AS phone,
        any_value(s.phone_pattern) AS phone_pattern,
        coalesce(bool_or(v.result = 'pass' AND v.verified_at >= CAST($t_ref AS TIMESTAMPTZ)
                         - to_days(s.phone_max_age_days)), false) AS recent_pass,
        coalesce(bool_or(v.result = 'pass'), false) AS any_pass,
        coalesce(bool_or(v.result = 'fail'), false) AS any_fail,
        max(v.verified_at) FILTER (WHERE v.result = 'pass') AS last_pass
    FROM innet i CROSS JOIN s
    JOIN reg r ON r.provider_id = i.provider_id AND r.vehicle_id = i.vehicle_id
    LEFT JOIN ver v ON v.vehicle_id = i.vehicle_id
                   AND (rates.blank(v.phone) OR v.phone = trim(r.operator_phone))
    GROUP BY i.provider_id, i.vehicle_id, trim(r.operator_phone)
),
r4 AS (  -- 4 车辆经营者手机号码验证率
    SELECT provider_id, vehicle_id, CAST(NULL AS DATE) AS day,
        'operator_phone_verification' AS metric,
        CASE
            WHEN rates.blank(phone) THEN ['phone_missing']
            WHEN NOT regexp_matches(phone, phone_pattern) THEN ['phone_pattern']
            WHEN recent_pass THEN []
            WHEN any_pass THEN ['verification_too_old']
            WHEN any_fail THEN ['verification_failed']
            ELSE ['no_verification']
        END AS checks,
        to_json({'last_pass': last_pass})::VARCHAR AS detail
    FROM ph
),
entry AS (  -- N1 入网率 (denominator: registered vehicles)
    SELECT provider_id, vehicle_id, CAST(NULL AS DATE) AS day, 'network_entry' AS metric,
        CASE WHEN entered THEN [] ELSE ['never_qualified'] END AS checks,
        CAST(NULL AS VARCHAR) AS detail
    FROM network
),
vdv AS (  -- records per provider x vehicle
    SELECT provider_id, vehicle_id, sum(qualified) AS qualified, sum(drift_points) AS drift_points,
           sum(records) AS records
    FROM _rates_vd
    WHERE vehicle_id IS NOT NULL
    GROUP BY ALL
),
online AS (  -- N2 上线率
    SELECT i.provider_id, i.vehicle_id, CAST(NULL AS DATE) AS day, 'online' AS metric,
        CASE WHEN coalesce(v.qualified, 0) > 0 THEN []
             WHEN coalesce(v.records, 0) > 0 THEN ['no_qualified_record']
             ELSE ['no_record'] END AS checks,
        to_json({'records': coalesce(v.records, 0),
                 'qualified': coalesce(v.qualified, 0)})::VARCHAR AS detail
    FROM innet i
    LEFT JOIN vdv v ON v.provider_id = i.provider_id AND v.vehicle_id = i.vehicle_id
),
drift AS (  -- N3 漂移车辆率 (denominator: online vehicles; "checks" = what was found)
    SELECT v.provider_id, v.vehicle_id, CAST(NULL AS DATE) AS day, 'drift_vehicles' AS metric,
        CASE WHEN v.drift_points > 0 THEN ['drift_points:' || v.drift_points] ELSE [] END
            AS checks,
        to_json({'drift_points': v.drift_points, 'qualified': v.qualified})::VARCHAR AS detail
    FROM vdv v
    JOIN innet i ON i.provider_id = v.provider_id AND i.vehicle_id = v.vehicle_id
    WHERE v.qualified > 0
),
vday AS (  -- 6 轨迹完整率 (count form): vehicle-days of online vehicles
    SELECT v.provider_id, v.vehicle_id, v.day, 'trajectory_completeness' AS metric,
        CASE WHEN sum(v.incomplete_segments) > 0
             THEN ['incomplete_segments:' || sum(v.incomplete_segments)] ELSE [] END AS checks,
        to_json({'segments': sum(v.segments), 'incomplete_segments': sum(v.incomplete_segments),
                 'km_total': round(sum(v.km_total), 3),
                 'km_complete': round(sum(v.km_complete), 3)})::VARCHAR AS detail
    FROM _rates_vd v
    JOIN innet i ON i.provider_id = v.provider_id AND i.vehicle_id = v.vehicle_id
    GROUP BY v.provider_id, v.vehicle_id, v.day
    HAVING sum(v.qualified) > 0
),
everything AS (
    SELECT * FROM r1 UNION ALL SELECT * FROM r2 UNION ALL SELECT * FROM r3
    UNION ALL SELECT * FROM r4 UNION ALL SELECT * FROM entry UNION ALL SELECT * FROM online
    UNION ALL SELECT * FROM drift UNION ALL SELECT * FROM vday
)
SELECT provider_id, vehicle_id, day, metric,
    CASE WHEN metric = 'drift_vehicles' THEN len(checks) > 0 ELSE len(checks) = 0 END AS hit,
    checks, detail
FROM everything;

-- name: provider_rates
CREATE OR REPLACE TEMP TABLE _rates_pr AS
WITH
s AS (SELECT ci_z FROM rates.params),
prov AS (
    SELECT provider_id FROM core.providers WHERE provider_id IS NOT NULL
    UNION SELECT provider_id FROM _rates_vr
    UNION SELECT provider_id FROM _rates_vd
),
vr AS (
    SELECT provider_id, metric, CAST(count(*) FILTER (WHERE hit) AS DOUBLE) AS num,
           CAST(count(*) AS DOUBLE) AS den, CAST(count(*) AS DOUBLE) AS n
    FROM _rates_vr GROUP BY ALL
),
rec AS (
    SELECT provider_id,
        CAST(sum(interval_ok) AS DOUBLE) AS interval_ok,
        CAST(sum(interval_records) AS DOUBLE) AS interval_records,
        CAST(sum(records) AS DOUBLE) AS records,
        CAST(sum(qualified) AS DOUBLE) AS qualified,
        sum(km_complete) AS km_complete, sum(km_total) AS km_total,
        CAST(count(*) FILTER (WHERE km_total > 0) AS DOUBLE) AS km_days
    FROM _rates_vd GROUP BY ALL
),
measured AS (
    SELECT * FROM vr
    UNION ALL SELECT provider_id, 'upload_interval_qualification', interval_ok,
        interval_records, interval_records FROM rec
    UNION ALL SELECT provider_id, 'data_qualification', qualified, records, records FROM rec
    UNION ALL SELECT provider_id, 'trajectory_completeness_km', km_complete, km_total, km_days
        FROM rec
    UNION ALL SELECT p.provider_id, 'platform_connectivity',
        CAST(coalesce(c.online_minutes, 0) AS DOUBLE), CAST($covered_minutes AS DOUBLE),
        CAST($covered_minutes AS DOUBLE)
        FROM prov p LEFT JOIN _rates_conn c ON c.provider_id = p.provider_id
),
grid AS (
    SELECT p.provider_id, m.id AS metric, m.direction, m.floor, m.weight, m.national_weight,
           m.ord
    FROM prov p CROSS JOIN rates.metrics m
    WHERE m.party = 'provider'
),
rated AS (
    SELECT g.*, coalesce(x.num, 0) AS numerator, coalesce(x.den, 0) AS denominator,
        coalesce(x.n, 0) AS n_eff,
        CASE WHEN x.den > 0 THEN x.num / x.den END AS rate
    FROM grid g LEFT JOIN measured x ON x.provider_id = g.provider_id AND x.metric = g.metric
)
SELECT CAST($period AS VARCHAR) AS period, r.provider_id, r.metric, r.numerator, r.denominator,
    r.rate,
    rates.wilson_low(r.rate, r.n_eff, s.ci_z) AS ci_low,
    rates.wilson_high(r.rate, r.n_eff, s.ci_z) AS ci_high,
    r.n_eff,
    CASE WHEN r.rate IS NULL THEN NULL
         WHEN r.floor IS NOT NULL AND ((r.direction = 'higher' AND r.rate < r.floor)
                                       OR (r.direction = 'lower' AND r.rate > r.floor)) THEN 0.0
         WHEN r.direction = 'higher' THEN r.weight * r.rate
         ELSE r.weight * (1 - r.rate) END AS score,
    CASE WHEN r.rate IS NULL THEN NULL
         WHEN r.floor IS NOT NULL AND ((r.direction = 'higher' AND r.rate < r.floor)
                                       OR (r.direction = 'lower' AND r.rate > r.floor)) THEN 0.0
         WHEN r.direction = 'higher' THEN r.national_weight * r.rate
         ELSE r.national_weight * (1 - r.rate) END AS national_score
FROM rated r CROSS JOIN s
ORDER BY r.provider_id, r.ord;

-- name: store_delete
DELETE FROM rates.provider_rates WHERE period = $period;

-- name: store_rates
INSERT INTO rates.provider_rates BY NAME SELECT * FROM _rates_pr;

-- name: store_vehicle_results_delete
DELETE FROM rates.vehicle_results WHERE period = $period;

-- name: store_vehicle_results
INSERT INTO rates.vehicle_results BY NAME
SELECT CAST($period AS VARCHAR) AS period, * FROM _rates_vr;

-- name: store_vehicle_days_delete
DELETE FROM rates.vehicle_days WHERE period = $period;

-- name: store_vehicle_days
INSERT INTO rates.vehicle_days BY NAME
SELECT CAST($period AS VARCHAR) AS period, * FROM _rates_vd;

-- name: store_entries
INSERT INTO rates.network_entries
SELECT vehicle_id, CAST($t1 AS TIMESTAMPTZ) FROM _rates_entered WHERE vehicle_id IS NOT NULL
ON CONFLICT (vehicle_id) DO UPDATE SET entered_by = least(entered_by, excluded.entered_by);

-- name: store_period
-- $official: an official run (`hazrisk rates`); otherwise a flag survives only under the same rules.
INSERT INTO rates.periods (period, kind, period_start, period_end, prev_period, rules_sha256,
                           computed_at, data_first_day, data_last_day, covered_days,
                           data_coverage, partial, official, devices_official)
VALUES ($period, $kind, CAST($start_date AS DATE), CAST($end_date AS DATE), $prev_period,
        $rules_sha256, current_timestamp, CAST($cov_start AS DATE), CAST($cov_end AS DATE),
        $covered_days, $data_coverage, $data_coverage < 1, $official, false)
ON CONFLICT (period) DO UPDATE SET
    kind = excluded.kind, period_start = excluded.period_start,
    period_end = excluded.period_end, prev_period = excluded.prev_period,
    computed_at = excluded.computed_at, data_first_day = excluded.data_first_day,
    data_last_day = excluded.data_last_day, covered_days = excluded.covered_days,
    data_coverage = excluded.data_coverage, partial = excluded.partial,
    official = excluded.official OR (official AND rules_sha256 = excluded.rules_sha256),
    devices_official = devices_official AND rules_sha256 = excluded.rules_sha256,
    rules_sha256 = excluded.rules_sha256;

-- name: result
SELECT r.period, r.provider_id AS provider, r.provider_id, r.metric, m.name_zh, m.name_en, m.number, m.unit,
       r.numerator, r.denominator, r.rate, r.ci_low, r.ci_high, r.n_eff, r.score,
       r.national_score, pe.data_coverage, pe.partial
FROM rates.provider_rates r JOIN rates.metrics m ON m.id = r.metric
LEFT JOIN rates.periods pe ON pe.period = r.period
WHERE r.period = $period
ORDER BY r.provider_id, m.ord;

-- name: verdicts
-- 标准化评价 verdict per provider (implementing opinion: 评价合格的主体进入智能安全管理体系):
-- 合格 when every scored metric (composite weight > 0) is measurable and within its floor, and
-- the composite score reaches [verdict] provider_pass_score; otherwise 不合格 with the reasons.
CREATE OR REPLACE TEMP TABLE _rates_verdicts AS
WITH s AS (SELECT provider_pass_score FROM rates.params),
r AS (
    SELECT p.provider_id, p.metric, p.rate, p.score, m.name_zh, m.weight, m.floor, m.direction
    FROM _rates_pr p JOIN rates.metrics m ON m.id = p.metric
),
per AS (
    SELECT provider_id, sum(coalesce(score, 0)) AS score,
        list(CASE
            WHEN weight > 0 AND rate IS NULL
                THEN metric || '（' || name_zh || '）not measurable 无法计算'
            WHEN weight > 0 AND floor IS NOT NULL AND direction = 'higher' AND rate < floor
                THEN format('{}（{}）{:.1f}% < floor 下限 {:.1f}%', metric, name_zh,
                            rate * 100, floor * 100)
            WHEN weight > 0 AND floor IS NOT NULL AND direction = 'lower' AND rate > floor
                THEN format('{}（{}）{:.1f}% > ceiling 上限 {:.1f}%', metric, name_zh,
                            rate * 100, floor * 100)
        END ORDER BY metric) AS metric_reasons
    FROM r GROUP BY provider_id
)
SELECT CAST($period AS VARCHAR) AS period, 'provider' AS party, per.provider_id AS subject_id,
    per.score, s.provider_pass_score AS pass_mark,
    list_filter(list_concat(
        per.metric_reasons,
        [CASE WHEN per.score < s.provider_pass_score
              THEN format('composite score 综合得分 {:.1f} < pass mark 合格线 {:.1f}', per.score,
                          s.provider_pass_score) END]), lambda x: x IS NOT NULL) AS reasons,
    CAST($data_coverage AS DOUBLE) AS data_coverage
FROM per CROSS JOIN s;

-- name: store_verdicts_delete
DELETE FROM rates.verdicts WHERE period = $period AND party = 'provider';

-- name: store_verdicts
INSERT INTO rates.verdicts BY NAME
SELECT period, party, subject_id, score, pass_mark, reasons, data_coverage,
       len(reasons) = 0 AS passed, len(reasons) = 0 AS admitted,
       CASE WHEN len(reasons) = 0 THEN '合格' ELSE '不合格' END AS verdict
FROM _rates_verdicts;

-- name: store_metrics
CREATE OR REPLACE TABLE rates.metrics AS SELECT * FROM _rates_metrics_in;

-- name: store_enterprise_weights
CREATE OR REPLACE TABLE rates.enterprise_weights AS SELECT * FROM _rates_ent_weights_in;

-- name: drop_working_tables
DROP TABLE IF EXISTS temp._rates_vd;
DROP TABLE IF EXISTS temp._rates_entered;
DROP TABLE IF EXISTS temp._rates_conn;
DROP TABLE IF EXISTS temp._rates_vr;
DROP TABLE IF EXISTS temp._rates_pr;
DROP TABLE IF EXISTS temp._rates_ent;
DROP TABLE IF EXISTS temp._rates_verdicts;

-- name: period_rules_sha256
SELECT rules_sha256 FROM rates.periods WHERE period = $period;

-- name: period_stored
SELECT count(*) AS n FROM rates.periods WHERE period = $period;

-- name: ranking
SELECT * EXCLUDE (official) FROM rates.provider_ranking WHERE period = $period
ORDER BY rank, provider_id;
