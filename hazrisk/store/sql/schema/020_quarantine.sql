-- Storage of quarantine.frames_rejected / core.frames_rejected: frames the decoder rejected (reason from the codec's closed set). The header fields are
-- kept when the header parsed, so a failure counts against the right terminal/provider.
CREATE TABLE IF NOT EXISTS store.frames_rejected (
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL,
    length          INTEGER NOT NULL,
    reason          VARCHAR NOT NULL,
    terminal_phone  VARCHAR,
    msg_id          INTEGER,
    serial          INTEGER,
    version         SMALLINT,
    recv_time       TIMESTAMPTZ,
    raw_hex         VARCHAR           -- the frame's bytes as hex (truncated to 4096 bytes)
);

-- Storage of quarantine.garbage_spans / core.garbage_spans: bytes between frames. length is in bytes of the decoded stream.
CREATE TABLE IF NOT EXISTS store.garbage_spans (
    source_file_id  INTEGER NOT NULL,
    source_offset   BIGINT NOT NULL,
    length          BIGINT NOT NULL,
    head_hex        VARCHAR           -- first 64 bytes as hex
);

-- Registry rows that failed validation: nothing is rejected silently.
CREATE TABLE IF NOT EXISTS quarantine.registry_rejects (
    import_id   INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,
    path        VARCHAR NOT NULL,
    row_number  INTEGER NOT NULL,     -- spreadsheet row (header = row 1, first data row = 2); GeoJSON: 1-based feature index
    action      VARCHAR NOT NULL,     -- row_rejected (not imported) | value_nulled (row kept, this value NULL)
    column_name VARCHAR,
    error       VARCHAR NOT NULL,
    row_json    VARCHAR NOT NULL      -- the row as read
);
