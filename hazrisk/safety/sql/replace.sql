-- The writes of hazrisk/safety/tables.py around the detection SQL files: a detection run
-- replaces its range's rows, then counts what it stored.

-- name: delete_vehicle_months_with_positions
-- only months the warehouse has positions for: a detect run over days whose positions are
-- gone (retention) must not overwrite the long-lived history with empty months
DELETE FROM safety.vehicle_months WHERE month IN (SELECT month FROM safety_months_with_positions);

-- name: delete_archive_months
DELETE FROM safety.vehicle_months WHERE month >= $m0 AND month < $m1 AND source = 'archive';

-- name: delete_violations
DELETE FROM safety.violations WHERE start_time >= $t0 AND start_time < $t1;

-- name: delete_tampering
DELETE FROM safety.tampering WHERE day >= $d0 AND day < $d1;

-- name: delete_vehicle_days
DELETE FROM safety.vehicle_days WHERE day >= $d0 AND day < $d1;

-- name: delete_enterprise_months
DELETE FROM safety.enterprise_months WHERE month_start >= $m0 AND month_start < $m1;

-- name: delete_enterprise_month_rules
DELETE FROM safety.enterprise_month_rules WHERE period >= $p0 AND period < $p1;

-- name: count_staged_violations
SELECT count(*) FROM safety_stage_violations;

-- name: insert_run
-- one row per detected range; the ranges of one invocation share $run_id
INSERT INTO safety.runs (run_at, start_day, end_day, vehicles, positions, violations, duration_s,
                         params_json, hazrisk_version, run_id, command)
VALUES ($now, $d0, $d1, $veh, $pos, $n, $dur, $pj, $v, $run_id, $command);

-- name: violations_by_rule
SELECT rule_id, count(*) FROM safety.violations WHERE start_time >= $t0 AND start_time < $t1
GROUP BY rule_id ORDER BY rule_id;

-- name: count_vehicle_days
SELECT count(*) FROM safety.vehicle_days WHERE day >= $d0 AND day < $d1;

-- name: count_enterprise_months
SELECT count(*) FROM safety.enterprise_months WHERE month_start >= $m0 AND month_start < $m1;

-- name: count_detected_vehicle_months
SELECT count(*) FROM safety.vehicle_months WHERE month >= $m0 AND month < $m1
  AND source = 'detected';
