-- One row per dump file ingested successfully. Committing this row is what makes the file's
-- rows (written before it, chunk by chunk, into store.*) visible through the core/raw views.
CREATE TABLE IF NOT EXISTS meta.ingested_files (
    file_id             INTEGER PRIMARY KEY,
    path                VARCHAR NOT NULL,       -- as given on the command line (absolute)
    sha256              VARCHAR NOT NULL UNIQUE, -- of the file's bytes as stored (gz: compressed)
    size_bytes          BIGINT NOT NULL,
    format              VARCHAR NOT NULL,       -- raw | hexlog (after gunzip)
    compressed          BOOLEAN NOT NULL,
    source_provider_id  VARCHAR,                -- from dumps/<provider_id>/<date>.* when the layout matches
    source_date         DATE,                   -- from the file name when it is YYYY-MM-DD
    status              VARCHAR NOT NULL,       -- 'ok'
    frames_ok           BIGINT NOT NULL,        -- ok frames (reassembled messages not counted twice)
    frames_rejected     BIGINT NOT NULL,
    garbage_bytes       BIGINT NOT NULL,
    garbage_spans       BIGINT NOT NULL,
    positions           BIGINT NOT NULL,        -- decoded position rows (before dedup)
    positions_stored    BIGINT NOT NULL,        -- rows added to core.positions
    duplicates          BIGINT NOT NULL,        -- positions - positions_stored
    unknown_terminals   INTEGER NOT NULL,       -- distinct phones with no registry match
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ NOT NULL,
    duration_s          DOUBLE NOT NULL,
    hazrisk_version     VARCHAR
);

-- Rejected frames per file and reason (kept even when retention trims quarantine rows).
CREATE TABLE IF NOT EXISTS meta.ingested_file_rejects (
    file_id  INTEGER NOT NULL,
    reason   VARCHAR NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (file_id, reason)
);

-- A file being ingested (committed before its first chunk). A row left here by a crash or kill
-- marks store.* rows to delete: every read-write connect removes them.
CREATE TABLE IF NOT EXISTS meta.ingest_in_progress (
    file_id     INTEGER PRIMARY KEY,
    path        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    pid         INTEGER
);

-- Failed ingest attempts (written outside the failed file's rolled-back transaction).
CREATE TABLE IF NOT EXISTS meta.ingest_errors (
    path        VARCHAR NOT NULL,
    sha256      VARCHAR,
    error       VARCHAR NOT NULL,
    failed_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- One row per registry file import (the newest import of a kind replaces the older rows).
CREATE TABLE IF NOT EXISTS meta.registry_imports (
    import_id    INTEGER PRIMARY KEY,
    kind         VARCHAR NOT NULL,   -- vehicles, enterprises, ..., routes, areas, roads, claims
    path         VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    rows_ok      BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL
);

-- Audit trail of `hazrisk retain` (dry runs included).
CREATE TABLE IF NOT EXISTS meta.retention_runs (
    run_at      TIMESTAMPTZ NOT NULL,
    as_of       DATE NOT NULL,
    table_name  VARCHAR NOT NULL,
    horizon     VARCHAR NOT NULL,    -- e.g. '6 months'
    cutoff      TIMESTAMPTZ NOT NULL, -- rows strictly older than this are removed
    rows_deleted BIGINT NOT NULL,
    dry_run     BOOLEAN NOT NULL
);
