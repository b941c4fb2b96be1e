-- Stage (registered frame safety_stage_violations, times as epoch seconds) -> safety.violations.
INSERT INTO safety.violations BY NAME
SELECT md5(rule_id || '|' || vehicle_id || '|'
           || CAST(CAST(round(start_t * 1e6) AS BIGINT) AS VARCHAR)) AS violation_id,
       rule_id, rule_group, rule_name_zh, vehicle_id, enterprise_id, provider_id,
       terminal_phone,
       make_timestamptz(CAST(round(start_t * 1e6) AS BIGINT)) AS start_time,
       make_timestamptz(CAST(round(end_t * 1e6) AS BIGINT)) AS end_time,
       end_t - start_t AS duration_s,
       core.local_day(make_timestamptz(CAST(round(start_t * 1e6) AS BIGINT))) AS day,
       lat_deg, lon_deg, end_lat_deg, end_lon_deg, distance_km, peak_speed_kmh, avg_speed_kmh,
       limit_kmh, over_ratio, severity,
       CAST(alarm_type AS INTEGER) AS alarm_type, CAST(alarm_level AS INTEGER) AS alarm_level,
       params_json, detail_json,
       'unhandled' AS handling_status,
       $now AS detected_at,
       $version AS hazrisk_version
FROM safety_stage_violations
