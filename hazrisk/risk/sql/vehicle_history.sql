-- Exposure and claims (reported by $as_at) of every vehicle x policy year.
SELECT p.vehicle_id, CAST(p.year AS INTEGER) AS year,
       sum(p.exposure_years) AS e, sum(coalesce(k.n, 0)) AS n
FROM core.policies p
LEFT JOIN (SELECT policy_id, count(*) AS n FROM risk_claims
           WHERE coalesce(report_date, loss_date) <= $as_at GROUP BY policy_id) k
  USING (policy_id)
GROUP BY ALL
