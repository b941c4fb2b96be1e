-- Dump files whose ingest failed (the error as recorded).
SELECT * FROM mart.ingest_errors ORDER BY failed_at
