-- Usable positions with device_time in [$t0, $t1), in trajectory order (vehicle, device_time,
-- then pos_seq as the tie-breaker); read as a stream and cut into vehicle batches.
-- Usable: a vehicle and a GNSS time, located, coordinates and speed inside the validity ranges
-- (decoder flags), and not more than $future_s after the gateway received it (when known).
SELECT
    p.vehicle_id,
    p.enterprise_id,
    p.provider_id,
    p.terminal_phone,
    epoch_us(p.device_time) AS t_us,
    p.lat_deg,
    p.lon_deg,
    coalesce(p.speed_kmh, 0.0) AS speed_kmh,
    p.acc_on,
    p.is_backfill,
    p.pos_seq
FROM core.positions p
WHERE p.vehicle_id IS NOT NULL
  AND p.device_time IS NOT NULL
  AND p.device_time >= $t0 AND p.device_time < $t1
  AND p.is_located
  AND NOT p.q_lat_out_of_range AND NOT p.q_lon_out_of_range AND NOT p.q_speed_out_of_range
  AND p.lat_deg IS NOT NULL AND p.lon_deg IS NOT NULL
  AND (p.recv_time IS NULL OR p.device_time <= p.recv_time + to_seconds($future_s))
ORDER BY p.vehicle_id, p.device_time, p.pos_seq
