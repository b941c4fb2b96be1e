-- Fault tickets overlapping [$t0, $t1): the vehicle (from the ticket, else the terminal's
-- assignment when reported) and the open interval as epoch seconds (end NULL = still open).
SELECT coalesce(f.vehicle_id, a.vehicle_id) AS vehicle_id,
       f.ticket_id,
       epoch(f.reported_at) AS start_t,
       epoch(f.repaired_at) AS end_t
FROM core.fault_tickets f
LEFT JOIN core.terminal_assignments a
  ON f.vehicle_id IS NULL
 AND a.terminal_key = core.terminal_key(f.terminal_phone)
 AND f.reported_at >= a.valid_from_ts AND f.reported_at < a.valid_to_ts
WHERE f.reported_at IS NOT NULL
  AND f.reported_at < $t1
  AND (f.repaired_at IS NULL OR f.repaired_at > $t0)
  AND coalesce(f.vehicle_id, a.vehicle_id) IS NOT NULL
ORDER BY vehicle_id, start_t
