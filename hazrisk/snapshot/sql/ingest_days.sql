-- What each gateway delivered per file date in [$d0, $d1): files, frames, rejects, garbage.
SELECT source_provider_id, source_date, files, frames_ok, frames_rejected, garbage_bytes,
       positions, duplicates,
       frames_rejected / nullif(frames_ok + frames_rejected, 0) AS reject_share
FROM mart.ingest_quality_days
WHERE source_date >= $d0 AND source_date < $d1
ORDER BY source_date, source_provider_id
