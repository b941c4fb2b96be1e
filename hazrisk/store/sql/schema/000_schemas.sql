-- Layers: raw -> quarantine -> core -> mart, plus meta (bookkeeping) and store (storage).
--   raw        non-position frames as decoded (body JSON + raw body), for provenance and unknown ids
--   quarantine rejected frames, garbage spans, rejected registry rows (nothing dropped silently)
--   core       typed, deduplicated facts and registries: what rates/safety read
--   mart       published, PII-masked relations (copied by `hazrisk publish`)
--   store      the physical telematics tables behind raw/quarantine/core views. A dump is
--              written chunk by chunk (bounded memory) and becomes visible all at once when
--              its meta.ingested_files row commits: the views show only rows of files there.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS store;

CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
