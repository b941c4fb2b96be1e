"""Record-based rates (5, 6, 7), 漂移车辆率 and 平台连通率 on hand-built tracks.

Tracks run north-south (``north``), so a segment's great-circle length is exactly the km given.
"""

from __future__ import annotations

import pytest
from rates_builders import LAT0, OCT, World, at, north, pick

from hazrisk.rates import Period, compute_rates

BASE = "2026-10-05 08:00:00"


def test_upload_interval_qualification(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    w.vehicle("B", "P1")
    w.vehicle("C", "P1")
    # A: (seconds after BASE, moving?) -> the gap is judged by the state of the record that
    # opens it: moving/ACC on <= 30 s, parked <= 300 s.
    track = [(0, True),      # first record: no gap, qualified
             (30, True),     # 30 s after moving: ok
             (61, True),     # 31 s after moving: FAIL
             (91, False),    # 30 s after moving: ok
             (391, False),   # 300 s after parked: ok
             (692, False),   # 301 s after parked: FAIL
             (892, True),    # 200 s after parked: ok (parked rule)
             (992, False)]   # 100 s after moving: FAIL
    for i, (dt, moving) in enumerate(track):
        w.pos("A", at(BASE, dt), north(LAT0, 0.1 * i), speed=40.0 if moving else 0.0,
              acc=moving)
    # B: real-time fixes 120 s apart with three backfilled (0x0704) points in between, which
    # arrive later (higher pos_seq) but are judged on GNSS time: every gap is 30 s.
    w.pos("B", at(BASE, 0), speed=40.0, acc=True)
    w.pos("B", at(BASE, 120), north(LAT0, 1.2), speed=40.0, acc=True)
    for k in (1, 2, 3):
        w.pos("B", at(BASE, 30 * k), north(LAT0, 0.3 * k), speed=40.0, acc=True, backfill=True)
    # C: one point (qualified), plus one record without a valid GNSS time (not qualified)
    w.pos("C", at(BASE, 0))
    w.pos("C", None, recv_time=at(BASE, 5))
    # an unregistered terminal on P1's gateway: two records 30 s apart, both qualified gaps
    w.pos("013399999999", at(BASE, 0), speed=40.0, acc=True, gateway="P1")
    w.pos("013399999999", at(BASE, 30), north(LAT0, 0.3), speed=40.0, acc=True, gateway="P1")
    w.resolve()
    rows = compute_rates(w.con, OCT)
    # rate 5 judges registered vehicles' records with a GNSS time: A 8 + B 5 + C 1 = 14;
    # qualified gaps: A 5, B 5, C 1 (C's untimed record and the unregistered terminal's two
    # records cannot be ordered per vehicle: not counted)
    assert pick(rows, "P1", "upload_interval_qualification") == (11, 14)
    # data qualification counts all 17 records: C's untimed record and U's two fail
    assert pick(rows, "P1", "data_qualification") == (14, 17)
    fails = w.con.execute(
        "SELECT unit_id, gap_s, interval_fail FROM rates.position_flags "
        "WHERE NOT interval_ok ORDER BY unit_id, device_time NULLS LAST").fetchall()
    assert fails == [("A", 31.0, "gap_over_moving_max"), ("A", 301.0, "gap_over_parked_max"),
                     ("A", 100.0, "gap_over_moving_max"), ("C", None, "time_invalid")]


def test_interval_state_current(world: World) -> None:
    from hazrisk.config import load_rules

    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    w.pos("A", at(BASE, 0))                                   # parked
    w.pos("A", at(BASE, 200), speed=30.0, acc=True)           # moving 200 s later
    w.resolve()
    prev = compute_rates(w.con, OCT)
    cur = compute_rates(w.con, OCT, load_rules(overrides={
        "rates": {"interval_state": "current", "sources": {"interval_state": "test"}}}))
    assert pick(prev, "P1", "upload_interval_qualification") == (2, 2)
    assert pick(cur, "P1", "upload_interval_qualification") == (1, 2)


def test_data_qualification_checks(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("Q", "P1")
    recv = at(BASE, 10_000)
    cases = [  # (fields, failing check or None)
        ({}, None),
        ({"lon_deg": 0.0}, "longitude"),
        ({"lat_deg": 60.0}, "latitude"),
        ({"speed_kmh": 161.0}, "gps_speed"),
        ({"speed_kmh": 160.0}, None),
        ({"tacho_speed_kmh": 170.0}, "tacho_speed"),
        ({"heading_deg": 360}, "heading"),
        ({"altitude_m": -201}, "altitude"),
        ({"altitude_m": 6500}, None),
        ({"recv_time": "future301"}, "time_after_receive"),
        ({"recv_time": "future300"}, None),
        ({"status": 0x2 | 0x40}, "status_reserved_bits"),            # bit 6 reserved
        ({"status": 0x2 | (1 << 22)}, "status_reserved_bits"),       # bit 22 reserved in 2013
        ({"status": 0x2 | (1 << 22), "version": 2019}, None),        # ... defined in 2019
        ({"alarm": 1 << 15}, "alarm_reserved_bits"),                 # reserved in 2013
        ({"alarm": 1 << 15, "version": 2019}, None),
    ]
    for i, (fields, _) in enumerate(cases):
        t = at(BASE, 60 * i)
        f = dict(fields)
        if f.get("recv_time") == "future301":
            f["recv_time"] = at(BASE, 60 * i - 301)
        elif f.get("recv_time") == "future300":
            f["recv_time"] = at(BASE, 60 * i - 300)
        w.pos("Q", t, **f)
    w.pos("013388888888", at(BASE, 5), gateway="P1")            # unregistered terminal
    w.pos("Q", None, recv_time=recv)                            # GNSS time not valid
    w.resolve()
    rows = compute_rates(w.con, OCT)
    good = sum(1 for _, check in cases if check is None)
    assert good == 6
    assert pick(rows, "P1", "data_qualification") == (6, len(cases) + 2)
    got = w.con.execute(
        "SELECT qual_fail FROM rates.position_flags WHERE unit_id = 'Q' "
        "ORDER BY device_time NULLS LAST").fetchall()
    assert [g[0] for g in got] == [c for _, c in cases] + ["time_invalid"]
    unreg = w.con.execute(
        "SELECT provider_id, qual_fail FROM rates.position_flags WHERE vehicle_id IS NULL"
    ).fetchall()
    assert unreg == [("P1", "unregistered")]


def _trip(w: World, vehicle: str, start: str, steps: list[tuple[float, float]],
          lat: float = LAT0) -> float:
    """Fixes at cumulative (seconds, km north) offsets from ``start``; returns the last lat."""
    t = 0.0
    w.pos(vehicle, at(start, 0), lat, speed=50.0, acc=True)
    for dt, km in steps:
        t += dt
        lat = north(lat, km)
        w.pos(vehicle, at(start, t), lat, speed=50.0, acc=True)
    return lat


def test_trajectory_completeness_and_drift(world: World) -> None:
    w = world
    w.provider("P1")
    for v in ("T1", "T2", "T3", "T4", "T5", "T6"):
        w.vehicle(v, "P1")
    # T1: gaps exactly at the thresholds (incomplete = > 1 km AND > 60 s)
    _trip(w, "T1", "2026-10-10 09:00:00",
          [(60, 1.5),      # 60 s: complete
           (61, 1.5),      # 61 s and 1.5 km: INCOMPLETE
           (600, 0.999),   # 0.999 km: complete
           (600, 1.001)])  # 1.001 km and 600 s: INCOMPLETE
    # T2: 10 fixes 30 s / 0.4 km apart, plus a drift point 5 km east 15 s after the 5th fix
    # (1200 km/h from the last good fix; the next fix is judged from the last good fix again)
    _trip(w, "T2", "2026-10-10 09:00:00", [(30, 0.4)] * 9)
    w.pos("T2", at("2026-10-10 09:00:00", 135), north(LAT0, 1.6), 120.15 + 5 / 96.0,
          speed=50.0, acc=True)
    # T3: parked, with an isolated spike 2 km away between fixes at the same place
    # (120 km/h implied: only the spike rule catches it)
    for k, dlat_km in enumerate([0, 0, 2.0, 0]):
        w.pos("T3", at("2026-10-10 09:00:00", 60 * k), north(LAT0, dlat_km))
    # T4: a single point
    w.pos("T4", "2026-10-10 12:00:00")
    # T5: across Beijing midnight: a vehicle-day's trajectory is its own fixes, so the
    # 23:59:30 -> 00:00:30 step (1.5 km, 60 s) is no segment; Oct 11: 1.2 km in 90 s: INC
    w.pos("T5", "2026-10-10 23:59:30", LAT0, speed=50.0, acc=True)
    w.pos("T5", "2026-10-11 00:00:30", north(LAT0, 1.5), speed=50.0, acc=True)
    w.pos("T5", "2026-10-11 00:02:00", north(LAT0, 2.7), speed=50.0, acc=True)
    # T6: across the period start: Sep 30 23:59:00 is September's; Oct 1 00:00:40 (1.5 km
    # away, 100 s later) starts October's first vehicle-day: one fix, complete. Oct 31
    # 23:59:50: one fix, complete; Nov 1 00:00:50 is not October's.
    w.pos("T6", "2026-09-30 23:59:00", LAT0, speed=50.0, acc=True)
    w.pos("T6", "2026-10-01 00:00:40", north(LAT0, 1.5), speed=50.0, acc=True)
    w.pos("T6", "2026-10-31 23:59:50", north(LAT0, 1.5))
    w.pos("T6", "2026-11-01 00:00:50", north(LAT0, 1.5))
    w.resolve()
    rows = compute_rates(w.con, OCT)
    # vehicle-days: T1 10th inc, T2 10th ok, T3 10th ok, T4 10th ok, T5 10th ok / 11th inc,
    # T6 1st ok / 31st ok -> 6 complete of 8
    assert pick(rows, "P1", "trajectory_completeness") == (6, 8)
    num, den = pick(rows, "P1", "trajectory_completeness_km")
    # km: T1 1.5+1.5+0.999+1.001 (complete 1.5+0.999), T2 9 x 0.4 (all complete),
    # T5 1.2 (incomplete), T6 none
    assert den == pytest.approx(5.0 + 3.6 + 1.2, abs=1e-6)
    assert num == pytest.approx(2.499 + 3.6, abs=1e-6)
    # drift: T2 (implied speed) and T3 (spike) of 6 online vehicles
    assert pick(rows, "P1", "drift_vehicles") == (2, 6)
    drift = w.con.execute(
        "SELECT unit_id, drift_reason FROM rates.position_flags WHERE drift ORDER BY unit_id"
    ).fetchall()
    assert drift == [("T2", "implied_speed"), ("T3", "spike")]
    days = w.con.execute(
        "SELECT vehicle_id, day, checks FROM rates.vehicle_results "
        "WHERE metric = 'trajectory_completeness' AND NOT hit ORDER BY vehicle_id, day"
    ).fetchall()
    assert [(v, d.isoformat(), c) for v, d, c in days] == [
        ("T1", "2026-10-10", ["incomplete_segments:2"]),
        ("T5", "2026-10-11", ["incomplete_segments:1"]),
    ]
    # T6's records: October has 2 (Sep 30 and Nov 1 belong to the neighbouring periods)
    (n,) = w.con.execute(
        "SELECT sum(records) FROM rates.vehicle_days WHERE period = '2026-10' AND unit_id = 'T6'"
    ).fetchall()[0]
    assert n == 2


def test_drift_run_of_two_points(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("D", "P1")
    start = "2026-10-12 10:00:00"
    lat = _trip(w, "D", start, [(30, 0.4)] * 3)                 # t = 0..90
    far = 120.15 + 10 / 96.0                                     # ~10 km east
    w.pos("D", at(start, 100), lat, far, speed=50.0, acc=True)   # jump away ...
    w.pos("D", at(start, 110), north(lat, 0.05), far, speed=50.0, acc=True)  # ... stays there
    w.pos("D", at(start, 120), north(lat, 0.4), speed=50.0, acc=True)        # back on track
    w.resolve()
    compute_rates(w.con, OCT)
    drift = w.con.execute(
        "SELECT device_time, drift FROM rates.position_flags ORDER BY device_time").fetchall()
    assert [d for _, d in drift] == [False, False, False, False, True, True, False]


def test_platform_connectivity(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    w.pos("A", "2026-10-03 10:00:10", gateway="P1")
    w.pos("A", "2026-10-03 10:00:50", gateway="P1")                  # same minute
    w.pos("A", "2026-10-03 11:00:00", gateway="P1")
    w.pos("A", "2026-10-03 12:00:00", gateway="P1", backfill=True)   # backfill: not online
    w.file(7, "P1", "2026-10-04")
    w.heartbeat(w.vehicles["A"], "2026-10-04 09:30:00", 7)             # a heartbeat minute
    w.resolve()
    rows = compute_rates(w.con, OCT)
    # issue 13 (partial periods): the denominator is the minutes of the days the data (positions,
    # heartbeats, parameter answers) covers, 10-03..10-04 = 2 × 1440, not the month's 44,640.
    # Online minutes: 10:00, 11:00 on 10-03 and the 09:30 heartbeat on 10-04 = 3.
    assert pick(rows, "P1", "platform_connectivity") == (3, 2 * 1440)
    (period,) = w.con.execute("SELECT covered_days, data_coverage, partial FROM rates.periods "
                              "WHERE period = '2026-10'").fetchall()
    assert period == (2, 2 / 31, True)


def test_vehicle_changed_provider_mid_period(world: World) -> None:
    from datetime import date

    w = world
    w.provider("P1")
    w.provider("P2")
    phone = w.vehicle("S", "P1", valid_to=date(2026, 10, 15))
    w.vehicle("S", "P2", phone, valid_from=date(2026, 10, 16))
    w.pos("S", "2026-10-10 08:00:00", speed=30.0, acc=True)
    w.pos("S", "2026-10-10 08:00:30", north(LAT0, 0.3), speed=30.0, acc=True)
    w.pos("S", "2026-10-20 08:00:00", north(LAT0, 0.3))     # first record under P2: 10 days gap
    w.resolve()
    rows = compute_rates(w.con, OCT)
    for p in ("P1", "P2"):
        assert pick(rows, p, "network_entry") == (1, 1)
        assert pick(rows, p, "online") == (1, 1)
        assert pick(rows, p, "trajectory_completeness") == (1, 1)
    assert pick(rows, "P1", "upload_interval_qualification") == (2, 2)
    # P2's record follows P1's last one (same vehicle): a 10-day gap after a moving fix
    assert pick(rows, "P2", "upload_interval_qualification") == (0, 1)
    assert pick(rows, "P2", "trajectory_completeness_km") == (0, 0)


def test_date_range_period_and_previous(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    w.pos("A", "2026-10-01 00:00:00")
    w.pos("A", "2026-10-03 23:59:59")
    w.pos("A", "2026-10-04 00:00:00")
    w.resolve()
    p = Period.between("2026-10-01", "2026-10-03")
    rows = compute_rates(w.con, p)
    assert {r["period"] for r in rows} == {"2026-10-01..2026-10-03"}
    assert pick(rows, "P1", "data_qualification") == (2, 2)
    assert pick(rows, "P1", "platform_connectivity")[1] == 3 * 1440


def test_drift_spike_then_jump(world: World) -> None:
    """A parked spike two fixes before a jump: the jump is judged from the last good fix."""
    w = world
    w.provider("P1")
    w.vehicle("K", "P1")
    start = "2026-10-12 11:00:00"
    w.pos("K", at(start, 0))                                  # G1
    w.pos("K", at(start, 60))                                 # G2
    w.pos("K", at(start, 120), north(LAT0, 2.0))              # S: spike (120 km/h from G2)
    w.pos("K", at(start, 130), north(LAT0, -0.1))             # G3: 0.1 km from G2
    w.pos("K", at(start, 160), north(LAT0, -0.1), 120.15 + 10 / 96.0)  # D: 10 km east of G3
    w.resolve()
    compute_rates(w.con, OCT)
    rows = w.con.execute(
        "SELECT drift, drift_reason, implied_speed_kmh FROM rates.position_flags "
        "ORDER BY device_time").fetchall()
    assert [r[0] for r in rows] == [False, False, True, False, True]
    assert rows[2][1] == "spike" and rows[4][1] == "implied_speed"
    # D is judged from G3 (the last good fix): ~10 km in 30 s
    assert rows[4][2] == pytest.approx(10 / 96.0 * 96.0 / 30 * 3600, rel=0.01)
