-- hazrisk.rates drill-down (hazrisk.rates.explain): the failing vehicles or records of one
-- metric, with the failing check named. Columns: party_id (provider or maker), vehicle_id
-- ('?<terminal>' for an unregistered terminal), label (plate; device model for makers), day, time, pos_seq, checks (VARCHAR[]), detail (JSON text), total (all failing rows).

-- name: vehicle
-- Vehicle-based metrics, from the stored rates.vehicle_results of the period.
SELECT r.provider_id AS party_id, r.vehicle_id, v.plate AS label, r.day,
       CAST(NULL AS TIMESTAMPTZ) AS time, CAST(NULL AS BIGINT) AS pos_seq, r.checks, r.detail,
       count(*) OVER () AS total
FROM rates.vehicle_results r
LEFT JOIN (SELECT vehicle_id, provider_id, any_value(plate) AS plate FROM core.vehicles
           GROUP BY ALL) v
       ON v.vehicle_id = r.vehicle_id AND v.provider_id = r.provider_id
WHERE r.period = $period AND r.metric = $metric AND r.provider_id = $provider
  AND r.hit = $failing_hit
ORDER BY r.vehicle_id, r.day
LIMIT $limit;

-- name: interval
SELECT f.provider_id AS party_id, f.unit_id AS vehicle_id, CAST(NULL AS VARCHAR) AS label, f.day, f.device_time AS time,
       f.pos_seq, [f.interval_fail] AS checks,
       to_json({'gap_s': f.gap_s, 'allowed_gap_s': f.allowed_gap_s, 'prev_time': f.prev_time,
                'gap_km': round(f.gap_km, 3),
                'backfilled': f.is_backfill})::VARCHAR AS detail,
       count(*) OVER () AS total
FROM rates.position_flags_between(CAST($t_lo AS TIMESTAMPTZ), CAST($t0 AS TIMESTAMPTZ),
                                  CAST($t1 AS TIMESTAMPTZ), CAST($provider AS VARCHAR)) f
WHERE f.in_period AND f.provider_id = $provider AND NOT f.interval_ok
ORDER BY f.unit_id, f.device_time NULLS LAST, f.pos_seq
LIMIT $limit;

-- name: qualification
SELECT x.party_id, x.vehicle_id, x.label, x.day, x.time, x.pos_seq, x.checks,
       to_json({'terminal_phone': p.terminal_phone, 'device_time': p.device_time,
                'recv_time': p.recv_time, 'lat_deg': p.lat_deg, 'lon_deg': p.lon_deg,
                'speed_kmh': p.speed_kmh, 'tacho_speed_kmh': p.tacho_speed_kmh,
                'heading_deg': p.heading_deg, 'altitude_m': p.altitude_m,
                'status': p.status, 'alarm': p.alarm, 'version': p.version,
                'source_file_id': p.source_file_id,
                'source_offset': p.source_offset})::VARCHAR AS detail,
       x.total
FROM (
    SELECT f.provider_id AS party_id, f.unit_id AS vehicle_id, CAST(NULL AS VARCHAR) AS label, f.day,
           f.device_time AS time, f.pos_seq, rates.check_names(f.qual_bits) AS checks,
           count(*) OVER () AS total
    FROM rates.position_flags_between(CAST($t_lo AS TIMESTAMPTZ), CAST($t0 AS TIMESTAMPTZ),
                                      CAST($t1 AS TIMESTAMPTZ), CAST($provider AS VARCHAR)) f
    WHERE f.in_period AND f.provider_id = $provider AND NOT f.qualified
    ORDER BY f.unit_id, f.device_time NULLS LAST, f.pos_seq
    LIMIT $limit
) x JOIN core.positions p ON p.pos_seq = x.pos_seq
ORDER BY x.vehicle_id, x.time NULLS LAST, x.pos_seq;

-- name: segments
SELECT f.provider_id AS party_id, f.unit_id AS vehicle_id, CAST(NULL AS VARCHAR) AS label, f.day, f.device_time AS time,
       f.pos_seq, ['incomplete_segment'] AS checks,
       to_json({'from': f.seg_prev_time, 'to': f.device_time, 'seg_s': f.seg_s,
                'seg_km': round(f.seg_km, 3)})::VARCHAR AS detail,
       count(*) OVER () AS total
FROM rates.position_flags_between(CAST($t_lo AS TIMESTAMPTZ), CAST($t0 AS TIMESTAMPTZ),
                                  CAST($t1 AS TIMESTAMPTZ), CAST($provider AS VARCHAR)) f
WHERE f.in_period AND f.provider_id = $provider AND f.seg_incomplete
ORDER BY f.seg_km DESC, f.pos_seq
LIMIT $limit;

-- name: drift
SELECT f.provider_id AS party_id, f.unit_id AS vehicle_id, CAST(NULL AS VARCHAR) AS label, f.day, f.device_time AS time,
       f.pos_seq, ['drift:' || f.drift_reason] AS checks,
       to_json({'lat_deg': f.lat_deg, 'lon_deg': f.lon_deg,
                'implied_speed_kmh': round(f.implied_speed_kmh, 1),
                'reason': f.drift_reason})::VARCHAR AS detail,
       count(*) OVER () AS total
FROM rates.position_flags_between(CAST($t_lo AS TIMESTAMPTZ), CAST($t0 AS TIMESTAMPTZ),
                                  CAST($t1 AS TIMESTAMPTZ), CAST($provider AS VARCHAR)) f
