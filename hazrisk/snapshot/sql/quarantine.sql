-- Rejected frames for file dates [$d0, $d1) per gateway, day and reason.
SELECT source_provider_id, source_date, reason, files, CAST(frames AS BIGINT) AS frames
FROM mart.quarantine_rejects
WHERE source_date >= $d0 AND source_date < $d1
ORDER BY source_date, source_provider_id, reason
