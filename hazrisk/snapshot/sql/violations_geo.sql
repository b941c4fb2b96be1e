-- Violations with their start coordinates (WGS-84) for Beijing days [$d0, $d1).
SELECT v.violation_id, v.rule_id, v.rule_group, v.rule_name_zh, v.vehicle_id, v.enterprise_id,
       e.name AS enterprise_name, e.city, v.provider_id, v.start_time, v.day, v.duration_s,
       v.lat_deg, v.lon_deg, v.severity, v.handling_status
FROM safety.violations v
LEFT JOIN core.enterprises e USING (enterprise_id)
WHERE v.day >= $d0 AND v.day < $d1 AND v.lat_deg IS NOT NULL AND v.lon_deg IS NOT NULL
  AND ($enterprise IS NULL OR v.enterprise_id = $enterprise)
  AND ($city IS NULL OR e.city = $city)
ORDER BY v.start_time, v.violation_id
