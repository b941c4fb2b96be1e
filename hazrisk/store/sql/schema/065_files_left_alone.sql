-- Files that `hazrisk ingest` or `hazrisk registry import` found but did not take (not a dump,
-- not a registry file of the README contract). Listed so that nothing handed over is lost
-- silently; the data-quality report and portal page show them (mart.files_left_alone).
CREATE TABLE IF NOT EXISTS meta.files_left_alone (
    path        VARCHAR NOT NULL,      -- as found (absolute when the argument was)
    command     VARCHAR NOT NULL,      -- ingest | registry import
    reason      VARCHAR NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (path, command)
);
