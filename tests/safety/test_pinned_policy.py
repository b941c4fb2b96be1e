"""Hand-computed scenarios pinning the POLICY thresholds no other test held (issue 15, tests
that can fail): the gap policy ([safety] gap_s, stationary_km, moving_speed_kmh), the drift
spike ([drift] spike_km, neighbour_km) in the detectors' numpy pass, runs ([safety]
run_gap_s), approved-route events ([safety] fence_min_duration_s, fence_merge_s) and the
handling windows ([handling] reminder_window_s, repeat_window_s, log_tolerance_s).

Each threshold is tested just below, at (where a time makes "at" exact) and just above, with
the numbers written here: the simulator reads the same conf, so only literal scenarios catch
a moved threshold. The defaults the numbers assume are asserted first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from safety_builders import World, ts

from hazrisk.drift import EARTH_RADIUS_KM, drift_mask
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import DRIVE, GAP_DRIVE, STOP, Track, pairs

P = SafetyParams.from_rules()
KM_PER_DEG = np.pi / 180.0 * EARTH_RADIUS_KM      # along a meridian: exact in both distances
LAT0, LON0 = 30.25, 120.15


def test_the_defaults_these_scenarios_assume() -> None:
    assert (P.gap_s, P.stationary_km, P.moving_kmh, P.run_gap_s) == (300, 0.5, 5, 120)
    assert (P.drift.spike_km, P.drift.neighbour_km) == (1.0, 0.2)
    assert (P.fence_min_duration_s, P.fence_merge_s) == (60, 60)
    assert (P.reminder_window_s, P.repeat_window_s, P.log_tolerance_s) == (3600, 3600, 600)


# --------------------------------------------------------------------------------------------
# The gap policy: a step longer than gap_s is a silence, judged by its displacement
# --------------------------------------------------------------------------------------------

def _track(t: list[float], north_km: list[float], speed: list[float]) -> Track:
    n = len(t)
    z = np.zeros(n, np.int32)
    return Track(
        vehicles=np.array(["V"], object), vid=z, t=np.asarray(t, float),
        lat=LAT0 + np.asarray(north_km, float) / KM_PER_DEG, lon=np.full(n, LON0),
        speed=np.asarray(speed, float), acc_on=np.zeros(n, bool), backfill=np.zeros(n, bool),
        pos_seq=np.arange(n, dtype=np.int64), enterprises=np.array(["E"], object), ent=z,
        providers=np.array(["P"], object), prov=z, terminals=np.array(["T"], object), term=z,
        drift_vid=np.zeros(0, np.int32), drift_t=np.zeros(0))


@pytest.mark.parametrize("dt,state", [
    (299.0, STOP), (300.0, STOP),   # observed (at most gap_s apart), both stopped: a stop
    (301.0, GAP_DRIVE),             # a silence that moved 1 km, no rest fits: driving
])
def test_gap_s(dt: float, state: int) -> None:
    """Two stopped fixes 1 km apart (more than stationary_km)."""
    got = pairs(_track([0.0, dt], [0.0, 1.0], [0.0, 0.0]), P)
    assert got.state.tolist() == [state]
    assert got.drive_s.tolist() == [dt if state == GAP_DRIVE else 0.0]


@pytest.mark.parametrize("km,state", [(0.49, STOP), (0.51, GAP_DRIVE)])
def test_stationary_km(km: float, state: int) -> None:
    """A 10-minute silence between two stopped fixes: a stop while it moved less than
    stationary_km (0.5 km), else a silence that moved."""
    assert pairs(_track([0.0, 600.0], [0.0, km], [0.0, 0.0]), P).state.tolist() == [state]


@pytest.mark.parametrize("kmh,state", [(5.0, STOP), (5.1, DRIVE)])
def test_moving_speed_kmh(kmh: float, state: int) -> None:
    """A step from a fix at ``kmh``: driving only above moving_speed_kmh (5 km/h)."""
    assert pairs(_track([0.0, 30.0], [0.0, 0.04], [kmh, kmh]), P).state.tolist() == [state]


# --------------------------------------------------------------------------------------------
# Drift spike in the detectors' numpy pass: > spike_km from both neighbours that are within
# neighbour_km of each other. Fixes 10 min apart: no implied speed comes near 160 km/h.
# --------------------------------------------------------------------------------------------

def _drift(north_km: list[float], east_km: list[float] | None = None) -> list[bool]:
    n = len(north_km)
    lat = LAT0 + np.asarray(north_km) / KM_PER_DEG
    east = np.zeros(n) if east_km is None else np.asarray(east_km, float)
    lon = LON0 + east / (KM_PER_DEG * np.cos(np.radians(LAT0)))
    return drift_mask(np.zeros(n, np.int64), np.arange(n) * 600.0, lat, lon, P.drift).tolist()


@pytest.mark.parametrize("km,drift", [(0.99, False), (1.01, True)])
def test_spike_km(km: float, drift: bool) -> None:
    assert _drift([0, 0, km, 0, 0]) == [False, False, drift, False, False]


@pytest.mark.parametrize("apart,drift", [(0.19, True), (0.21, False)])
def test_spike_neighbour_km(apart: float, drift: bool) -> None:
    """The fix 3 km east of its neighbours, which are ``apart`` km from each other."""
    assert _drift([0, 0, 0, apart, apart], [0, 0, 3, 0, 0]) == [False, False, drift, False,
                                                                 False]


# --------------------------------------------------------------------------------------------
# Approved routes: off-route runs (fixes at most run_gap_s apart) of at least
# fence_min_duration_s; runs within fence_merge_s merge.
# --------------------------------------------------------------------------------------------

ROUTE_T = ts("2026-10-01 09:00:00")


def _corridor(w: World, v: str, y0: float, off: list[bool], dt: list[float] | None = None,
              ) -> None:
    """Fixes at 50 km/h along a route at y0 (every 10 s unless ``dt`` says), 200 m off it (its
    buffer is 100 m) where ``off``: a possible move (about 90 km/h over a 10 s step), so no fix
    is drift (hazrisk.drift)."""
    steps = np.r_[0.0, np.cumsum(dt if dt is not None else [10.0] * (len(off) - 1))]
    x = 1000 + steps * 50 / 3.6
    w.fixes(v, ROUTE_T + steps, x, np.where(off, y0 + 200.0, y0), 50.0)


@pytest.fixture(scope="module")
def routes() -> pd.DataFrame:
    w = World()
    lanes = {}
    for k, v in enumerate(("FD50", "FD60", "FD70", "M60", "M70", "RG120", "RG121")):
        w.vehicle(v)
        y0 = 10_000.0 * k
        lanes[v] = y0
        w.route(f"R{v}", [(0, y0), (100_000, y0)], 100, vehicle_id=v)
    on, off = [False] * 3, [True]
    _corridor(w, "FD50", lanes["FD50"], on + off * 6 + on)        # off for 50 s
    _corridor(w, "FD60", lanes["FD60"], on + off * 7 + on)        # 60 s: at the minimum
    _corridor(w, "FD70", lanes["FD70"], on + off * 8 + on)
    # two 70 s excursions; the second starts 60 s (M60) or 70 s (M70) after the first ends
    _corridor(w, "M60", lanes["M60"], on + off * 8 + [False] * 5 + off * 8 + on)
    _corridor(w, "M70", lanes["M70"], on + off * 8 + [False] * 6 + off * 8 + on)
    # off route throughout: 40 s, a silence of 120 s (RG120) or 121 s (RG121), 40 s more
    for v, silence in (("RG120", 120.0), ("RG121", 121.0)):
        _corridor(w, v, lanes[v], [True] * 10, [10.0] * 4 + [silence] + [10.0] * 4)
    w.detect("2026-10-01", "2026-10-02")
    return w.violations("off_route")


def _events(df: pd.DataFrame, v: str) -> list[float]:
    return df.loc[df["vehicle_id"] == v, "duration_s"].tolist()


def test_fence_min_duration_s(routes: pd.DataFrame) -> None:
    assert _events(routes, "FD50") == []
    assert _events(routes, "FD60") == [60]
    assert _events(routes, "FD70") == [70]


def test_fence_merge_s(routes: pd.DataFrame) -> None:
    assert _events(routes, "M60") == [70 + 60 + 70]   # merged: first start .. second end
    assert _events(routes, "M70") == [70, 70]


def test_run_gap_s(routes: pd.DataFrame) -> None:
    assert _events(routes, "RG120") == [40 + 120 + 40]  # one run across the 120 s silence
    assert _events(routes, "RG121") == []               # two runs of 40 s: each too short


# --------------------------------------------------------------------------------------------
# Handling windows (safety/sql/handling.sql)
# --------------------------------------------------------------------------------------------

T = ts("2026-10-01 08:00:00")


def _speeding(w: World, v: str, start: float, y0: float) -> None:
    """70 km/h off-road (60 km/h limit) for 120 s: an event ``start`` .. ``start + 90``."""
    w.drive(v, start, 120, speed=70, y0=y0)


@pytest.fixture(scope="module")
def handled() -> pd.DataFrame:
    w = World()
    cases = ("W3600", "W3601", "R3600", "R3601", "LB600", "LB601", "LA600", "LA601")
    for k, v in enumerate(cases):
        w.vehicle(v)
        _speeding(w, v, T, 10_000.0 * k)
    w.text("W3600", T + 3600)                      # reminder window: at most 1 h after start
    w.text("W3601", T + 3601)
    for v, after in (("R3600", 3600), ("R3601", 3601)):
        w.text(v, T + 100)                         # reminded after the event (T + 90) ...
        _speeding(w, v, T + 100 + after, 10_000.0 * cases.index(v) + 5000)  # ... again later
    # handling-log entries whose event time is off the detected event by the tolerance
    w.log("LB600", T - 600, T + 100, "reminded", "speeding")        # before the start
    w.log("LB601", T - 601, T + 100, "reminded", "speeding")
    w.log("LA600", T + 90 + 600, T + 100, "reminded", "speeding")   # after the end (T + 90)
    w.log("LA601", T + 90 + 601, T + 100, "reminded", "speeding")
    w.detect("2026-10-01", "2026-10-02")
    return w.violations("speeding")


def _first(df: pd.DataFrame, v: str) -> pd.Series:
    return df[df["vehicle_id"] == v].sort_values("start_t").iloc[0]


def test_reminder_window_s(handled: pd.DataFrame) -> None:
    r = _first(handled, "W3600")
    assert r["handling_status"] == "reminded" and r["time_to_reminder_s"] == 3600
    assert _first(handled, "W3601")["handling_status"] == "unhandled"


def test_repeat_window_s(handled: pd.DataFrame) -> None:
    assert len(handled[handled["vehicle_id"] == "R3600"]) == 2
    assert bool(_first(handled, "R3600")["repeated_after_reminder"])
    assert not bool(_first(handled, "R3601")["repeated_after_reminder"])
    # the reminder came after the event ended: escalation is due only by the repetition
    assert bool(_first(handled, "R3600")["escalation_due"])
    assert not bool(_first(handled, "R3601")["escalation_due"])


def test_log_tolerance_s(handled: pd.DataFrame) -> None:
    for v, linked in (("LB600", True), ("LB601", False), ("LA600", True), ("LA601", False)):
        r = _first(handled, v)
        assert (r["reminder_source"] == "handling_log") is linked, v
        assert r["handling_status"] == ("reminded" if linked else "unhandled"), v
