-- Roads for map matching (WGS84 WKT; projected in Python).
SELECT road_id, road_class, speed_limit_kmh, geometry_wkt
FROM core.roads
ORDER BY road_id
