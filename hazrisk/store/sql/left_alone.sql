-- Files a command found but did not take (hazrisk/store/left_alone.py): one row per path and
-- command, first_seen kept.
INSERT INTO meta.files_left_alone (path, command, reason, first_seen, last_seen)
VALUES ($path, $command, $reason, $now, $now)
ON CONFLICT (path, command) DO UPDATE SET last_seen = excluded.last_seen,
                                          reason = excluded.reason
