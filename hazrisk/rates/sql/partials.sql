-- hazrisk.rates.partials: the vehicle-day partials of one Beijing day, as named statements run
-- by hazrisk.rates.partials.partials_for(). Parameters ($name) are bound, never formatted:
--   $day (ISO date), $t0 / $t1 (the day's instants), $ctx_lo / $tail_day (context: the records
--   from the end of the last computed day $tail_day, and that day's tail rates.day_tails; with no
--   computed day before, $ctx_lo is -infinity and every earlier record is context),
--   $t_lo (day start - [rates] lookback_hours: connectivity only), $nb / $bk (vehicle batch:
--   units with hash(unit_id) % $nb = $bk), $run_id.

-- name: delete_day
DELETE FROM rates.day_partials WHERE day = CAST($day AS DATE);

-- name: delete_day_connectivity
DELETE FROM rates.day_connectivity WHERE day = CAST($day AS DATE);

-- name: delete_day_tail
DELETE FROM rates.day_tails WHERE day = CAST($day AS DATE);

-- name: records_in_reach
-- Position rows the day's flags read (GNSS time in [ctx_lo, t1)): sizes the vehicle batches.
SELECT count(*) AS n FROM core.positions
WHERE device_time >= CAST($ctx_lo AS TIMESTAMPTZ) AND device_time < CAST($t1 AS TIMESTAMPTZ);

-- name: files_seen_by_all
-- The newest file every computed day saw (NULL: no computed day): older files are no news.
SELECT min(coalesce(max_file_id, -1)) AS after FROM rates.day_runs;

-- name: last_computed_day
-- The latest day before $day whose partials (and tail) are stored.
SELECT max(day) AS day FROM rates.day_runs WHERE day < CAST($day AS DATE);

-- name: day_vehicle_days
-- One vehicle batch of the day's records aggregated per provider x unit (the day is the
-- record's Beijing day by GNSS time, else by receive time / dump file date).
INSERT INTO rates.day_partials BY NAME
SELECT *, CAST($run_id AS VARCHAR) AS run_id, current_timestamp AS computed_at
FROM rates.vehicle_day_sums(CAST($ctx_lo AS TIMESTAMPTZ), CAST($t0 AS TIMESTAMPTZ),
                            CAST($t1 AS TIMESTAMPTZ), CAST($nb AS UBIGINT),
                            CAST($bk AS UBIGINT), CAST($tail_day AS DATE));

-- name: day_rows
-- The day's rows computed elsewhere (registered Arrow table _rates_day_rows, the columns of
-- rates.vehicle_day_sums: day_vehicle_days run per vehicle group by hazrisk.spark.rates).
INSERT INTO rates.day_partials BY NAME
SELECT *, CAST($run_id AS VARCHAR) AS run_id, current_timestamp AS computed_at
FROM _rates_day_rows WHERE day = CAST($day AS DATE);

