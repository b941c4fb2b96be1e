-- What the snapshot holds for a period: provider rates computed for exactly $period, Beijing
-- days with safety histories in [$d0, $d1), dump files dated in [$d0, $d1).
SELECT (SELECT count(*) FROM mart.provider_rates WHERE period = $period) AS rates,
       (SELECT count(*) FROM mart.safety_vehicle_days WHERE day >= $d0 AND day < $d1) AS safety,
       (SELECT count(*) FROM mart.ingested_files
        WHERE source_date >= $d0 AND source_date < $d1) AS ingest
