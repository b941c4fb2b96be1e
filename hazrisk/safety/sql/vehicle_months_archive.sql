-- Archived vehicle-months for the months [$m0, $m1) that detection does not cover (detection
-- wins): the latest import of each, marked source 'archive'. Run after the detected rows of
-- the range are in place and the range's archive rows are deleted.
INSERT INTO safety.vehicle_months (
    vehicle_id, month, enterprise_id, provider_id, source, source_file, days_covered,
    days_registered, days_online, km, driving_h, night_km, night_h, night_km_share, fatigue_min,
    night_ban_min, offline_min, offline_share, positions, positions_qualified, drift_points,
    data_quality_rate, n_speeding, n_fatigue, n_night_ban, n_off_route, n_offline_displacement,
    n_faulty_terminal_dispatch, n_adas, n_dsm, n_violations, n_reminded, n_handled, n_escalated,
    median_time_to_reminder_s, computed_at)
SELECT a.vehicle_id, a.month, a.enterprise_id, a.provider_id, 'archive', a.source_file,
       NULL, a.days_registered, a.days_online, a.km, a.driving_h, a.night_km, NULL,
       a.night_km_share, NULL, NULL, a.offline_min, a.offline_share,
       a.positions, a.positions_qualified, a.drift_points, a.data_quality_rate,
       a.n_speeding, a.n_fatigue, a.n_night_ban, a.n_off_route, a.n_offline_displacement, NULL,
       a.n_adas, a.n_dsm, a.n_violations, a.n_reminded, a.n_handled, a.n_escalated,
       a.median_time_to_reminder_s, $now
FROM safety.vehicle_month_archive_latest a
WHERE a.month >= $m0 AND a.month < $m1
  AND NOT EXISTS (SELECT 1 FROM safety.vehicle_months d
                  WHERE d.vehicle_id = a.vehicle_id AND d.month = a.month)
