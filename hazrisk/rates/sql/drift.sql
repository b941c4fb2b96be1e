-- The drift verdicts of the rates' days (hazrisk/rates/drift.py; the definition is
-- hazrisk.drift). Statements are named; parameters are bound ($name).

-- name: qualified_fixes
-- The qualified fixes with GNSS time in [$t0, $t1) (whole Beijing days), in drift order:
-- (vehicle, GNSS time, pos_seq). Qualified implies a vehicle (bit 0, unregistered, clear).
SELECT p.vehicle_id, epoch_us(p.device_time) AS t_us, p.lat_deg, p.lon_deg, p.pos_seq
FROM core.positions p
WHERE p.vehicle_id IS NOT NULL AND p.quality_flags = 0
  AND p.device_time >= $t0 AND p.device_time < $t1
ORDER BY p.vehicle_id, p.device_time, p.pos_seq;

-- name: delete_days
DELETE FROM rates.drift_fixes WHERE day >= CAST($d0 AS DATE) AND day <= CAST($d1 AS DATE);

-- name: insert
-- _rates_drift_found: (pos_seq, t_us, spike) of the drift fixes found.
INSERT INTO rates.drift_fixes
SELECT pos_seq, core.local_day(make_timestamptz(t_us)), spike FROM _rates_drift_found;

-- name: insert_rows
-- The drift rows of day $day computed elsewhere (registered _rates_day_rows: rates.drift_fixes
-- rows, by hazrisk.spark.rates per vehicle group).
INSERT INTO rates.drift_fixes BY NAME
SELECT pos_seq, day, spike FROM _rates_day_rows WHERE day = CAST($day AS DATE);
