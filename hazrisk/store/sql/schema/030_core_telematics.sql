-- Storage of the decoded telematics (read them through the core.* views of the same name,
-- which show only rows of committed files). Times are TIMESTAMPTZ (instants); connect() sets TimeZone to
-- Beijing time (conf [period] timezone) so date_trunc('day', t) / CAST(t AS DATE) give Beijing days.
-- Every row carries (source_file_id -> meta.ingested_files, source_offset = the frame's byte
-- offset in the decoded stream, as reported by the decoder).

-- Storage of core.positions (views/015_core_positions.sql adds the derived columns):
-- one row per decoded position (each 0x0200, each position inside a 0x0704), deduplicated on
-- (terminal_phone, device_time, lat_deg, lon_deg): the first copy in ingest order is kept.
-- Derivable flags are not stored (acc_on/is_located from status, q_* from quality_flags,
-- source_provider_id from meta.ingested_files): fewer columns make appends cheaper.
CREATE TABLE IF NOT EXISTS store.positions (
    pos_seq            BIGINT NOT NULL,      -- unique, increasing in ingest order
    terminal_phone     VARCHAR NOT NULL,
    vehicle_id         VARCHAR,
    enterprise_id      VARCHAR,
    provider_id        VARCHAR,
    device_time        TIMESTAMPTZ,
    recv_time          TIMESTAMPTZ,
    lat_deg            DOUBLE,
    lon_deg            DOUBLE,
    altitude_m         INTEGER,
    speed_kmh          DOUBLE,
    tacho_speed_kmh    DOUBLE,
    heading_deg        INTEGER,
    mileage_km         DOUBLE,
    fuel_l             DOUBLE,
    rssi               INTEGER,
    gnss_count         INTEGER,
    alarm              UINTEGER NOT NULL,
    status             UINTEGER NOT NULL,
    is_backfill        BOOLEAN NOT NULL,
    msg_id             INTEGER NOT NULL,
    serial             INTEGER,
    version            SMALLINT,
    pos_index          INTEGER NOT NULL,
    quality_flags      UTINYINT NOT NULL,    -- bits: 0 invalid_bcd_time, 1 lat, 2 lon, 3 speed, 4 heading, 5 altitude out of range
    source_file_id     INTEGER NOT NULL,
    source_offset      BIGINT NOT NULL
);

-- One row per (kept position, alarm bit set in its alarm word).
CREATE TABLE IF NOT EXISTS store.alarms (
    pos_seq         BIGINT NOT NULL,
    terminal_phone  VARCHAR NOT NULL,
    vehicle_id      VARCHAR,
    enterprise_id   VARCHAR,
    provider_id     VARCHAR,
    device_time     TIMESTAMPTZ,
    alarm_bit       TINYINT NOT NULL,     -- 0..31
    alarm_name      VARCHAR NOT NULL,     -- hazrisk.jt808.flags.Alarm name, lower case: emergency, overspeed, fatigue ...
    lat_deg         DOUBLE,
    lon_deg         DOUBLE,
    speed_kmh       DOUBLE,
    is_backfill     BOOLEAN NOT NULL,
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);

-- One row per active-safety item on a kept position: 0x64 ADAS, 0x65 DSM, 0x66 TPMS, 0x67 BSD.
CREATE TABLE IF NOT EXISTS store.safety_events (
    pos_seq         BIGINT NOT NULL,
    terminal_phone  VARCHAR NOT NULL,
    vehicle_id      VARCHAR,
    enterprise_id   VARCHAR,
    provider_id     VARCHAR,
    device_time     TIMESTAMPTZ,          -- the position's time
    item_id         INTEGER NOT NULL,     -- 0x64 / 0x65 / 0x66 / 0x67
    system          VARCHAR NOT NULL,     -- adas / dsm / tpms / bsd
    alarm_id        BIGINT,               -- the item's alarm ID (DWORD)
    alarm_type      INTEGER,              -- e.g. ADAS 0x01 forward collision, DSM 0x01 fatigue, 0x02 phone
    alarm_level     INTEGER,              -- 1 / 2
    flag_status     INTEGER,              -- 0 n/a, 1 start, 2 end
    event_time      TIMESTAMPTZ,          -- time from the alarm identification block, if any
    lat_deg         DOUBLE,
    lon_deg         DOUBLE,
    speed_kmh       DOUBLE,
    is_backfill     BOOLEAN NOT NULL,
    item_json       VARCHAR,              -- the whole decoded item (README keys)
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);

-- 0x0002 terminal heartbeats.
CREATE TABLE IF NOT EXISTS store.heartbeats (
    terminal_phone  VARCHAR NOT NULL,
    recv_time       TIMESTAMPTZ,          -- NULL for raw binary dumps (no clock on the wire)
    serial          INTEGER,
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);

-- 0x0100 terminal registrations.
CREATE TABLE IF NOT EXISTS store.registrations (
    terminal_phone  VARCHAR NOT NULL,
    recv_time       TIMESTAMPTZ,
    serial          INTEGER,
    version         SMALLINT,
    province_id     INTEGER,
    city_id         INTEGER,
    maker_id        VARCHAR,
    model           VARCHAR,
    terminal_id     VARCHAR,
    plate_color     INTEGER,
    plate           VARCHAR,
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);

-- 0x0102 terminal authentications.
CREATE TABLE IF NOT EXISTS store.authentications (
    terminal_phone  VARCHAR NOT NULL,
    recv_time       TIMESTAMPTZ,
    serial          INTEGER,
    version         SMALLINT,
    auth_code       VARCHAR,
    imei            VARCHAR,              -- 2019 only
    software_version VARCHAR,             -- 2019 only
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);

-- 0x0104 answers to a parameter query: one row per parameter.
CREATE TABLE IF NOT EXISTS store.param_answers (
    terminal_phone  VARCHAR NOT NULL,
    recv_time       TIMESTAMPTZ,
    serial          INTEGER,
    reply_serial    INTEGER,
    param_id        INTEGER NOT NULL,     -- e.g. 0x0013 main server address
    param_hex       VARCHAR NOT NULL,     -- '0x0013'
    value_text      VARCHAR,              -- strings as decoded (NUL padding stripped), numbers as text
    value_json      VARCHAR,              -- the decoded value as JSON
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);

-- 0x8300 text messages (platform -> terminal: the monitoring centre's reminders).
CREATE TABLE IF NOT EXISTS store.text_messages (
    terminal_phone  VARCHAR NOT NULL,
    recv_time       TIMESTAMPTZ,          -- the hex log's time; NULL for raw binary dumps
    direction       VARCHAR,              -- SEND / RECV as logged
    serial          INTEGER,
    flags           INTEGER,
    text            VARCHAR,
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);

-- 0x0800 multimedia event information and 0x0801 multimedia data upload (metadata only).
CREATE TABLE IF NOT EXISTS store.multimedia (
    terminal_phone  VARCHAR NOT NULL,
    recv_time       TIMESTAMPTZ,
    msg_id          INTEGER NOT NULL,     -- 0x0800 / 0x0801
    serial          INTEGER,
    media_id        BIGINT,
    media_type      INTEGER,              -- 0 image, 1 audio, 2 video
    media_format    INTEGER,              -- 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV
    event_code      INTEGER,
    channel_id      INTEGER,
    device_time     TIMESTAMPTZ,          -- 0x0801: time of its embedded position
    lat_deg         DOUBLE,
    lon_deg         DOUBLE,
    data_bytes      BIGINT,               -- 0x0801: size of the media payload
    data_sha256     VARCHAR,
    data_magic_hex  VARCHAR,              -- first 4 bytes of the payload
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL
);
