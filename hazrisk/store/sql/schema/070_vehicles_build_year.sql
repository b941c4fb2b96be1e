-- The vehicle's build year (出厂年份): vehicle age = policy year - build_year is a rating
-- feature (hazrisk/risk). vehicles.csv column build_year (optional; older files without it
-- import with build_year NULL: the age is then explicitly missing).
ALTER TABLE core.vehicles ADD COLUMN IF NOT EXISTS build_year INTEGER;
