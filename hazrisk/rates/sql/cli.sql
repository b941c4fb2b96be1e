-- Look-ups of the `hazrisk rates` / `hazrisk devices` commands (hazrisk/rates/cli.py).

-- name: known_providers
SELECT DISTINCT provider_id FROM (
    SELECT provider_id FROM core.providers UNION ALL SELECT provider_id FROM core.vehicles
) WHERE provider_id IS NOT NULL ORDER BY 1;

-- name: stored_providers
SELECT DISTINCT provider_id FROM rates.provider_rates WHERE period = $period ORDER BY 1;

-- name: known_makers
SELECT DISTINCT maker_id FROM (
    SELECT maker_id FROM core.device_makers UNION ALL SELECT maker_id FROM core.vehicles
) WHERE maker_id IS NOT NULL ORDER BY 1;