-- name: day_tail
-- The day's tail: per unit, the records a later day's records look back to across midnight
-- (last record, last real-time and last evidence record, trusted GNSS time), from the context
-- the day read and the day's own records. No qualified fix is kept for its own sake: the
-- window's previous good fix feeds segments, which join fixes of the same day only, and drift
-- is judged per vehicle-day (hazrisk.drift), so a later day never reads an earlier day's.
-- Records before the day's month context (rates.tail_from) are dropped: never a predecessor
-- again. A record is ranked by one HUGEINT o = (epoch_us(device_time) + 2^62) * 2^63 + pos_seq:
-- the window's order (device_time, pos_seq), as pos_seq >= 0 (file_id << 36 + row); so plain
-- max() picks the records and (pos_seq, device_time) are read back from o: no struct
-- comparison, no join back.
INSERT INTO rates.day_tails
WITH cand AS (
    SELECT unit_id, qual_bits, is_backfill,
           (CAST(epoch_us(device_time) AS HUGEINT) + 4611686018427387904) * 9223372036854775808
               + pos_seq AS o
    FROM rates.position_checks(CAST($ctx_lo AS TIMESTAMPTZ), CAST($t1 AS TIMESTAMPTZ))
    UNION ALL
    SELECT unit_id, qual_bits, is_backfill,
           (CAST(epoch_us(device_time) AS HUGEINT) + 4611686018427387904) * 9223372036854775808
               + pos_seq AS o
    FROM rates.position_checks(rates.tail_from(CAST($t0 AS TIMESTAMPTZ), CAST($tail_day AS DATE)),
                               CAST($ctx_lo AS TIMESTAMPTZ))
    WHERE pos_seq IN (SELECT pos_seq FROM rates.day_tails WHERE day = CAST($tail_day AS DATE))
),
agg AS (
    SELECT unit_id,
        list_concat([max(o)],
                    [max(o) FILTER (WHERE NOT is_backfill AND (qual_bits & 4) = 0)],
                    [max(o) FILTER (WHERE (qual_bits & 4) = 0)]) AS keep
    FROM cand GROUP BY unit_id
)
SELECT DISTINCT CAST($day AS DATE), unit_id, CAST(o % 9223372036854775808 AS BIGINT),
       TIMESTAMPTZ '1970-01-01 00:00:00+00'
           + to_microseconds(CAST(o // 9223372036854775808 - 4611686018427387904 AS BIGINT))
FROM (SELECT unit_id, unnest(keep) AS o FROM agg)
WHERE o IS NOT NULL;

-- name: day_connectivity
-- 平台连通率 (a PROXY: terminal data, not the platform link): minutes of the day in which the
-- provider's gateway delivered a real-time position (receive time, else GNSS time; GNSS time
-- from [rates] lookback_hours before the day to a day after it) or a heartbeat.
INSERT INTO rates.day_connectivity
SELECT CAST($day AS DATE), provider_id, count(DISTINCT minute), CAST($run_id AS VARCHAR)
FROM (
    SELECT coalesce(p.source_provider_id, p.provider_id) AS provider_id,
           CAST(floor(epoch(coalesce(p.recv_time, p.device_time)) / 60) AS BIGINT) AS minute
    FROM core.positions p
    WHERE NOT p.is_backfill
      AND p.device_time >= CAST($t_lo AS TIMESTAMPTZ)
      AND p.device_time < CAST($t1 AS TIMESTAMPTZ) + INTERVAL 1 DAY
      AND coalesce(p.recv_time, p.device_time) >= CAST($t0 AS TIMESTAMPTZ)
      AND coalesce(p.recv_time, p.device_time) < CAST($t1 AS TIMESTAMPTZ)
    UNION ALL
    SELECT f.source_provider_id, CAST(floor(epoch(h.recv_time) / 60) AS BIGINT)
    FROM core.heartbeats h JOIN meta.ingested_files f ON f.file_id = h.source_file_id
    WHERE h.recv_time >= CAST($t0 AS TIMESTAMPTZ) AND h.recv_time < CAST($t1 AS TIMESTAMPTZ)
)
WHERE provider_id IS NOT NULL
GROUP BY provider_id;

-- name: day_tail_rows
-- The day's tail computed elsewhere (registered Arrow table _rates_day_rows: day_tail's rows,
-- by hazrisk.spark.rates per vehicle group).
INSERT INTO rates.day_tails BY NAME
SELECT day, unit_id, pos_seq, device_time FROM _rates_day_rows WHERE day = CAST($day AS DATE);

-- name: day_connectivity_rows
-- The day's connectivity computed elsewhere (registered _rates_day_rows: day_connectivity's
-- rows without the run, by hazrisk.spark.rates per day).
INSERT INTO rates.day_connectivity BY NAME
SELECT day, provider_id, online_minutes, CAST($run_id AS VARCHAR) AS run_id
FROM _rates_day_rows WHERE day = CAST($day AS DATE);

