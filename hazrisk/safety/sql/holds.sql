-- Legal holds (封存): after an accident the enterprise / platform must immediately seal the
-- vehicle's dynamic data (道路运输车辆动态监督管理办法; research §3). A hold names a vehicle or
-- an enterprise and a period [start_time, end_time); while it is active (released_at IS NULL)
-- `hazrisk retain` keeps every row of that vehicle / enterprise whose time falls in the
-- period, whatever its age. Idempotent DDL (hazrisk.safety.records.ensure_holds).
CREATE SCHEMA IF NOT EXISTS safety;
CREATE SEQUENCE IF NOT EXISTS safety.legal_hold_ids START 1;

CREATE TABLE IF NOT EXISTS safety.legal_holds (
    hold_id         INTEGER PRIMARY KEY DEFAULT nextval('safety.legal_hold_ids'),
    vehicle_id      VARCHAR,              -- exactly one of vehicle_id / enterprise_id
    enterprise_id   VARCHAR,
    start_time      TIMESTAMPTZ NOT NULL, -- Beijing midnight of the first day held
    end_time        TIMESTAMPTZ NOT NULL, -- Beijing midnight after the last day held
    reason          VARCHAR NOT NULL,     -- e.g. the accident reference
    set_by          VARCHAR,
    set_at          TIMESTAMPTZ NOT NULL,
    released_at     TIMESTAMPTZ,          -- NULL = active
    released_by     VARCHAR,
    release_reason  VARCHAR,
    CHECK ((vehicle_id IS NULL) <> (enterprise_id IS NULL)),
    CHECK (end_time > start_time)
);

-- Terminals under an active hold, with the part of the hold during which the terminal was
-- assigned to the held vehicle / a vehicle of the held enterprise.
CREATE OR REPLACE VIEW safety.held_terminals AS
SELECT h.hold_id, a.terminal_key, a.vehicle_id,
       greatest(h.start_time, a.valid_from_ts) AS start_time,
       least(h.end_time, a.valid_to_ts) AS end_time
FROM safety.legal_holds h
JOIN core.terminal_assignments a
  ON (h.vehicle_id = a.vehicle_id OR h.enterprise_id = a.enterprise_id)
 AND a.valid_from_ts < h.end_time AND a.valid_to_ts > h.start_time
WHERE h.released_at IS NULL;

-- Vehicles under an active hold (by vehicle, or through the enterprise of its registration).
CREATE OR REPLACE VIEW safety.held_vehicles AS
SELECT DISTINCT h.hold_id, coalesce(h.vehicle_id, v.vehicle_id) AS vehicle_id,
       h.start_time, h.end_time
FROM safety.legal_holds h
LEFT JOIN core.vehicles v ON h.enterprise_id IS NOT NULL AND v.enterprise_id = h.enterprise_id
WHERE h.released_at IS NULL AND coalesce(h.vehicle_id, v.vehicle_id) IS NOT NULL;
