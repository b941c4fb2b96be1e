-- A results warehouse of the Spark engine (hazrisk/spark/inputs.py): which of its relations are
-- copies of the export's small inputs, from which export, refreshed when, and the export's
-- digests of the pieces they hold. Run as a script when the file is created and whenever an
-- existing one is opened (a file an earlier version created gets the later tables and
-- columns); its presence marks the file as a results warehouse.
CREATE SCHEMA IF NOT EXISTS spark;
CREATE TABLE IF NOT EXISTS spark.copied_inputs (
    relation   VARCHAR PRIMARY KEY,   -- e.g. core.vehicles, store.heartbeats
    export     VARCHAR NOT NULL,      -- the export folder or URI the rows came from
    rows       BIGINT NOT NULL,       -- rows the relation holds
    copied_at  TIMESTAMPTZ NOT NULL
);
-- rows read from the export by the last refresh (NULL: before copies were incremental)
ALTER TABLE spark.copied_inputs ADD COLUMN IF NOT EXISTS copied BIGINT;
-- What each relation holds, piece by piece, as the export's meta/digests.parquet described it
-- (hazrisk/store/export.py): per dump file for the telematics tables, one row (source_file_id
-- NULL) for a registry or meta table. A refresh copies again only what differs.
CREATE TABLE IF NOT EXISTS spark.copied_digests (
    relation        VARCHAR NOT NULL,
    source_file_id  INTEGER,
    rows            BIGINT NOT NULL,
    digest          VARCHAR
);
