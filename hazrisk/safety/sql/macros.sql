-- hazrisk.safety macros: applied with the schema (hazrisk.safety.tables.ensure_schema) and by
-- hazrisk.snapshot over a published snapshot, so the league table has one definition.
CREATE SCHEMA IF NOT EXISTS safety;

-- Score of the national enterprise table against a regional average a (max 20):
-- e <= a: 10 + (a - e)/a*10; a < e < 2a: (2a - e)/a*10; e >= 2a: 0. a = 0: 20 when e = 0.
CREATE OR REPLACE MACRO safety.regional_score(e, a) AS
    CASE WHEN e IS NULL OR a IS NULL THEN NULL
         WHEN a <= 0 THEN CASE WHEN e <= 0 THEN 20.0 ELSE 0.0 END
         WHEN e <= a THEN 10.0 + (a - e) / a * 10.0
         WHEN e < 2 * a THEN (2 * a - e) / a * 10.0
         ELSE 0.0 END;

-- Handled = reminded or escalated ('dismissed' is not handling; issue 13).
CREATE OR REPLACE MACRO safety.handled(status) AS
    status IN ('reminded', 'escalated_safety_dept', 'escalated_police');
