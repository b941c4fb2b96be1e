-- Duplicate check of one staged chunk against stored positions (hazrisk/store/dedup.py).
-- Statements are named; parameters are bound ($name).

-- name: stored_keys
-- Stored positions of one device-time span and of the chunk's terminals (``_chunk_terms``,
-- registered by the caller): the keys a chunk's rows are checked against. Without the
-- terminals every stored row of the span came back (on a province-day the files of other
-- providers, read again for every chunk of every later file: ~15 of 70 CPU-s of the ingest).
SELECT term_key, epoch_us(device_time) AS t, lat_deg, lon_deg
FROM store.positions
WHERE device_time BETWEEN $tmin AND $tmax
  AND term_key IN (SELECT term_key FROM _chunk_terms);
