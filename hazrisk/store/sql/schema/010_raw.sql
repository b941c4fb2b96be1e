-- Storage of raw.messages: every ok message other than positions (core.positions) and
-- heartbeats (core.heartbeats), as decoded:
-- unknown message ids are kept here with their raw body. One row per message; a message
-- reassembled from subpackages is one row whose source_offset is its first part.
CREATE TABLE IF NOT EXISTS store.raw_messages (
    source_file_id   INTEGER NOT NULL,
    source_offset    BIGINT NOT NULL,
    length           INTEGER NOT NULL,
    msg_id           INTEGER NOT NULL,
    terminal_phone   VARCHAR,
    serial           INTEGER,
    version          SMALLINT,
    direction        VARCHAR,          -- RECV/SEND when the hex log says so
    recv_time        TIMESTAMPTZ,      -- hex-log timestamp; NULL for raw binary dumps
    subpackage_total INTEGER,
    subpackage_index INTEGER,
    reassembled_from BIGINT[],
    quality          VARCHAR[],
    body_json        VARCHAR,          -- Record body as JSON (README keys)
    raw_body         BLOB
);
