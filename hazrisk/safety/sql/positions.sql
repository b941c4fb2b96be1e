-- Qualified positions with device_time in [$t0, $t1), in trajectory order (vehicle, device_time,
-- then pos_seq as the tie-breaker); read as a stream and cut into vehicle batches.
-- Qualified: a vehicle, and no data-qualification check failed (the flags stored at ingest,
-- hazrisk.validity; the rates' 数据合格率 definition). Drift is judged over these fixes (the
-- rates' definition, hazrisk.drift); fixes without a GNSS fix (is_located false) are dropped
-- after that (hazrisk.safety.track.Track.from_arrow).
SELECT
    p.vehicle_id,
    p.enterprise_id,
    p.provider_id,
    p.terminal_phone,
    epoch_us(p.device_time) AS t_us,
    p.lat_deg,
    p.lon_deg,
    p.speed_kmh,
    p.acc_on,
    p.is_backfill,
    p.is_located,
    p.pos_seq
FROM core.positions p
WHERE p.vehicle_id IS NOT NULL
  AND p.device_time >= $t0 AND p.device_time < $t1
  AND p.quality_flags = 0
ORDER BY p.vehicle_id, p.device_time, p.pos_seq
