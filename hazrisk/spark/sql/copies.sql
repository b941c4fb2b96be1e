-- Statements of hazrisk/spark/inputs.py.

-- name: record
INSERT OR REPLACE INTO spark.copied_inputs (relation, export, rows, copied_at)
VALUES ($relation, $export, $rows, current_timestamp);

-- name: driver_reports
-- The 0x0702 driver-identity reports a results warehouse copied (none from a masked export).
SELECT count(*) AS n FROM store.raw_messages WHERE msg_id = 1794;
