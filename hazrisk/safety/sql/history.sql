-- One enterprise's monthly safety history (safety.enterprise_months), periods [$p0, $p1].
SELECT m.period, m.days_covered, m.vehicles, m.vehicles_online, round(m.km, 1) AS km,
       round(m.driving_h, 1) AS driving_h, m.n_violations, m.n_speeding, m.n_fatigue,
       m.n_night_ban, m.n_off_route, m.n_offline_displacement, m.n_faulty_terminal_dispatch,
       m.n_adas, m.n_dsm,
       round(m.speeding_per_100km, 3) AS speeding_per_100km,
       round(m.fatigue_per_100km, 3) AS fatigue_per_100km,
       round(m.fatigue_min, 1) AS fatigue_min, round(m.night_ban_min, 1) AS night_ban_min,
       round(m.night_km_share, 4) AS night_km_share, round(m.offline_share, 4) AS offline_share,
       round(m.data_quality_rate, 4) AS data_quality_rate,
       round(m.handling_rate, 4) AS handling_rate,
       m.median_time_to_reminder_s,
       round(m.speeding_per_vehicle, 4) AS speeding_per_vehicle,
       round(m.province_speeding_avg, 4) AS province_speeding_avg,
       round(m.speeding_score_city, 2) AS speeding_score_city,
       round(m.speeding_score_province, 2) AS speeding_score_province,
       round(m.fatigue_score_city, 2) AS fatigue_score_city,
       round(m.fatigue_score_province, 2) AS fatigue_score_province,
       (SELECT CAST(to_json(map_from_entries(list((r.rule_id, r.n_events) ORDER BY r.rule_id)))
                    AS VARCHAR)
        FROM safety.enterprise_month_rules r
        WHERE r.enterprise_id = m.enterprise_id AND r.period = m.period) AS counts_by_rule_json
FROM safety.enterprise_months m
WHERE m.enterprise_id = $enterprise
  AND ($p0 IS NULL OR m.period >= $p0) AND ($p1 IS NULL OR m.period <= $p1)
ORDER BY m.period
