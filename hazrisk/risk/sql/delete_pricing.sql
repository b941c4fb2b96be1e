DELETE FROM risk.premium_factors WHERE model = $model AND year = $year;
DELETE FROM risk.predictions WHERE model = $model AND year = $year;
