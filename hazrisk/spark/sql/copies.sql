-- Statements of hazrisk/spark/inputs.py.

-- name: record
INSERT OR REPLACE INTO spark.copied_inputs (relation, export, rows, copied, copied_at)
VALUES ($relation, $export, $rows, $copied, current_timestamp);

-- name: recorded
-- What the last refresh left: each relation's rows, and the rows its digests describe (equal
-- when the relation holds exactly the pieces recorded).
SELECT c.relation, c.rows, coalesce(sum(d.rows), 0) AS described
FROM spark.copied_inputs c LEFT JOIN spark.copied_digests d USING (relation)
GROUP BY c.relation, c.rows;

-- name: digests
SELECT source_file_id, rows, digest FROM spark.copied_digests WHERE relation = $relation;

-- name: forget_digests
DELETE FROM spark.copied_digests WHERE relation = $relation;

-- name: record_digests
-- _digests: the export's digests of the relation's pieces (registered Arrow table).
INSERT INTO spark.copied_digests
SELECT $relation, source_file_id, rows, digest FROM _digests;

-- name: driver_reports
-- The 0x0702 driver-identity reports a results warehouse copied (none from a masked export).
SELECT count(*) AS n FROM store.raw_messages WHERE msg_id = 1794;

-- The rows of some dump files ($files) removed from a copied telematics relation (one
-- statement per relation: identifiers cannot be bound).

-- name: forget_heartbeats
DELETE FROM store.heartbeats WHERE list_contains(CAST($files AS INTEGER[]), source_file_id);

-- name: forget_param_answers
DELETE FROM store.param_answers WHERE list_contains(CAST($files AS INTEGER[]), source_file_id);

-- name: forget_alarms
DELETE FROM store.alarms WHERE list_contains(CAST($files AS INTEGER[]), source_file_id);

-- name: forget_safety_events
DELETE FROM store.safety_events WHERE list_contains(CAST($files AS INTEGER[]), source_file_id);

-- name: forget_text_messages
DELETE FROM store.text_messages WHERE list_contains(CAST($files AS INTEGER[]), source_file_id);

-- name: forget_raw_messages
DELETE FROM store.raw_messages WHERE list_contains(CAST($files AS INTEGER[]), source_file_id);
