-- A results warehouse of the Spark engine (hazrisk/spark/inputs.py): which of its relations are
-- copies of the export's small inputs, from which export, refreshed when. Run as a script when
-- the file is created; its presence marks the file as a results warehouse.
CREATE SCHEMA IF NOT EXISTS spark;
CREATE TABLE IF NOT EXISTS spark.copied_inputs (
    relation   VARCHAR PRIMARY KEY,   -- e.g. core.vehicles, store.heartbeats
    export     VARCHAR NOT NULL,      -- the export folder or URI the rows came from
    rows       BIGINT NOT NULL,
    copied_at  TIMESTAMPTZ NOT NULL
);
