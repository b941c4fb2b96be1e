-- core.terminal_assignments with the store.assign_keys key of its (vehicle, enterprise,
-- provider) triple: what resolution writes into store.positions.assign_key
-- (hazrisk/store/resolve.py gives every triple its key first, ensure_assign_keys).
CREATE OR REPLACE VIEW store.keyed_assignments AS
SELECT a.*, k.assign_key
FROM core.terminal_assignments a
JOIN store.assign_keys k
  ON k.vehicle_id IS NOT DISTINCT FROM a.vehicle_id
 AND k.enterprise_id IS NOT DISTINCT FROM a.enterprise_id
 AND k.provider_id IS NOT DISTINCT FROM a.provider_id;
