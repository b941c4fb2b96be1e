-- The claims the risk models read (a temporary view per connection).
CREATE OR REPLACE TEMP VIEW risk_claims AS SELECT * FROM core.claims
