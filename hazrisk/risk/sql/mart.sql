-- Published risk relations (no personal data: ids and figures only).
CREATE OR REPLACE VIEW mart.premium_factors AS
SELECT level, enterprise_id, vehicle_id, year, factor, claims_record, behaviour, management,
       data_quality, raw_factor, trusted, balance_constant, model, computed_at
FROM risk.premium_factors;
CREATE OR REPLACE VIEW mart.model_cards AS
SELECT model, fitted_at, train_years, test_year, as_at, fingerprint, hazrisk_version,
       card_json, card_markdown
FROM risk.model_cards;
COMMENT ON VIEW mart.premium_factors IS '保费调整系数及其分项 / premium-adjustment factors and their parts (factor = claims_record × behaviour × management × data_quality, within [premium] factor_min..factor_max)';
COMMENT ON COLUMN mart.premium_factors.level IS '层级 enterprise/vehicle / level';
COMMENT ON COLUMN mart.premium_factors.enterprise_id IS '企业 / enterprise id';
COMMENT ON COLUMN mart.premium_factors.vehicle_id IS '车辆（企业行为空）/ vehicle id (NULL on enterprise rows)';
COMMENT ON COLUMN mart.premium_factors.year IS '定价年度 / priced policy year';
COMMENT ON COLUMN mart.premium_factors.factor IS '保费调整系数 / premium factor';
COMMENT ON COLUMN mart.premium_factors.claims_record IS '赔付记录分项 / claims-record part (Bühlmann–Straub credibility)';
COMMENT ON COLUMN mart.premium_factors.behaviour IS '驾驶行为分项 / driving-behaviour part';
COMMENT ON COLUMN mart.premium_factors.management IS '安全管理分项 / management (handling of violations) part';
COMMENT ON COLUMN mart.premium_factors.data_quality IS '数据质量分项 / data-quality part (no discount without trusted data)';
COMMENT ON COLUMN mart.premium_factors.raw_factor IS '封顶前系数 / factor before balancing and capping';
COMMENT ON COLUMN mart.premium_factors.trusted IS '数据可信 / telematics trusted for a discount';
COMMENT ON COLUMN mart.premium_factors.balance_constant IS '保费平衡常数 / off-balance constant c';
COMMENT ON COLUMN mart.premium_factors.model IS '模型 / model folder name';
COMMENT ON COLUMN mart.premium_factors.computed_at IS '计算时间 / computed at';
COMMENT ON VIEW mart.model_cards IS '模型卡 / model cards (data window, fingerprint, features, relativities, metrics, caveats)';
COMMENT ON COLUMN mart.model_cards.model IS '模型 / model name';
COMMENT ON COLUMN mart.model_cards.fitted_at IS '拟合时间 / fitted at';
COMMENT ON COLUMN mart.model_cards.train_years IS '训练年度 / training years';
COMMENT ON COLUMN mart.model_cards.test_year IS '检验年度 / out-of-time test year';
COMMENT ON COLUMN mart.model_cards.as_at IS '评估日 / as-at date of the claims';
COMMENT ON COLUMN mart.model_cards.fingerprint IS '数据指纹 / warehouse fingerprint (sha256)';
COMMENT ON COLUMN mart.model_cards.hazrisk_version IS '版本 / hazrisk version';
COMMENT ON COLUMN mart.model_cards.card_json IS '模型卡 JSON / model card (JSON)';
COMMENT ON COLUMN mart.model_cards.card_markdown IS '模型卡 Markdown / model card (Markdown)';
