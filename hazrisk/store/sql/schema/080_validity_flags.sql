-- store.positions.quality_flags holds the data-qualification check bits of hazrisk.validity
-- (one layout for ingest, rates and detection: 11 checks, so USMALLINT). Flags stored before
-- this file had the decoder's six bits; they are moved to their bits in the new layout. Their
-- files have no meta.file_validity row: rates and detect ask for `hazrisk ingest --reflag`
-- (the checks that did not exist then: receive time, tacho speed, reserved bits).
ALTER TABLE store.positions ALTER COLUMN quality_flags SET DATA TYPE USMALLINT;
UPDATE store.positions SET quality_flags =
      CASE WHEN (quality_flags & 1) <> 0 THEN 2 ELSE 0 END     -- invalid_bcd_time -> time_invalid
    + CASE WHEN (quality_flags & 2) <> 0 THEN 16 ELSE 0 END    -- lat_out_of_range -> latitude
    + CASE WHEN (quality_flags & 4) <> 0 THEN 8 ELSE 0 END     -- lon_out_of_range -> longitude
    + CASE WHEN (quality_flags & 8) <> 0 THEN 32 ELSE 0 END    -- speed_out_of_range -> gps_speed
    + CASE WHEN (quality_flags & 16) <> 0 THEN 128 ELSE 0 END  -- heading_out_of_range -> heading
    + CASE WHEN (quality_flags & 32) <> 0 THEN 256 ELSE 0 END  -- altitude_out_of_range -> altitude
WHERE quality_flags <> 0;

-- The [validity] bounds each file's flags were computed under (hazrisk.validity.fingerprint).
CREATE TABLE IF NOT EXISTS meta.validity_rules (
    validity_sha256  VARCHAR PRIMARY KEY,
    bounds_json      VARCHAR NOT NULL,     -- the [validity] values, JSON
    first_used       TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS meta.file_validity (
    file_id          INTEGER PRIMARY KEY,  -- meta.ingested_files
    validity_sha256  VARCHAR NOT NULL,     -- meta.validity_rules
    flagged_at       TIMESTAMPTZ NOT NULL  -- ingest, or the last `hazrisk ingest --reflag`
);
