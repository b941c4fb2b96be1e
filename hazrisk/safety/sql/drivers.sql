-- Link the violations starting in [$t0, $t1) to the driver on duty at their start: the 0x0702
-- session (safety.driver_sessions) of the violation's terminal holding the start time.
-- NULL when no driver was signed in (or the dumps carry no 0x0702).
UPDATE safety.violations AS v
SET driver_id = d.driver_id
FROM (
    SELECT v2.violation_id, arg_max(s.driver_id, s.start_time) AS driver_id
    FROM safety.violations v2
    JOIN safety.driver_sessions s
      ON s.terminal_key = core.terminal_key(v2.terminal_phone)
     AND v2.start_time >= s.start_time AND v2.start_time < s.end_time
    WHERE v2.start_time >= $t0 AND v2.start_time < $t1
    GROUP BY v2.violation_id
) AS d
WHERE v.violation_id = d.violation_id
