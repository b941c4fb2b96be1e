-- Handling performance per enterprise for Beijing days [$d0, $d1): reminders (0x8300 or the
-- monitoring log), escalations, dismissals, violations nobody acted on.
SELECT v.enterprise_id, e.name AS enterprise_name, e.city,
       count(*) AS n_violations,
       count(*) FILTER (WHERE v.reminded_at IS NOT NULL) AS n_reminded,
       count(*) FILTER (WHERE v.escalated_safety_dept_at IS NOT NULL) AS n_escalated_safety_dept,
       count(*) FILTER (WHERE v.escalated_police_at IS NOT NULL) AS n_escalated_police,
       count(*) FILTER (WHERE v.dismissed_at IS NOT NULL) AS n_dismissed,
       count(*) FILTER (WHERE v.handling_status = 'unhandled') AS n_unhandled,
       count(*) FILTER (WHERE v.handling_status <> 'unhandled') / count(*) AS handling_rate,
       count(*) FILTER (WHERE v.reminded_at IS NOT NULL) / count(*) AS reminder_rate,
       median(v.time_to_reminder_s) AS median_time_to_reminder_s,
       count(*) FILTER (WHERE v.continued_after_reminder) AS n_continued_after_reminder,
       count(*) FILTER (WHERE v.repeated_after_reminder) AS n_repeated_after_reminder
FROM safety.violations v
LEFT JOIN core.enterprises e USING (enterprise_id)
WHERE v.day >= $d0 AND v.day < $d1 AND v.enterprise_id IS NOT NULL
GROUP BY ALL
ORDER BY n_unhandled DESC, handling_rate, v.enterprise_id
