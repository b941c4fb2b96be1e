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
