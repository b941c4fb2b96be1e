-- Months of [$m0, $m1) (first days) for which the warehouse has positions: a vehicle-day of
-- the month counted stored positions. Only these months get detected vehicle-months.
CREATE OR REPLACE TEMP TABLE safety_months_with_positions AS
SELECT DISTINCT CAST(date_trunc('month', day) AS DATE) AS month
FROM safety.vehicle_days
WHERE day >= $m0 AND day < $m1 AND positions > 0
