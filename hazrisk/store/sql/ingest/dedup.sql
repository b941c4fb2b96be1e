-- Duplicate check of one staged chunk against stored positions (hazrisk/store/dedup.py).
-- Statements are named; parameters are bound ($name).

-- name: stored_keys
-- Stored positions of one device-time span: the keys a chunk's rows are checked against.
SELECT term_key, epoch_us(device_time) AS t, lat_deg, lon_deg
FROM store.positions
WHERE device_time BETWEEN $tmin AND $tmax;
