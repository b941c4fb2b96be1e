-- Claims with their accident (policy) year, as the reporting triangle needs them.
SELECT c.claim_id, c.policy_id, c.enterprise_id, CAST(p.year AS INTEGER) AS year,
       c.loss_date, coalesce(c.report_date, c.loss_date) AS report_date, c.amount_cny
FROM risk_claims c
JOIN core.policies p USING (policy_id)
WHERE coalesce(c.report_date, c.loss_date) <= $as_at
ORDER BY c.claim_id
