-- Claims carry the date the insurer was told (reporting delay): a model fitted "as at" a date
-- sees only the claims reported by then, and immature years are developed (chain ladder).
-- claims.csv column report_date (optional; a report before the loss is rejected).
ALTER TABLE core.claims ADD COLUMN IF NOT EXISTS report_date DATE;