WHERE f.in_period AND f.provider_id = $provider AND f.drift
ORDER BY f.unit_id, f.device_time, f.pos_seq
LIMIT $limit;

-- name: connectivity
-- Offline stretches: runs of minutes of the period without data from the provider's gateway.
WITH m AS (
    SELECT DISTINCT minute FROM (
        SELECT CAST(floor(epoch(coalesce(p.recv_time, p.device_time)) / 60) AS BIGINT) AS minute
        FROM core.positions p
        WHERE NOT p.is_backfill AND coalesce(p.source_provider_id, p.provider_id) = $provider
          AND p.device_time >= CAST($t_lo AS TIMESTAMPTZ)
          AND p.device_time < CAST($t1 AS TIMESTAMPTZ) + INTERVAL 1 DAY
          AND coalesce(p.recv_time, p.device_time) >= CAST($t0 AS TIMESTAMPTZ)
          AND coalesce(p.recv_time, p.device_time) < CAST($t1 AS TIMESTAMPTZ)
        UNION ALL
        SELECT CAST(floor(epoch(h.recv_time) / 60) AS BIGINT)
        FROM core.heartbeats h JOIN meta.ingested_files f ON f.file_id = h.source_file_id
        WHERE f.source_provider_id = $provider
          AND h.recv_time >= CAST($t0 AS TIMESTAMPTZ) AND h.recv_time < CAST($t1 AS TIMESTAMPTZ)
    )
),
bounds AS (
    SELECT CAST(epoch(CAST($t0 AS TIMESTAMPTZ)) / 60 AS BIGINT) - 1 AS minute
    UNION ALL SELECT CAST(epoch(CAST($t1 AS TIMESTAMPTZ)) / 60 AS BIGINT)
),
seq AS (
    SELECT minute, lag(minute) OVER (ORDER BY minute) AS prev
    FROM (SELECT minute FROM m UNION ALL SELECT minute FROM bounds)
),
gaps AS (
    SELECT to_timestamp((prev + 1) * 60) AS first_offline, to_timestamp(minute * 60) AS back_at,
           minute - prev - 1 AS minutes
    FROM seq WHERE minute - prev > 1
)
SELECT CAST($provider AS VARCHAR) AS party_id, CAST(NULL AS VARCHAR) AS vehicle_id,
       CAST(NULL AS VARCHAR) AS label,
       core.local_day(first_offline) AS day, first_offline AS time,
       CAST(NULL AS BIGINT) AS pos_seq, ['offline_minutes:' || minutes] AS checks,
       to_json({'from': first_offline, 'until': back_at, 'minutes': minutes})::VARCHAR AS detail,
       count(*) OVER () AS total
FROM gaps
ORDER BY minutes DESC, first_offline
LIMIT $limit;

-- name: repair
SELECT maker_id AS party_id, vehicle_id, device_model AS label,
       core.local_day(reported_at) AS day, reported_at AS time,
       CAST(NULL AS BIGINT) AS pos_seq, [check_name] AS checks,
       to_json({'ticket_id': ticket_id, 'fault_kind': fault_kind, 'reported_at': reported_at,
                'repaired_at': repaired_at,
                'repair_hours': round(repair_hours, 2)})::VARCHAR AS detail,
       count(*) OVER () AS total
FROM _dev_tickets
WHERE NOT hit AND maker_id = $maker AND ($model IS NULL OR device_model = $model)
ORDER BY reported_at, ticket_id
LIMIT $limit;

-- name: preservation
-- Outages with points not recovered, for the maker's vehicles (whole-table pass).
WITH f AS (
    SELECT * FROM rates.position_flags_between(CAST($t_lo AS TIMESTAMPTZ), CAST($t0 AS TIMESTAMPTZ),
                                               CAST($t1 AS TIMESTAMPTZ), CAST(NULL AS VARCHAR))
),
rec AS (  -- backfilled records of each gap: recovered points and their share of the expected
    SELECT unit_id, prev_rt_time, sum(outage_recovered) AS recovered,
           sum(outage_expected) AS expected
    FROM f WHERE is_backfill GROUP BY ALL
),
gaps AS (
    SELECT f.*, f.outage_expected + coalesce(r.expected, 0) AS expected,
           least(coalesce(r.recovered, 0), f.outage_expected + coalesce(r.expected, 0))
               AS recovered
    FROM f LEFT JOIN rec r ON r.unit_id = f.unit_id AND r.prev_rt_time = f.prev_rt_time
    WHERE f.in_period AND NOT f.is_backfill AND f.outage
)
SELECT a.maker_id AS party_id, g.vehicle_id, a.device_model AS label, g.day,
       g.device_time AS time, g.pos_seq, ['points_lost:' || (g.expected - g.recovered)]
           AS checks,
       to_json({'gap_from': g.prev_rt_time, 'gap_to': g.device_time, 'gap_s': g.rt_gap_s,
                'interval_s': g.rt_interval_s, 'expected': g.expected,
                'recovered': g.recovered})::VARCHAR AS detail,
       count(*) OVER () AS total
FROM gaps g
JOIN core.terminal_assignments a
  ON a.vehicle_id = g.vehicle_id
 AND g.device_time >= a.valid_from_ts AND g.device_time < a.valid_to_ts
WHERE g.expected > g.recovered
  AND a.maker_id = $maker AND ($model IS NULL OR a.device_model = $model)
ORDER BY g.expected - g.recovered DESC, g.pos_seq
LIMIT $limit;
