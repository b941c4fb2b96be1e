-- hazrisk.risk: results of `hazrisk premium` and the model cards of `hazrisk model fit`.
CREATE SCHEMA IF NOT EXISTS risk;

CREATE TABLE IF NOT EXISTS risk.predictions (
    policy_id           VARCHAR NOT NULL,
    vehicle_id          VARCHAR NOT NULL,
    enterprise_id       VARCHAR NOT NULL,
    year                INTEGER NOT NULL,
    exposure_years      DOUBLE NOT NULL,
    predicted_claims    DOUBLE NOT NULL,
    predicted_loss_cny  DOUBLE NOT NULL,
    model               VARCHAR NOT NULL,
    computed_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS risk.premium_factors (
    level               VARCHAR NOT NULL,     -- enterprise / vehicle
    enterprise_id       VARCHAR NOT NULL,
    vehicle_id          VARCHAR,              -- NULL for enterprise rows
    year                INTEGER NOT NULL,
    factor              DOUBLE NOT NULL,
    claims_record       DOUBLE NOT NULL,
    behaviour           DOUBLE NOT NULL,
    management          DOUBLE NOT NULL,
    data_quality        DOUBLE NOT NULL,
    raw_factor          DOUBLE NOT NULL,
    trusted             BOOLEAN NOT NULL,
    balance_constant    DOUBLE NOT NULL,
    model               VARCHAR NOT NULL,
    computed_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS risk.model_cards (
    model               VARCHAR NOT NULL,
    fitted_at           TIMESTAMPTZ NOT NULL,
    train_years         VARCHAR NOT NULL,
    test_year           INTEGER,
    as_at               DATE NOT NULL,
    fingerprint         VARCHAR NOT NULL,
    hazrisk_version     VARCHAR NOT NULL,
    card_json           VARCHAR NOT NULL,
    card_markdown       VARCHAR NOT NULL
);

COMMENT ON TABLE risk.predictions IS '保单风险预测 / per-policy predictions of a model for a priced year';
COMMENT ON COLUMN risk.predictions.policy_id IS '保单号 / policy id (the pricing basis)';
COMMENT ON COLUMN risk.predictions.vehicle_id IS '车辆 / vehicle id';
COMMENT ON COLUMN risk.predictions.enterprise_id IS '企业 / enterprise id';
COMMENT ON COLUMN risk.predictions.year IS '定价年度 / priced policy year';
COMMENT ON COLUMN risk.predictions.exposure_years IS '暴露（车年）/ exposure, vehicle-years';
COMMENT ON COLUMN risk.predictions.predicted_claims IS '预测出险次数 / predicted claims';
COMMENT ON COLUMN risk.predictions.predicted_loss_cny IS '预测赔款（元，含大额损失附加）/ predicted loss incl. large-loss loading, CNY';
COMMENT ON COLUMN risk.predictions.model IS '模型 / model folder name';
COMMENT ON COLUMN risk.predictions.computed_at IS '计算时间 / computed at';
COMMENT ON TABLE risk.premium_factors IS '保费调整系数 / premium factors (enterprise and vehicle rows) with their parts';
COMMENT ON TABLE risk.model_cards IS '模型卡 / model cards of fitted models';
