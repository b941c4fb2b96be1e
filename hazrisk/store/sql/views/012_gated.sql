-- The telematics relations as read: rows of committed files only (meta.ingested_files).
-- A file is written into store.* chunk by chunk; until its meta row commits (or after a crash
-- before that) none of its rows shows here.
CREATE OR REPLACE VIEW core.alarms AS
SELECT t.* FROM store.alarms t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW core.safety_events AS
SELECT t.* FROM store.safety_events t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW core.heartbeats AS
SELECT t.* FROM store.heartbeats t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW core.registrations AS
SELECT t.* FROM store.registrations t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW core.authentications AS
SELECT t.* FROM store.authentications t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW core.param_answers AS
SELECT t.* FROM store.param_answers t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW core.text_messages AS
SELECT t.* FROM store.text_messages t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW core.multimedia AS
SELECT t.* FROM store.multimedia t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW raw.messages AS
SELECT t.* FROM store.raw_messages t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW quarantine.frames_rejected AS
SELECT t.* FROM store.frames_rejected t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
CREATE OR REPLACE VIEW quarantine.garbage_spans AS
SELECT t.* FROM store.garbage_spans t
WHERE t.source_file_id IN (SELECT file_id FROM meta.ingested_files);
