-- Premium factors of a priced year in the snapshot (report due waits for the risk model).
SELECT count(*) FROM mart.premium_factors WHERE year = $year
