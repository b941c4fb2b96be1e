-- Device maker x model KPIs of one period ('*' = all models of the maker).
SELECT period, maker_id, maker_name, device_model, metric, number, name_zh, name_en, unit,
       numerator, denominator, rate, ci_low, ci_high
FROM mart.device_kpis
WHERE period = $period AND ($maker IS NULL OR maker_id = $maker)
ORDER BY maker_id, device_model = '*' DESC, device_model, number
