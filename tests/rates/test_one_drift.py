"""Drift and validity have one definition each: hand-computed scenarios through BOTH consumers.

Each scenario is laid out north-south (great-circle distance exact) and judged by hand under
the default rules ([drift] implied_speed_kmh 160, spike_km 1, neighbour_km 0.2; [validity]).
The same warehouse is read by the rates (``rates.position_flags`` per fix,
``rates.day_partials`` per vehicle-day) and by detection (``safety.vehicle_days``, and the
track it builds from its own query): the verdicts must be the hand-computed ones in both.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from rates_builders import LAT0, LON0, OCT, World, at, north

from hazrisk.rates import compute_rates
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.pipeline import beijing_midnight, detect, read_sql, vehicle_batches
from hazrisk.safety.track import Track

DAY = "2026-10-12"
T = f"{DAY} 10:00:00"


def _steady(w: World, v: str, n: int, t0: float = 0.0, lat: float = LAT0,
            dt: float = 30.0, km: float = 0.4) -> float:
    """``n`` fixes ``dt`` s / ``km`` km apart going north (48 km/h); returns the last lat."""
    for k in range(n):
        w.pos(v, at(T, t0 + dt * k), north(lat, km * k), speed=48.0, acc=True)
    return north(lat, km * (n - 1))


def _scenarios(w: World) -> dict[str, list[bool]]:
    """Vehicles and the hand-computed drift verdict of each of their fixes, in time order."""
    w.provider("P1")
    want: dict[str, list[bool]] = {}
    east = LON0 + 10 / 96.0  # ~10 km east
    for v in ("TWO", "THREE", "FOUR", "SPIKE", "FAST", "LEAP", "BOUND"):
        w.vehicle(v, "P1")
    # TWO: a two-fix excursion 10 km east (10 s steps: 3600 km/h), then back on track: from
    # the last good fix (t=90) the return at t=120 is 0.4 km in 30 s
    lat = _steady(w, "TWO", 4)
    w.pos("TWO", at(T, 100), lat, east, speed=48.0, acc=True)
    w.pos("TWO", at(T, 110), north(lat, 0.05), east, speed=48.0, acc=True)
    w.pos("TWO", at(T, 120), north(lat, 0.4), speed=48.0, acc=True)
    _steady(w, "TWO", 3, 150, north(lat, 0.8))
    want["TWO"] = [False] * 4 + [True, True] + [False] * 4
    # THREE, FOUR: three / four fixes away (the old five-fix SQL window flagged only the
    # first ones of a longer run), then back
    for v, n in (("THREE", 3), ("FOUR", 4)):
        lat = _steady(w, v, 4)
        for k in range(n):
            w.pos(v, at(T, 100 + 10 * k), north(lat, 0.1 * k), east, speed=48.0, acc=True)
        w.pos(v, at(T, 150), north(lat, 0.5), speed=48.0, acc=True)
        _steady(w, v, 2, 180, north(lat, 0.9))
        want[v] = [False] * 4 + [True] * n + [False] * 3
    # SPIKE: parked, one fix 2 km away between fixes at the same place, 60 s apart (120 km/h
    # implied: only the spike rule catches it)
    for k, km in enumerate([0, 0, 2.0, 0, 0]):
        w.pos("SPIKE", at(T, 60 * k), north(LAT0, km))
    want["SPIKE"] = [False, False, True, False, False]
    # FAST: a fast but real move: 155 km/h (1.29 km per 30 s) for 5 minutes
    for k in range(11):
        w.pos("FAST", at(T, 30 * k), north(LAT0, 155 * 30 / 3600 * k), speed=155.0, acc=True)
    want["FAST"] = [False] * 11
    # LEAP: silent for 1 h, then 100 km further (100 km/h on average): a real move
    _steady(w, "LEAP", 3)
    _steady(w, "LEAP", 3, 3660, north(LAT0, 100.8))
    want["LEAP"] = [False] * 6
    # BOUND: 159 km/h implied to the next fix passes, 161 km/h does not ([drift] 160)
    lat = _steady(w, "BOUND", 3)
    lat159 = north(lat, 159 * 30 / 3600)
    w.pos("BOUND", at(T, 90), lat159, speed=48.0, acc=True)
    w.pos("BOUND", at(T, 120), north(lat159, 161 * 30 / 3600), speed=48.0, acc=True)
    want["BOUND"] = [False] * 4 + [True]
    w.resolve()
    return want


@pytest.fixture(scope="module")
def judged() -> tuple[World, dict[str, list[bool]]]:
    w = World()
    want = _scenarios(w)
    compute_rates(w.con, OCT)
    detect(w.con, date(2026, 10, 12), date(2026, 10, 13))
    return w, want


def test_rates_flag_the_hand_computed_drift_fixes(judged: tuple[World, dict]) -> None:
    w, want = judged
    for v, flags in want.items():
        got = w.con.execute(
            "SELECT drift FROM rates.position_flags WHERE vehicle_id = $v "
            "ORDER BY device_time, pos_seq", {"v": v}).fetchall()
        assert [bool(g) for (g,) in got] == flags, v
    reason = w.con.execute("SELECT drift_reason FROM rates.position_flags "
                           "WHERE vehicle_id = 'SPIKE' AND drift").fetchall()
    assert reason == [("spike",)]


def test_detection_drops_the_same_fixes(judged: tuple[World, dict]) -> None:
    w, want = judged
    t0 = beijing_midnight(date(2026, 10, 12))
    reader = w.con.sql(read_sql("positions"), params={
        "t0": t0, "t1": t0 + timedelta(days=1)}).to_arrow_reader()
    (table,) = list(vehicle_batches(reader, 10**9))
    track = Track.from_arrow(table, SafetyParams.from_rules())
    for v, flags in want.items():
        k = int(np.flatnonzero(track.vehicles == v)[0])
        seqs = w.con.execute(
            "SELECT pos_seq FROM core.positions WHERE vehicle_id = $v "
            "ORDER BY device_time, pos_seq", {"v": v}).fetchall()
        kept = set(track.pos_seq[track.vid == k].tolist())
        assert [s not in kept for (s,) in seqs] == flags, v


def test_both_count_the_same_drift_and_qualified_fixes(judged: tuple[World, dict]) -> None:
    w, want = judged
    rates = dict(w.con.execute(
        "SELECT unit_id, (drift_points, qualified) FROM rates.day_partials "
        "WHERE day = DATE '2026-10-12'").fetchall())
    safety = dict(w.con.execute(
        "SELECT vehicle_id, (drift_points, positions_qualified + drift_points) "
        "FROM safety.vehicle_days WHERE day = DATE '2026-10-12'").fetchall())
    hand = {v: (sum(f), len(f)) for v, f in want.items()}
    assert {v: tuple(x) for v, x in rates.items()} == hand
    assert {v: tuple(x) for v, x in safety.items()} == hand
