-- Statements of hazrisk/safety/records.py: legal holds (封存) and the purge guard. The
-- tables and views are created by holds.sql.

-- name: vehicle_known
SELECT count(*) FROM core.vehicles WHERE vehicle_id = $vehicle;

-- name: enterprise_known
SELECT count(*) FROM core.enterprises WHERE enterprise_id = $enterprise;

-- name: insert_hold
INSERT INTO safety.legal_holds (vehicle_id, enterprise_id, start_time, end_time, reason,
                                set_by, set_at)
VALUES ($vehicle, $enterprise, $start, $end, $reason, $by, $now)
RETURNING hold_id;

-- name: hold_released_at
SELECT released_at FROM safety.legal_holds WHERE hold_id = $hold;

-- name: release_hold
UPDATE safety.legal_holds SET released_at = $now, released_by = $by, release_reason = $reason
WHERE hold_id = $hold;

-- name: list_holds
-- first_day / last_day: the Beijing days held
SELECT hold_id, vehicle_id, enterprise_id,
       core.local_day(start_time) AS first_day,
       core.local_day(end_time) - 1 AS last_day,
       reason, set_by, set_at, released_at, released_by, release_reason,
       released_at IS NULL AS active
FROM safety.legal_holds
WHERE NOT $active_only OR released_at IS NULL
ORDER BY hold_id DESC;

-- name: columns
SELECT column_name FROM information_schema.columns
WHERE table_schema = $schema AND table_name = $table;

-- name: active_holds
SELECT count(*) FROM safety.legal_holds WHERE released_at IS NULL;

-- name: latest_purge
SELECT cutoff, as_of, run_at FROM meta.retention_runs
WHERE NOT dry_run AND table_name = $table AND rows_deleted > 0
ORDER BY cutoff DESC LIMIT 1;
