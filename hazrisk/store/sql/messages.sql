-- Statements of hazrisk/store/messages.py: one append per message table, from the Arrow rows
-- the sink registers as _sink_rows (columns and types: messages.TABLES; BY NAME, so a column
-- the table has and the rows lack takes its default). The statement's name is the table's.

-- name: raw_messages
INSERT INTO store.raw_messages BY NAME SELECT * FROM _sink_rows;

-- name: frames_rejected
INSERT INTO store.frames_rejected BY NAME SELECT * FROM _sink_rows;

-- name: garbage_spans
INSERT INTO store.garbage_spans BY NAME SELECT * FROM _sink_rows;

-- name: heartbeats
INSERT INTO store.heartbeats BY NAME SELECT * FROM _sink_rows;

-- name: registrations
INSERT INTO store.registrations BY NAME SELECT * FROM _sink_rows;

-- name: authentications
INSERT INTO store.authentications BY NAME SELECT * FROM _sink_rows;

-- name: param_answers
INSERT INTO store.param_answers BY NAME SELECT * FROM _sink_rows;

-- name: text_messages
INSERT INTO store.text_messages BY NAME SELECT * FROM _sink_rows;

-- name: multimedia
INSERT INTO store.multimedia BY NAME SELECT * FROM _sink_rows;
