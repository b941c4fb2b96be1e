-- Model cards published by the risk models (mart.model_cards); $model NULL = every model.
SELECT model, fitted_at, train_years, test_year, as_at, fingerprint, hazrisk_version,
       card_json, card_markdown
FROM mart.model_cards
WHERE $model IS NULL OR model = $model
ORDER BY fitted_at DESC, model
