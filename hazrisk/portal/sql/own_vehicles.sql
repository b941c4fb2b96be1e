-- One enterprise's vehicles with owner name and operator phone in clear (the restricted
-- publication, attached read-only as `personal`); $enterprise is the logged-in enterprise.
SELECT vehicle_id, valid_from, enterprise_id, owner_name, operator_phone
FROM personal.restricted.vehicles
WHERE enterprise_id = $enterprise
ORDER BY vehicle_id, valid_from;
