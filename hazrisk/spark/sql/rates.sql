-- Statements of hazrisk/spark/rates.py: what a worker's warehouse returns after running the
-- rate partials of a group (hazrisk.rates.partials.partials_for, the project's statements), and
-- the driver's context day. $days: the ISO days of the run; $day: its first day.

-- name: reset_partials
DELETE FROM rates.day_partials;

-- name: reset_connectivity
DELETE FROM rates.day_connectivity;

-- name: reset_drift
DELETE FROM rates.drift_fixes;

-- name: group_partials
-- The group's day partials (run id and time are the driver's, set when it stores them).
SELECT * EXCLUDE (run_id, computed_at) FROM rates.day_partials
WHERE list_contains(CAST($days AS DATE[]), day);

-- name: group_tails
SELECT day, unit_id, pos_seq, device_time FROM rates.day_tails
WHERE list_contains(CAST($days AS DATE[]), day);

-- name: group_drift
SELECT pos_seq, day, spike FROM rates.drift_fixes WHERE list_contains(CAST($days AS DATE[]), day);

-- name: group_connectivity
SELECT day, provider_id, online_minutes FROM rates.day_connectivity;

-- name: context_run
-- The driver's last computed day before the run: its rates.day_runs row ...
SELECT * FROM rates.day_runs
WHERE day = (SELECT max(day) FROM rates.day_runs WHERE day < CAST($day AS DATE));

-- name: context_tails
-- ... and its tail (the records the run's first day looks back to).
SELECT * FROM rates.day_tails
WHERE day = (SELECT max(day) FROM rates.day_runs WHERE day < CAST($day AS DATE));
