-- A warehouse whose core.claims predates report_date: claims count as reported on their
-- loss date (no development; the model card says so).
CREATE OR REPLACE TEMP VIEW risk_claims AS SELECT *, loss_date AS report_date FROM core.claims
