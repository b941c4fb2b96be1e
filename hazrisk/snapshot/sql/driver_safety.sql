-- Drivers' and escorts' safety records of one month (mart.driver_safety: names and ID numbers
-- masked as published), one enterprise or all; most violations first.
SELECT driver_id, driver_name, id_number, role, period, enterprise_id, n_violations, n_speeding,
       n_fatigue, n_night_ban, n_active_safety, n_handled, n_continued_after_reminder,
       n_escalation_failures
FROM mart.driver_safety
WHERE period = $period AND ($enterprise IS NULL OR enterprise_id = $enterprise)
ORDER BY enterprise_id, n_violations DESC, driver_id;
