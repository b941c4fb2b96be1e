-- store.positions keeps one INTEGER key of its (vehicle, enterprise, provider) resolution
-- instead of three VARCHAR columns: the appends are ~30 % cheaper in CPU (benchmarks/
-- bench_ingest.py; ARCHITECTURE.md). core.positions joins the key back, so readers see the
-- same columns as before. store.assign_keys is append-only: a key, once given, never changes
-- meaning (the triples of core.terminal_assignments get keys when an ingest or a re-resolve
-- needs them).
CREATE TABLE IF NOT EXISTS store.assign_keys (
    assign_key     INTEGER PRIMARY KEY,
    vehicle_id     VARCHAR,
    enterprise_id  VARCHAR,
    provider_id    VARCHAR
);

-- Migration of a warehouse created before this file (a fresh one has no rows to move).
INSERT INTO store.assign_keys
SELECT row_number() OVER (ORDER BY vehicle_id, enterprise_id, provider_id),
       vehicle_id, enterprise_id, provider_id
FROM (SELECT DISTINCT vehicle_id, enterprise_id, provider_id FROM store.positions
      WHERE vehicle_id IS NOT NULL OR enterprise_id IS NOT NULL OR provider_id IS NOT NULL);

ALTER TABLE store.positions ADD COLUMN assign_key INTEGER;

UPDATE store.positions p SET assign_key = k.assign_key
FROM store.assign_keys k
WHERE k.vehicle_id IS NOT DISTINCT FROM p.vehicle_id
  AND k.enterprise_id IS NOT DISTINCT FROM p.enterprise_id
  AND k.provider_id IS NOT DISTINCT FROM p.provider_id;

ALTER TABLE store.positions DROP COLUMN vehicle_id;
ALTER TABLE store.positions DROP COLUMN enterprise_id;
ALTER TABLE store.positions DROP COLUMN provider_id;