-- name: day_covered
-- Does the day have data: a position record, a heartbeat or a 0x0104 answer (answer time =
-- receive time, else the dump file's date)? Bound ranges only (no per-row day of the history).
SELECT
    EXISTS (SELECT 1 FROM rates.day_partials WHERE day = CAST($day AS DATE))
    OR EXISTS (SELECT 1 FROM core.heartbeats
               WHERE recv_time >= CAST($t0 AS TIMESTAMPTZ) AND recv_time < CAST($t1 AS TIMESTAMPTZ))
    OR EXISTS (SELECT 1 FROM core.param_answers
               WHERE recv_time >= CAST($t0 AS TIMESTAMPTZ) AND recv_time < CAST($t1 AS TIMESTAMPTZ))
    OR EXISTS (SELECT 1 FROM core.param_answers a
               JOIN meta.ingested_files f ON f.file_id = a.source_file_id
               WHERE a.recv_time IS NULL AND f.source_date = CAST($day AS DATE))
    AS covered,
    (SELECT coalesce(sum(records), 0) FROM rates.day_partials WHERE day = CAST($day AS DATE))
        AS records;

-- name: inputs
-- The newest ingested file and registry import (a day's partials saw everything up to them).
SELECT (SELECT max(file_id) FROM meta.ingested_files) AS max_file_id,
       (SELECT max(import_id) FROM meta.registry_imports) AS max_import_id;

-- name: store_run
INSERT INTO rates.day_runs (day, run_id, computed_at, rules_sha256, max_file_id, max_import_id,
                            covered, records, batches, duration_s)
VALUES (CAST($day AS DATE), $run_id, current_timestamp, $rules_sha256, $max_file_id,
        $max_import_id, $covered, $records, $batches, $duration_s)
ON CONFLICT (day) DO UPDATE SET
    run_id = excluded.run_id, computed_at = excluded.computed_at,
    rules_sha256 = excluded.rules_sha256, max_file_id = excluded.max_file_id,
    max_import_id = excluded.max_import_id, covered = excluded.covered,
    records = excluded.records, batches = excluded.batches, duration_s = excluded.duration_s;

-- name: data_days
-- Beijing days with data up to $end_date: position records (GNSS day, else receive day / dump
-- file date), heartbeats and 0x0104 answers.
SELECT DISTINCT day FROM (
    SELECT rates.beijing_day(device_time) AS day FROM core.positions
    WHERE device_time < CAST($t1 AS TIMESTAMPTZ)
    UNION
    SELECT rates.beijing_day(coalesce(p.recv_time,
                                      core.local_instant(CAST(f.source_date AS TIMESTAMP))))
    FROM core.positions p LEFT JOIN meta.ingested_files f ON f.file_id = p.source_file_id
    WHERE p.device_time IS NULL
    UNION
    SELECT rates.beijing_day(recv_time) FROM core.heartbeats
    WHERE recv_time < CAST($t1 AS TIMESTAMPTZ)
    UNION
    SELECT coalesce(rates.beijing_day(a.recv_time), f.source_date)
    FROM core.param_answers a LEFT JOIN meta.ingested_files f ON f.file_id = a.source_file_id
)
WHERE day IS NOT NULL AND day <= CAST($end_date AS DATE)
ORDER BY day;

-- name: first_unrecorded_file
-- The oldest committed file whose days rates.file_days does not hold yet (NULL: none).
SELECT min(file_id) AS file_id FROM meta.ingested_files
WHERE file_id NOT IN (SELECT file_id FROM rates.file_days);

-- name: record_file_days
-- The days of the files from $first on that rates.file_days does not hold yet, as data_days
-- finds them (positions, heartbeats, 0x0104 answers), plus one 'file' row per file. Only those
-- files' rows are read: $first is bound, so the scans skip the row groups of older files.
INSERT INTO rates.file_days
WITH new AS (
    SELECT file_id, source_date FROM meta.ingested_files
    WHERE file_id >= $first AND file_id NOT IN (SELECT file_id FROM rates.file_days)
)
SELECT file_id, 'file', CAST(NULL AS DATE) FROM new
UNION ALL
SELECT DISTINCT p.source_file_id, 'positions',
       rates.beijing_day(coalesce(p.device_time, p.recv_time,
                                  core.local_instant(CAST(n.source_date AS TIMESTAMP))))
FROM store.positions p JOIN new n ON n.file_id = p.source_file_id
WHERE p.source_file_id >= $first
UNION ALL
SELECT DISTINCT h.source_file_id, 'heartbeats', rates.beijing_day(h.recv_time)
FROM core.heartbeats h JOIN new n ON n.file_id = h.source_file_id
WHERE h.source_file_id >= $first AND h.recv_time IS NOT NULL
UNION ALL
SELECT DISTINCT a.source_file_id, 'answers',
       coalesce(rates.beijing_day(a.recv_time), n.source_date)
FROM core.param_answers a JOIN new n ON n.file_id = a.source_file_id
WHERE a.source_file_id >= $first;

-- name: stored_data_days
-- data_days from rates.file_days (record_file_days first): the same days, no position read.
SELECT DISTINCT day FROM rates.file_days
WHERE kind <> 'file' AND day IS NOT NULL AND day <= CAST($end_date AS DATE)
ORDER BY day;

-- name: stale_days
-- Days whose stored partials no longer hold: computed under other rules, before the newest
-- registry import (days from $since on: older days keep the attribution they were computed
-- with, so a registry import does not recompute the whole history), or before a file that
-- touches them was ingested ($after: the newest file every computed day saw, bound so that the
-- scans read only the files ingested since). A file's position records
-- and heartbeats touch their own day (the next days follow when the day's tail changes:
-- hazrisk.rates.partials.rederive; connectivity reads GNSS times $reach days back); its 0x0104
-- answers their day and every later day (the report intervals are the latest answer's).
WITH newer AS (
    SELECT DISTINCT p.source_file_id AS file_id,
           rates.beijing_day(coalesce(p.device_time, p.recv_time,
                                      core.local_instant(CAST(f.source_date AS TIMESTAMP))))
               AS d0,
           CAST($reach AS INTEGER) AS reach
    FROM core.positions p LEFT JOIN meta.ingested_files f ON f.file_id = p.source_file_id
    WHERE p.source_file_id > $after
    UNION ALL
    SELECT DISTINCT source_file_id, rates.beijing_day(recv_time), 0 FROM core.heartbeats
    WHERE source_file_id > $after
    UNION ALL
    SELECT DISTINCT a.source_file_id, coalesce(rates.beijing_day(a.recv_time), f.source_date),
           100000
    FROM core.param_answers a LEFT JOIN meta.ingested_files f ON f.file_id = a.source_file_id
    WHERE a.source_file_id > $after
)
SELECT r.day FROM rates.day_runs r
WHERE r.rules_sha256 <> $rules_sha256
   OR (r.day >= CAST($since AS DATE)
       AND coalesce(r.max_import_id, -1)
           < coalesce((SELECT max(import_id) FROM meta.registry_imports), -1))
   OR EXISTS (SELECT 1 FROM newer n
              WHERE n.file_id > coalesce(r.max_file_id, -1)
                AND r.day BETWEEN n.d0 AND n.d0 + n.reach)
ORDER BY r.day;

-- name: files_days
-- Beijing days with position records (GNSS day, else receive day / dump file date) from the
-- files ingested after $after (the days a daily run re-derives besides its own).
SELECT DISTINCT rates.beijing_day(coalesce(p.device_time, p.recv_time,
                    core.local_instant(CAST(f.source_date AS TIMESTAMP)))) AS day
FROM core.positions p LEFT JOIN meta.ingested_files f ON f.file_id = p.source_file_id
WHERE p.source_file_id > $after
ORDER BY day;

-- name: day_units
-- units (vehicles and unregistered terminals) with a partial of the day (hazrisk daily's report)
SELECT count(*) AS n FROM rates.day_partials WHERE day = $day;

-- name: max_file_id
SELECT coalesce(max(file_id), -1) FROM meta.ingested_files;

-- name: tail_fixes
SELECT unit_id, pos_seq FROM rates.day_tails WHERE day = $day;

-- name: computed_days
SELECT day FROM rates.day_runs ORDER BY day;
