-- Helpers. terminal_key: the phone as used for matching (leading zeros stripped) so that a
-- 2013 BCD[6] '013912345678', a 2019 BCD[10] '00000000013912345678' and a registry
-- '13912345678' are the same terminal.
CREATE OR REPLACE MACRO core.terminal_key(p) AS nullif(ltrim(p, '0'), '');

-- PII masks (same rules as hazrisk.store.publish.mask_pii): keep the shape, hide the middle.
CREATE OR REPLACE MACRO mart.mask_name(s) AS
    CASE WHEN s IS NULL OR length(s) = 0 THEN s
         ELSE left(s, 1) || repeat('*', length(s) - 1) END;
CREATE OR REPLACE MACRO mart.mask_phone(s) AS
    CASE WHEN s IS NULL THEN s
         WHEN length(s) <= 4 THEN repeat('*', length(s))
         WHEN length(s) < 8 THEN repeat('*', length(s) - 2) || right(s, 2)
         ELSE left(s, 3) || repeat('*', length(s) - 7) || right(s, 4) END;
CREATE OR REPLACE MACRO mart.mask_id(s) AS
    CASE WHEN s IS NULL THEN s
         WHEN length(s) <= 4 THEN repeat('*', length(s))
         WHEN length(s) < 8 THEN repeat('*', length(s) - 2) || right(s, 2)
         ELSE left(s, 3) || repeat('*', length(s) - 7) || right(s, 4) END;
