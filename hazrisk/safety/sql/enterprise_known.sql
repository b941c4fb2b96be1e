-- Whether enterprise $enterprise is known: registered, or present in the safety histories.
SELECT EXISTS (SELECT 1 FROM core.enterprises WHERE enterprise_id = $enterprise)
    OR EXISTS (SELECT 1 FROM safety.vehicle_days WHERE enterprise_id = $enterprise) AS known
