-- Approved routes and areas (WGS84 WKT; projected in Python).
SELECT fence_id, kind, enterprise_id, vehicle_id, buffer_m, geometry_wkt, properties_json
FROM core.fences
ORDER BY fence_id
