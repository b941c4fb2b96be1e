-- Per-file bookkeeping of `hazrisk ingest` (hazrisk/store/ingest.py). Statements are named;
-- parameters are bound ($name).

-- name: next_file_id
-- The next file id: above every ingested and every unfinished file's.
SELECT greatest((SELECT coalesce(max(file_id), 0) FROM meta.ingested_files),
                (SELECT coalesce(max(file_id), 0) FROM meta.ingest_in_progress)) + 1;

-- name: mark_in_progress
INSERT INTO meta.ingest_in_progress VALUES ($f, $p, $s, $t, $pid);

-- name: unmark_in_progress
DELETE FROM meta.ingest_in_progress WHERE file_id = $f;

-- name: size_seen
-- Whether an ingested file has this size (only then can the content be the same).
SELECT count(*) FROM meta.ingested_files WHERE size_bytes = $s;

-- name: ingested_with_sha
SELECT f.file_id, f.path, f.finished_at FROM meta.ingested_files f WHERE f.sha256 = $s;

-- name: record_error
INSERT INTO meta.ingest_errors (path, sha256, error) VALUES ($p, $s, $e);

-- name: quarantine_unreadable
-- One bad_gzip rejected-frame row where a compressed stream became unreadable (length 0).
INSERT INTO store.frames_rejected (source_file_id, source_offset, length, reason)
VALUES ($f, $o, 0, 'bad_gzip');

-- name: unknown_terminals
-- Terminals of the file without a registry assignment (kept, listed in the summary).
SELECT t.terminal_phone FROM store.positions p
JOIN store.terminals t ON t.term_key = p.term_key
WHERE p.source_file_id = $f AND p.assign_key IS NULL
UNION
SELECT m.terminal_phone FROM (
    SELECT DISTINCT terminal_phone FROM store.raw_messages WHERE source_file_id = $f
    UNION
    SELECT DISTINCT terminal_phone FROM store.heartbeats WHERE source_file_id = $f
) m
WHERE m.terminal_phone IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM core.terminal_assignments a
                  WHERE a.terminal_key = core.terminal_key(m.terminal_phone))
ORDER BY 1;

-- name: insert_ingested_file
INSERT INTO meta.ingested_files VALUES (
    $file_id, $path, $sha, $size, $format, $compressed, $provider, $day, 'ok',
    $frames_ok, $frames_rejected, $garbage_bytes, $garbage_spans, $positions,
    $positions_stored, $duplicates, $unknown, $started, $finished, $duration, $version);

-- name: insert_file_rejects
INSERT INTO meta.ingested_file_rejects VALUES ($f, $r, $n);

-- name: defer_checkpoints
-- While files are ingested, DuckDB checkpoints past 1 GB of write-ahead log instead of 16 MB
-- (each chunk's commit had checkpointed: every row written twice, ~9% of a raw file's ingest);
-- the run checkpoints once more at its end (checkpoint_now). 1 GB rather than never: the
-- checkpoints then fall during the run, beside the decoding, and the last one is short
-- (province-day ingest 34.1 / 34.4 s vs 35.1 s with one checkpoint at the end and 35.1 /
-- 36.8 s at 16 MB, one machine, in turn). A crash meanwhile loses nothing committed: the log
-- is replayed on the next open.
SET checkpoint_threshold = '1GB';

-- name: checkpoint_now
RESET checkpoint_threshold;
CHECKPOINT;
