-- Enterprises an insurer holds policies of (mart.policies, when the snapshot publishes it).
SELECT DISTINCT enterprise_id FROM mart.policies
WHERE insurer_id = $insurer AND enterprise_id IS NOT NULL
ORDER BY enterprise_id;
