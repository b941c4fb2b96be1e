-- Statements of hazrisk/store/restricted.py around restricted.sql (the tables themselves).

-- name: attach_source
ATTACH $path AS src (READ_ONLY);

-- name: mark_published
CREATE TABLE restricted._published AS
SELECT $at::TIMESTAMPTZ AS published_at, $src AS source_db, $snapshot AS snapshot;

-- name: detach_source
DETACH src;
CHECKPOINT;
