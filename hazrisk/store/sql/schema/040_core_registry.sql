-- Registry tables, imported by `hazrisk registry import` (README "Registry files").
-- Every row carries import_id (-> meta.registry_imports) and source_row (1-based data row of
-- the file as a spreadsheet numbers it: header = 1, first data row = 2; GeoJSON: feature index). A newer import of a file replaces all its rows.
-- Personal data (names, ID numbers, phones) is stored as given here; the mart.* views mask it.

CREATE TABLE IF NOT EXISTS core.enterprises (
    enterprise_id         VARCHAR NOT NULL,
    name                  VARCHAR,
    city                  VARCHAR,
    license_no            VARCHAR,
    safety_manager        VARCHAR,   -- PII
    safety_manager_phone  VARCHAR,   -- PII
    import_id             INTEGER NOT NULL,
    source_row            INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.providers (
    provider_id      VARCHAR NOT NULL,
    name             VARCHAR,
    platform_domain  VARCHAR,        -- the approved platform domain (rate 2)
    import_id        INTEGER NOT NULL,
    source_row       INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.device_makers (
    maker_id    VARCHAR NOT NULL,
    name        VARCHAR,
    import_id   INTEGER NOT NULL,
    source_row  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.insurers (
    insurer_id  VARCHAR NOT NULL,
    name        VARCHAR,
    import_id   INTEGER NOT NULL,
    source_row  INTEGER NOT NULL
);

-- One row per vehicle registration interval: a vehicle may appear several times with
-- different validity (new terminal, new provider). valid_from/valid_to are Beijing dates,
-- both inclusive; NULL = open. core.terminal_assignments turns them into instants.
CREATE TABLE IF NOT EXISTS core.vehicles (
    vehicle_id           VARCHAR NOT NULL,
    terminal_phone       VARCHAR,
    terminal_id          VARCHAR,
    plate                VARCHAR,
    plate_color          INTEGER,     -- JT/T 697.7 code as given
    vin                  VARCHAR,
    enterprise_id        VARCHAR,
    provider_id          VARCHAR,
    vehicle_type         VARCHAR,
    tonnage_t            DOUBLE,
    hazmat_class         VARCHAR,
    transport_permit_no  VARCHAR,
    owner_name           VARCHAR,     -- PII
    operator_phone       VARCHAR,     -- PII
    maker_id             VARCHAR,
    device_model         VARCHAR,
    valid_from           DATE,
    valid_to             DATE,
    import_id            INTEGER NOT NULL,
    source_row           INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.drivers (
    driver_id      VARCHAR NOT NULL,
    enterprise_id  VARCHAR,
    vehicle_id     VARCHAR,
    name           VARCHAR,           -- PII
    id_number      VARCHAR,           -- PII
    phone          VARCHAR,           -- PII
    role           VARCHAR,           -- driver / escort
    import_id      INTEGER NOT NULL,
    source_row     INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.images (
    vehicle_id   VARCHAR NOT NULL,
    slot         VARCHAR NOT NULL,    -- registration_cert / driving_licence / body_photo
    file_name    VARCHAR,
    sha256       VARCHAR,
    size_bytes   BIGINT,
    magic_hex    VARCHAR,             -- first bytes of the file, lower-case hex
    uploaded_at  TIMESTAMPTZ,
    import_id    INTEGER NOT NULL,
    source_row   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.phone_verifications (
    vehicle_id      VARCHAR NOT NULL,
    operator_phone  VARCHAR,          -- PII
    verified_at     TIMESTAMPTZ,
    result          VARCHAR,          -- pass / fail
    import_id       INTEGER NOT NULL,
    source_row      INTEGER NOT NULL
);

-- Approved routes (LineString, kind 'route', with buffer_m) and areas (Polygon, kind 'area').
-- Geometry as WKT in WGS84 (lon lat order); do geometry in shapely/geopandas (no spatial ext).
CREATE TABLE IF NOT EXISTS core.fences (
    fence_id         VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL,   -- route / area
    enterprise_id    VARCHAR,
    vehicle_id       VARCHAR,            -- NULL = applies to every vehicle of the enterprise
    name             VARCHAR,
    buffer_m         DOUBLE,             -- routes only
    geometry_wkt     VARCHAR NOT NULL,
    properties_json  VARCHAR,            -- all GeoJSON properties as given
    import_id        INTEGER NOT NULL,
    source_row       INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.roads (
    road_id          VARCHAR NOT NULL,
    name             VARCHAR,
    road_class       VARCHAR,            -- expressway / other
    speed_limit_kmh  DOUBLE,
    geometry_wkt     VARCHAR NOT NULL,
    properties_json  VARCHAR,
    import_id        INTEGER NOT NULL,
    source_row       INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.handling_log (
    log_id          VARCHAR NOT NULL,
    vehicle_id      VARCHAR,
    terminal_phone  VARCHAR,
    event_time      TIMESTAMPTZ,
    action_time     TIMESTAMPTZ,
    action          VARCHAR,   -- reminded / reported_safety_dept / reported_police / dismissed
    rule            VARCHAR,
    operator        VARCHAR,
    note            VARCHAR,
    import_id       INTEGER NOT NULL,
    source_row      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.fault_tickets (
    ticket_id       VARCHAR NOT NULL,
    vehicle_id      VARCHAR,
    terminal_phone  VARCHAR,
    maker_id        VARCHAR,
    device_model    VARCHAR,
    fault_kind      VARCHAR,
    reported_at     TIMESTAMPTZ,
    repaired_at     TIMESTAMPTZ,     -- NULL = not repaired
    import_id       INTEGER NOT NULL,
    source_row      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.policies (
    policy_id       VARCHAR NOT NULL,
    vehicle_id      VARCHAR,
    enterprise_id   VARCHAR,
    insurer_id      VARCHAR,
    year            INTEGER,
    start_date      DATE,
    end_date        DATE,
    exposure_years  DOUBLE,
    premium_cny     DOUBLE,
    hazmat_class    VARCHAR,
    import_id       INTEGER NOT NULL,
    source_row      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS core.claims (
    claim_id       VARCHAR NOT NULL,
    policy_id      VARCHAR,
    vehicle_id     VARCHAR,
    enterprise_id  VARCHAR,
    loss_date      DATE,
    amount_cny     DOUBLE,
    cause          VARCHAR,
    import_id      INTEGER NOT NULL,
    source_row     INTEGER NOT NULL
);
