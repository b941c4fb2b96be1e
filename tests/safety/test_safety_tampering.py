"""Tampering (implementing opinion 三.1(5) 不得破坏、屏蔽、篡改): alarm bits and repeated power
pulls while moving, per vehicle-day and enterprise-month. Answers by hand."""

from __future__ import annotations

from safety_builders import World, ts
from warehouse_tables import storage_table

T = ts("2026-10-01 08:00:00")


def _set_alarm(w: World, vehicle: str, indices: list[int], bit: int, name: str) -> None:
    """Set alarm ``bit`` on the vehicle's fixes number ``indices`` (time order), with the
    matching core.alarms rows (as ingest writes them)."""
    seqs = [r[0] for r in w.con.execute(
        "SELECT pos_seq FROM core.positions WHERE vehicle_id = $v ORDER BY device_time",
        {"v": vehicle}).fetchall()]
    chosen = [seqs[i] for i in indices]
    w.con.execute(f"UPDATE {storage_table(w.con, 'core.positions')} SET alarm = alarm | $b "
                  "WHERE pos_seq IN (SELECT unnest($s))", {"b": 1 << bit, "s": chosen})
    w.con.execute(
        f"INSERT INTO {storage_table(w.con, 'core.alarms')} (pos_seq, terminal_phone, "
        "vehicle_id, enterprise_id, provider_id, device_time, alarm_bit, alarm_name, lat_deg, "
        "lon_deg, speed_kmh, is_backfill, source_file_id, source_offset) "
        "SELECT pos_seq, terminal_phone, vehicle_id, enterprise_id, provider_id, device_time, "
        "$bit, $name, lat_deg, lon_deg, speed_kmh, is_backfill, source_file_id, source_offset "
        "FROM core.positions WHERE pos_seq IN (SELECT unnest($s))",
        {"bit": bit, "name": name, "s": chosen})


def test_tampering_per_vehicle_and_enterprise() -> None:
    """V1 drives 20 fixes (every 30 s at 50 km/h, then a stop); the power-down bit is on at
    fixes 3-4, 8 and 15: three switches on while moving (>= 2: repeated power pulls) and 4
    power-down reports, all moving. V2 is parked with the antenna-cut bit on 2 fixes. V3
    (enterprise E2) has a single power-down switch while moving: no repeated pulls."""
    w = World()
    for v, e in (("V1", "E1"), ("V2", "E1"), ("V3", "E2")):
        w.vehicle(v, e)
    w.drive("V1", T, 600, speed=50.0)
    w.park("V2", T, 1800, 5000.0, 5000.0)
    w.drive("V3", T, 300, speed=50.0, y0=9000.0)
    _set_alarm(w, "V1", [3, 4, 8, 15], 8, "power_down")
    _set_alarm(w, "V2", [1, 2], 5, "gnss_antenna_open")
    _set_alarm(w, "V3", [2, 3], 8, "power_down")
    w.detect("2026-10-01", "2026-10-02")
    got = {(v, k): (r, m) for v, k, r, m in w.con.execute(
        "SELECT vehicle_id, kind, reports, moving_reports FROM safety.tampering").fetchall()}
    assert got == {("V1", "power_down"): (4, 4), ("V1", "repeated_power_pulls"): (3, 3),
                   ("V2", "antenna_cut"): (2, 0), ("V3", "power_down"): (2, 2)}
    days = dict(w.con.execute("SELECT vehicle_id, n_tampering FROM safety.vehicle_days "
                              "WHERE day = DATE '2026-10-01'").fetchall())
    assert days == {"V1": 2, "V2": 1, "V3": 1}
    months = dict(w.con.execute(
        "SELECT enterprise_id, n_tampering FROM mart.enterprise_safety").fetchall())
    assert months == {"E1": 3, "E2": 1}
