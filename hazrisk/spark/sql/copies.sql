-- Statements of hazrisk/spark/inputs.py.

-- name: record
INSERT OR REPLACE INTO spark.copied_inputs (relation, export, rows, copied_at)
VALUES ($relation, $export, $rows, current_timestamp);
