-- The restricted publication (`hazrisk publish` -> <snapshot>.restricted.duckdb, mode 0600):
-- the personal columns the portal may show unmasked to an authorised role, keyed like the
-- masked snapshot's rows. Run by hazrisk.store.restricted in the new file, with the warehouse
-- attached read-only as `src`. Today an enterprise sees its own drivers' and escorts' names and
-- phones and its own vehicles' owner names and operator phones in clear; ID numbers and
-- terminal SIM numbers are not published here at all (no role's task needs them in clear).
CREATE SCHEMA restricted;

CREATE TABLE restricted.drivers AS
SELECT driver_id, enterprise_id, name, phone
FROM src.core.drivers;

CREATE TABLE restricted.vehicles AS
SELECT vehicle_id, valid_from, enterprise_id, owner_name, operator_phone
FROM src.core.vehicles;
