"""Speeding: road-class limits from map matching, > 30 s, merge within 60 s, drift, severity.

Scenarios in one world (one vehicle each), detected once. Geometry in metres (EPSG:4549).
Expressway E1 runs along y = 0 from x = 0 to 50 km; an 'other' road O1 with a posted 40 km/h
along y = 20 km; a 30 km/h speed zone around (0, 40 km). Elsewhere: no road (60 km/h).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from safety_builders import World, ts

T = ts("2026-10-01 08:00:00")


def _seq(t0: float, speeds: list[float], every: float = 10.0, y: float = 0.0,
         x0: float = 1000.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    v = np.asarray(speeds, float)
    t = t0 + np.arange(v.size) * every
    x = x0 + np.r_[0.0, np.cumsum(v[:-1] * every / 3.6)]
    return t, x, np.full(v.size, y)


@pytest.fixture(scope="module")
def detected() -> pd.DataFrame:
    w = World()
    w.road("E1", "expressway", [(0, 0), (50_000, 0)], speed_limit_kmh=120)
    w.road("O1", "other", [(0, 20_000), (50_000, 20_000)], speed_limit_kmh=40)
    w.area("Z1", [(-2000, 38_000), (2000, 38_000), (2000, 42_000), (-2000, 42_000)],
           enterprise_id="EZ", speed_limit_kmh=30)
    for v in ("A", "B", "C", "C2", "D", "E", "F", "G", "H", "I", "J", "K"):
        w.vehicle(v)
    # A: 70 km/h off-road for 90 s (fixes 0..90 s), stopped at 120 s -> one event, limit 60
    w.drive("A", T, 120, speed=70, y0=-10_000)
    # B: 20 s over (3 fixes) -> none; C: exactly 30 s over (4 fixes) -> none (超过30秒 is
    # strictly more than 30 s, issue 13); C2: 31 s over (2 fixes 31 s apart) -> one event
    t, x, y = _seq(T, [70, 70, 70, 50, 50], y=-12_000)
    w.fixes("B", t, x, y, [70, 70, 70, 50, 50])
    t, x, y = _seq(T, [70, 70, 70, 70, 50], y=-14_000)
    w.fixes("C", t, x, y, [70, 70, 70, 70, 50])
    t, x, y = _seq(T, [70, 70, 50], every=31.0, y=-15_000)
    w.fixes("C2", t, x, y, [70, 70, 50])
    # D: on the expressway at 75 (under 80) -> none; E: at 85 -> limit 80
    w.drive("D", T, 300, speed=75, x0=1000, y0=0)
    w.drive("E", T, 300, speed=85, x0=1000, y0=5)
    # F: 50 km/h on the posted-40 'other' road -> limit 40
    w.drive("F", T, 300, speed=50, x0=1000, y0=20_000)
    # G: merge: over 0..40 s, under 50..100 s, over again from 100 s (gap 60 s) -> one event
    sp = [70] * 5 + [50] * 5 + [70] * 5 + [50]
    t, x, y = _seq(T, sp, y=-16_000)
    w.fixes("G", t, x, y, sp)
    # H: same but the second run starts at 101 s (gap 61 s) -> two events
    t, x, y = _seq(T, sp, y=-18_000)
    t = np.where(np.arange(t.size) >= 10, t + 1.0, t)
    w.fixes("H", t, x, y, sp)
    # I: 10 fixes at 70 every 30 s with a drift fix (10 km away, 155 km/h) in the middle
    t = T + np.arange(11) * 30.0
    x = 1000 + np.arange(11) * 30.0 * 70 / 3.6
    y = np.full(11, -20_000.0)
    v = np.r_[np.full(10, 70.0), 0.0]
    y[5], v[5] = -10_000.0, 155.0
    w.fixes("I", t, x, y, v)
    # J: 91 km/h off-road: 51.7 % over 60 -> serious
    w.drive("J", T, 120, speed=91, y0=-22_000)
    # K: 35 km/h inside the 30 km/h speed zone -> limit 30
    w.drive("K", T, 120, speed=35, x0=-1500, y0=40_000)
    w.detect("2026-10-01", "2026-10-02")
    return w.violations("speeding")


def _of(df: pd.DataFrame, v: str) -> pd.DataFrame:
    return df[df["vehicle_id"] == v].reset_index(drop=True)


def test_basic_event_other_road(detected: pd.DataFrame) -> None:
    a = _of(detected, "A")
    assert len(a) == 1
    assert a.loc[0, "start_t"] == T and a.loc[0, "end_t"] == T + 90
    assert a.loc[0, "duration_s"] == 90 and a.loc[0, "limit_kmh"] == 60
    assert a.loc[0, "peak_speed_kmh"] == 70 and a.loc[0, "severity"] == "moderate"
    assert a.loc[0, "over_ratio"] == pytest.approx(70 / 60 - 1)
    assert json.loads(a.loc[0, "params_json"])["speed_min_duration_s"] == 30.0


def test_min_duration_30_vs_31_s(detected: pd.DataFrame) -> None:
    assert len(_of(detected, "B")) == 0
    assert len(_of(detected, "C")) == 0  # exactly 30 s: not more than 30 s
    c = _of(detected, "C2")
    assert len(c) == 1 and c.loc[0, "duration_s"] == 31


def test_expressway_vs_other_limits(detected: pd.DataFrame) -> None:
    assert len(_of(detected, "D")) == 0  # 75 on an expressway: under 80 (posted 120 ignored)
    e = _of(detected, "E")
    assert len(e) == 1 and e.loc[0, "limit_kmh"] == 80
    assert json.loads(e.loc[0, "detail_json"])["road_class"] == "expressway"
    f = _of(detected, "F")
    assert len(f) == 1 and f.loc[0, "limit_kmh"] == 40  # lower posted limit prevails
    k = _of(detected, "K")
    assert len(k) == 1 and k.loc[0, "limit_kmh"] == 30  # speed zone


def test_merge_within_60_s_not_61(detected: pd.DataFrame) -> None:
    g = _of(detected, "G")
    assert len(g) == 1 and g.loc[0, "start_t"] == T and g.loc[0, "end_t"] == T + 140
    h = _of(detected, "H")
    assert len(h) == 2
    assert list(h["start_t"]) == [T, T + 101]


def test_drift_fix_inside_episode(detected: pd.DataFrame) -> None:
    i = _of(detected, "I")
    assert len(i) == 1  # not split by the drift fix
    assert i.loc[0, "start_t"] == T and i.loc[0, "end_t"] == T + 270
    assert i.loc[0, "peak_speed_kmh"] == 70  # the drift fix's 155 km/h is not evidence


def test_serious_band(detected: pd.DataFrame) -> None:
    j = _of(detected, "J")
    assert len(j) == 1 and j.loc[0, "severity"] == "serious"


def test_road_unknown() -> None:
    """Default rules ([safety] unmatched_road = "unknown"): the road layer holds only an
    expressway at y = 0; U1 drives 70 km/h and U2 90 km/h 30 km away from it (4 moving fixes
    every 30 s, then a stop). Neither fix is near a mapped road, so each is judged against
    the expressway limit only: U1 (70 < 80) no event, U2 one event at limit 80 with road
    class 'unknown'. Both vehicle-days count 4 road-unknown fixes (above 60 km/h), E1's month 8."""
    from hazrisk.safety import SafetyParams, detect

    w = World()
    w.vehicle("U1")
    w.vehicle("U2")
    w.road("E1", "expressway", [(0, 0), (50_000, 0)])
    w.drive("U1", T, 120, speed=70, y0=30_000)
    w.drive("U2", T, 120, speed=90, y0=31_000)
    from datetime import date

    detect(w.con, date(2026, 10, 1), date(2026, 10, 2), params=SafetyParams.from_rules())
    ev = w.violations("speeding")
    assert list(ev["vehicle_id"]) == ["U2"]
    assert ev.loc[0, "limit_kmh"] == 80 and ev.loc[0, "over_ratio"] == pytest.approx(90 / 80 - 1)
    assert json.loads(ev.loc[0, "detail_json"])["road_class"] == "unknown"
    days = dict(w.con.execute("SELECT vehicle_id, road_unknown_fixes FROM safety.vehicle_days"
                              ).fetchall())
    assert days == {"U1": 4, "U2": 4}
    assert w.con.execute("SELECT road_unknown_fixes FROM safety.enterprise_months").fetchall(
        ) == [(8,)]


def test_severity_band_edges_pinned() -> None:
    """The bands of [speed] severity_bands (0 / 10 / 20 / 50 % over): each edge starts its band,
    and ≥ 50 % over is serious — one definition (the last edge), nothing else decides it."""
    from hazrisk.config import load_rules
    from hazrisk.safety.detectors.speeding import severity_of
    from hazrisk.safety.params import SafetyParams

    p = SafetyParams.from_rules(load_rules())
    ratio = np.array([0.0, 0.0999, 0.1, 0.1999, 0.2, 0.4999, 0.5, 1.5])
    assert list(severity_of(ratio, p)) == ["minor", "minor", "moderate", "moderate", "major",
                                           "major", "serious", "serious"]
