-- Published risk relations (no personal data: ids and figures only).
CREATE OR REPLACE VIEW mart.premium_factors AS
SELECT level, enterprise_id, vehicle_id, year, factor, claims_record, behaviour, management,
       data_quality, raw_factor, trusted, balance_constant, model, computed_at
FROM risk.premium_factors;
CREATE OR REPLACE VIEW mart.model_cards AS
SELECT model, fitted_at, train_years, test_year, as_at, fingerprint, hazrisk_version,
       card_json, card_markdown
FROM risk.model_cards;
