-- Row count and an order-independent hash of every input relation of the risk models.
SELECT 'core.policies' AS relation, count(*) AS n_rows, CAST(sum(hash(t)) AS VARCHAR) AS digest FROM core.policies t
UNION ALL SELECT 'core.claims', count(*), CAST(sum(hash(t)) AS VARCHAR) FROM core.claims t
UNION ALL SELECT 'core.vehicles', count(*), CAST(sum(hash(t)) AS VARCHAR) FROM core.vehicles t
UNION ALL SELECT 'safety.vehicle_months', count(*),
    CAST(sum(hash(t.vehicle_id, t.month, t.km, t.n_violations, t.offline_share)) AS VARCHAR)
    FROM safety.vehicle_months t
ORDER BY relation
