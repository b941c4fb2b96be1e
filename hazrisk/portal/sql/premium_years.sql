-- Priced years with enterprise factors (mart.premium_factors, published by the risk models).
SELECT DISTINCT year FROM mart.premium_factors WHERE level = 'enterprise' ORDER BY year;
