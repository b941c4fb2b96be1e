-- Terminal -> vehicle/enterprise/provider with validity as half-open instants
-- [valid_from_ts, valid_to_ts). Dates are Beijing days, valid_to inclusive; open ends are
-- -infinity / infinity. Overlaps for one terminal are cut at the next row's start, so at any
-- instant a terminal maps to at most one vehicle. Join:
--   ON a.terminal_key = core.terminal_key(p.terminal_phone)
--  AND p.device_time >= a.valid_from_ts AND p.device_time < a.valid_to_ts
CREATE OR REPLACE VIEW core.terminal_assignments AS
WITH v AS (
    SELECT
        core.terminal_key(terminal_phone) AS terminal_key,
        terminal_phone, vehicle_id, enterprise_id, provider_id, plate, plate_color,
        maker_id, device_model,
        coalesce(core.local_instant(CAST(valid_from AS TIMESTAMP)),
                 CAST('-infinity' AS TIMESTAMPTZ)) AS from_ts,
        coalesce(core.local_instant(CAST(valid_to + INTERVAL 1 DAY AS TIMESTAMP)),
                 CAST('infinity' AS TIMESTAMPTZ)) AS to_ts,
        import_id, source_row
    FROM core.vehicles
    WHERE core.terminal_key(terminal_phone) IS NOT NULL
)
SELECT
    terminal_key, terminal_phone, vehicle_id, enterprise_id, provider_id, plate, plate_color,
    maker_id, device_model,
    from_ts AS valid_from_ts,
    least(to_ts, coalesce(lead(from_ts) OVER w, CAST('infinity' AS TIMESTAMPTZ))) AS valid_to_ts,
    import_id, source_row
FROM v
WINDOW w AS (PARTITION BY terminal_key ORDER BY from_ts, source_row)
QUALIFY least(to_ts, coalesce(lead(from_ts) OVER w, CAST('infinity' AS TIMESTAMPTZ))) > from_ts;
