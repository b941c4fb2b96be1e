-- One enterprise's drivers and escorts with their names and phones in clear (the restricted
-- publication, attached read-only as `personal`); $enterprise is the logged-in enterprise.
SELECT driver_id, enterprise_id, name, phone
FROM personal.restricted.drivers
WHERE enterprise_id = $enterprise
ORDER BY driver_id;
