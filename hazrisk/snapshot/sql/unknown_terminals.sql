-- Terminals without a registry match whose data overlaps Beijing days [$d0, $d1).
SELECT terminal_phone, source_provider_id, positions, first_day, last_day
FROM mart.unknown_terminals
WHERE first_day < $d1 AND last_day >= $d0
ORDER BY positions DESC, terminal_phone
