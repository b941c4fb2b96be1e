-- Driver views (after macros.sql: they use safety.handled); applied by ensure_schema.
-- Driver sign-in / sign-out from 0x0702 驾驶员身份信息采集上报 (raw.messages): a session runs from
-- a successful card insertion (card_status 1, ic_result 0) to the terminal's next card event
-- (removal or another insertion). The driver is matched to core.drivers by ID-card number
-- (2019 bodies), else by name within the vehicle's enterprise; unmatched drivers keep
-- 'Q:' || their qualification certificate number.
CREATE OR REPLACE VIEW safety.driver_sessions AS
WITH ev AS (
    SELECT core.terminal_key(m.terminal_phone) AS terminal_key, m.terminal_phone,
           CAST(json_extract_string(m.body_json, '$.time') AS TIMESTAMPTZ) AS t,
           CAST(json_extract(m.body_json, '$.card_status') AS INTEGER) AS card_status,
           CAST(json_extract(m.body_json, '$.ic_result') AS INTEGER) AS ic_result,
           json_extract_string(m.body_json, '$.driver_name') AS driver_name,
           json_extract_string(m.body_json, '$.qualification_no') AS qualification_no,
           json_extract_string(m.body_json, '$.id_card_no') AS id_card_no,
           m.source_file_id, m.source_offset
    FROM raw.messages m
    WHERE m.msg_id = 1794 AND m.body_json IS NOT NULL
),
seq AS (
    SELECT *, lead(t) OVER (PARTITION BY terminal_key ORDER BY t, source_file_id, source_offset)
                  AS next_t
    FROM ev WHERE t IS NOT NULL
),
sessions AS (
    SELECT s.terminal_key, s.terminal_phone, s.t AS start_time,
           coalesce(s.next_t, CAST('infinity' AS TIMESTAMPTZ)) AS end_time,
           nullif(trim(s.driver_name), '') AS driver_name,
           nullif(trim(s.qualification_no), '') AS qualification_no,
           nullif(trim(s.id_card_no), '') AS id_card_no, a.vehicle_id, a.enterprise_id
    FROM seq s
    LEFT JOIN core.terminal_assignments a
      ON a.terminal_key = s.terminal_key AND s.t >= a.valid_from_ts AND s.t < a.valid_to_ts
    WHERE s.card_status = 1 AND coalesce(s.ic_result, 0) = 0
)
SELECT s.*,
       coalesce(by_id.driver_id, by_name.driver_id, 'Q:' || s.qualification_no) AS driver_id,
       CASE WHEN by_id.driver_id IS NOT NULL THEN 'id_number'
            WHEN by_name.driver_id IS NOT NULL THEN 'name'
            ELSE 'unmatched' END AS matched_by
FROM sessions s
LEFT JOIN (SELECT id_number, any_value(driver_id) AS driver_id FROM core.drivers
           WHERE id_number IS NOT NULL GROUP BY ALL) by_id ON by_id.id_number = s.id_card_no
LEFT JOIN (SELECT enterprise_id, name, any_value(driver_id) AS driver_id FROM core.drivers
           WHERE name IS NOT NULL GROUP BY ALL HAVING count(*) = 1) by_name
       ON by_name.enterprise_id = s.enterprise_id AND by_name.name = s.driver_name;

-- Per-driver safety history by month (from the violations linked to the driver on duty).
CREATE OR REPLACE VIEW safety.driver_months AS
SELECT driver_id, strftime(day, '%Y-%m') AS period, any_value(enterprise_id) AS enterprise_id,
       count(*) AS n_violations,
       count(*) FILTER (WHERE rule_id = 'speeding') AS n_speeding,
       count(*) FILTER (WHERE rule_group = 'fatigue') AS n_fatigue,
       count(*) FILTER (WHERE rule_group = 'night_ban') AS n_night_ban,
       count(*) FILTER (WHERE rule_group IN ('adas', 'dsm')) AS n_active_safety,
       count(*) FILTER (WHERE safety.handled(handling_status)) AS n_handled,
       count(*) FILTER (WHERE continued_after_reminder OR repeated_after_reminder)
           AS n_continued_after_reminder,
       count(*) FILTER (WHERE escalation_failure) AS n_escalation_failures
FROM safety.violations
WHERE driver_id IS NOT NULL
GROUP BY driver_id, strftime(day, '%Y-%m');
