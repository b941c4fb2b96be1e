-- Link the violations starting in [$t0, $t1) to the monitoring centre's handling.
-- Reminders: 0x8300 texts to the violation's terminal (core.text_messages with a time) and
-- handling-log 'reminded' entries. A text belongs to the latest violation of its terminal that
-- started at or before it (ASOF); a log entry to the latest violation of its vehicle that
-- started at or before its event_time (+ $log_tolerance_s for detection offsets), of the same
-- rule group when the entry names one. A reminder counts when it comes within
-- $window_s of the start. Escalations and dismissals come from the handling log only.
UPDATE safety.violations AS v
SET reminded_at = h.reminded_at,
    reminder_source = h.reminder_source,
    reminder_text = h.reminder_text,
    time_to_reminder_s = h.time_to_reminder_s,
    continued_after_reminder = h.continued_after_reminder,
    repeated_after_reminder = h.repeated_after_reminder,
    escalated_safety_dept_at = h.safety_at,
    escalated_police_at = h.police_at,
    dismissed_at = h.dismissed_at,
    handling_status = h.handling_status,
    escalation_due = h.escalation_due,
    escalation_failure = h.escalation_due AND h.safety_at IS NULL AND h.police_at IS NULL
FROM (
    WITH cand AS (
        SELECT violation_id, vehicle_id, core.terminal_key(terminal_phone) AS tk, rule_id,
               rule_group, start_time, end_time
        FROM safety.violations
        WHERE start_time >= $t0 - to_seconds($window_s) AND start_time < $t1 + to_seconds($window_s)
    ),
    txt AS (
        SELECT core.terminal_key(terminal_phone) AS tk, recv_time AS t, text
        FROM core.text_messages
        WHERE recv_time IS NOT NULL
          AND recv_time >= $t0 AND recv_time < $t1 + to_seconds($window_s)
    ),
    -- ASOF on the distinct starts, then one violation per text: violations of one terminal
    -- starting at the same instant (an ADAS alarm and a speeding episode) are tied, and an
    -- ASOF join would pick either, differently from run to run; the lowest violation_id wins
    starts AS (SELECT DISTINCT tk, start_time FROM cand),
    txt_s AS (
        SELECT row_number() OVER () AS txt_row, x.tk, x.t, x.text, s.start_time
        FROM txt x ASOF JOIN starts s ON x.tk = s.tk AND x.t >= s.start_time
    ),
    txt_v AS (
        SELECT c.violation_id, x.t, x.text
        FROM txt_s x JOIN cand c ON c.tk = x.tk AND c.start_time = x.start_time
        QUALIFY row_number() OVER (PARTITION BY x.txt_row ORDER BY c.violation_id) = 1
    ),
    first_txt AS (
        SELECT violation_id, min(t) AS t, arg_min(text, t) AS text FROM txt_v GROUP BY ALL
    ),
    log AS (
        SELECT coalesce(l.vehicle_id, a.vehicle_id) AS vehicle_id,
               coalesce(l.event_time, l.action_time) AS et,
               l.action_time, l.action, l.note,
               CASE
                   WHEN l.rule IS NULL THEN NULL
                   WHEN lower(l.rule) LIKE '%speed%' OR l.rule LIKE '%超速%' THEN 'speeding'
                   WHEN lower(l.rule) LIKE '%fatigue%' AND lower(l.rule) NOT LIKE 'dsm%' THEN 'fatigue'
                   WHEN l.rule LIKE '%疲劳%' AND l.rule NOT LIKE '%DSM%' THEN 'fatigue'
                   WHEN lower(l.rule) LIKE '%night%' OR l.rule LIKE '%禁行%' THEN 'night_ban'
                   WHEN lower(l.rule) LIKE '%route%' OR lower(l.rule) LIKE '%area%'
                        OR l.rule LIKE '%线路%' OR l.rule LIKE '%区域%' THEN 'route'
                   WHEN lower(l.rule) LIKE '%offline%' OR l.rule LIKE '%离线%' THEN 'offline'
                   WHEN lower(l.rule) LIKE '%terminal%' OR lower(l.rule) LIKE '%fault%' THEN 'terminal'
                   WHEN lower(l.rule) LIKE 'adas%' THEN 'adas'
                   WHEN lower(l.rule) LIKE 'dsm%' THEN 'dsm'
                   ELSE NULL
               END AS grp
        FROM core.handling_log l
        LEFT JOIN core.terminal_assignments a
          ON l.vehicle_id IS NULL
         AND a.terminal_key = core.terminal_key(l.terminal_phone)
         AND coalesce(l.event_time, l.action_time) >= a.valid_from_ts
         AND coalesce(l.event_time, l.action_time) < a.valid_to_ts
        WHERE coalesce(l.event_time, l.action_time) IS NOT NULL
          AND coalesce(l.event_time, l.action_time) >= $t0 - to_seconds($log_tolerance_s)
          AND coalesce(l.event_time, l.action_time) < $t1 + to_seconds($window_s)
    ),
    -- a log entry belongs to the violation of its vehicle (and rule group, when it names one)
    -- whose [start - tolerance, end + tolerance] holds its event_time, the nearest start first
    log_n AS (
        SELECT row_number() OVER () AS log_row, * FROM log
    ),
    log_m AS (
        SELECT g.log_row, c.violation_id, g.action, g.action_time,
               row_number() OVER (PARTITION BY g.log_row
                                  ORDER BY (c.rule_group = g.grp) DESC NULLS LAST,
                                           abs(epoch(g.et) - epoch(c.start_time)),
                                           c.violation_id) AS k
        FROM log_n g
        JOIN cand c
          ON c.vehicle_id = g.vehicle_id
         AND (g.grp IS NULL OR g.grp = c.rule_group)
         AND g.et >= c.start_time - to_seconds($log_tolerance_s)
         AND g.et <= c.end_time + to_seconds($log_tolerance_s)
    ),
    log_all AS (SELECT violation_id, action, action_time FROM log_m WHERE k = 1),
    log_v AS (
        SELECT violation_id,
               min(action_time) FILTER (WHERE action = 'reminded') AS reminded_at,
               min(action_time) FILTER (WHERE action = 'reported_safety_dept') AS safety_at,
               min(action_time) FILTER (WHERE action = 'reported_police') AS police_at,
               min(action_time) FILTER (WHERE action = 'dismissed') AS dismissed_at
        FROM log_all
        GROUP BY violation_id
    ),
    linked AS (
        SELECT c.*,
               CASE WHEN ft.t IS NOT NULL AND ft.t <= c.start_time + to_seconds($window_s)
                    THEN ft.t END AS txt_t,
               ft.text AS txt_text,
               CASE WHEN lv.reminded_at <= c.start_time + to_seconds($window_s)
                    THEN lv.reminded_at END AS log_t,
               lv.safety_at, lv.police_at, lv.dismissed_at
        FROM cand c
        LEFT JOIN first_txt ft USING (violation_id)
        LEFT JOIN log_v lv USING (violation_id)
        WHERE c.start_time >= $t0 AND c.start_time < $t1
    ),
    rem AS (
        SELECT *,
               least(txt_t, log_t) AS reminded_at,
               CASE WHEN txt_t IS NOT NULL AND (log_t IS NULL OR txt_t <= log_t) THEN '0x8300'
                    WHEN log_t IS NOT NULL THEN 'handling_log' END AS reminder_source
        FROM linked
    ),
    rep AS (     -- the same rule again within repeat_window_s after the reminder
        SELECT r.violation_id, count(o.violation_id) > 0 AS repeated
        FROM rem r
        LEFT JOIN safety.violations o
          ON o.vehicle_id = r.vehicle_id AND o.rule_id = r.rule_id
         AND o.start_time > r.reminded_at
         AND o.start_time <= r.reminded_at + to_seconds($repeat_window_s)
        WHERE r.reminded_at IS NOT NULL
        GROUP BY r.violation_id
    )
    SELECT r.violation_id, r.reminded_at, r.reminder_source,
           CASE WHEN r.reminder_source = '0x8300' THEN r.txt_text END AS reminder_text,
           epoch(r.reminded_at) - epoch(r.start_time) AS time_to_reminder_s,
           CASE WHEN r.reminded_at IS NOT NULL THEN r.end_time > r.reminded_at END
               AS continued_after_reminder,
           rep.repeated AS repeated_after_reminder,
           r.safety_at, r.police_at, r.dismissed_at,
           -- 三.3(1): a reminder that did not stop the behaviour must be escalated
           coalesce(r.reminded_at IS NOT NULL
                    AND (r.end_time > r.reminded_at OR coalesce(rep.repeated, false)), false)
               AS escalation_due,
           CASE WHEN r.police_at IS NOT NULL THEN 'escalated_police'
                WHEN r.safety_at IS NOT NULL THEN 'escalated_safety_dept'
                WHEN r.reminded_at IS NOT NULL THEN 'reminded'
                WHEN r.dismissed_at IS NOT NULL THEN 'dismissed'
                ELSE 'unhandled' END AS handling_status
    FROM rem r LEFT JOIN rep USING (violation_id)
) AS h
WHERE v.violation_id = h.violation_id
