"""Detector thresholds a conf sweep (one default nudged at a time) showed no literal scenario
pinned: the END of the two night windows (moved to 05:59, every other detector test passed),
the night ban's moving speed (> 5 km/h) and its duration (more than 60 s: 60 vs 61 s). The night ban is [00:00, 06:00) Beijing, the
fatigue night [22:00, 06:00); a fix at 06:00:00 is outside both."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from safety_builders import World, ts

H = 3600.0


def _of(df: pd.DataFrame, v: str, rule: str) -> pd.DataFrame:
    return df[(df["vehicle_id"] == v) & (df["rule_id"] == rule)].reset_index(drop=True)


@pytest.fixture(scope="module")
def morning() -> pd.DataFrame:
    w = World()
    w.road("E1", "expressway", [(0, 0), (80_000, 0)])
    for v in ("NB1", "NB2", "NB3", "NB4", "NB5", "FN1", "FN2"):
        w.vehicle(v)
    # NB1: expressway 05:58:50 .. 06:00:30 every 10 s: inside the ban 05:58:50 .. 05:59:50
    # (60 s, not more than 60 s) -> none; with a closed end (06:00:00 inside) it would be 70 s
    w.drive("NB1", ts("2026-10-02 05:58:50"), 110, every=10, speed=70, x0=1000, y0=0)
    # NB2: fixes at 05:58:49, then 05:59:00 .. 06:00:30 every 10 s: 61 s inside -> an event
    # from 05:58:49 to the last fix before 06:00
    t = ts("2026-10-02 05:59:00") + np.r_[-11.0, np.arange(10) * 10.0]
    w.fixes("NB2", t, 20_000 + (t - t[0]) * 70 / 3.6, 0.0, np.r_[np.full(10, 70.0), 0.0])
    # NB3: from 06:00:00 on: outside
    w.drive("NB3", ts("2026-10-02 06:00:00"), 300, every=10, speed=70, x0=40_000, y0=0)
    # NB4 / NB5: 2 min on the expressway at 01:00 at 5.5 / 5.0 km/h: moving means > 5 km/h
    w.drive("NB4", ts("2026-10-02 01:00:00"), 120, every=10, speed=5.5, x0=60_000, y0=0)
    w.drive("NB5", ts("2026-10-02 01:00:00"), 120, every=10, speed=5.0, x0=70_000, y0=0)
    # FN1: a 3 h spell 03:59:30 -> 06:59:30 (fixes every 30 s): 2 h 0 min 30 s of it before
    # 06:00 -> a night-fatigue event; FN2: the same from 04:00:30: 1 h 59 min 30 s -> none
    for v, start, y0 in (("FN1", "2026-10-02 03:59:30", 10_000),
                         ("FN2", "2026-10-02 04:00:30", 20_000)):
        te, x, y = w.drive(v, ts(start), 3 * H, y0=y0)
        w.park(v, te, 3600, x, y)
    w.detect("2026-10-01", "2026-10-03")
    return w.violations()


def test_night_ban_ends_before_0600(morning: pd.DataFrame) -> None:
    assert len(_of(morning, "NB1", "night_ban")) == 0
    e = _of(morning, "NB2", "night_ban")
    assert len(e) == 1
    assert e.loc[0, "start_t"] == ts("2026-10-02 05:58:49")
    assert e.loc[0, "end_t"] == ts("2026-10-02 05:59:50")
    assert len(_of(morning, "NB3", "night_ban")) == 0


def test_night_ban_needs_more_than_5_kmh(morning: pd.DataFrame) -> None:
    assert len(_of(morning, "NB4", "night_ban")) == 1
    assert len(_of(morning, "NB5", "night_ban")) == 0


def test_fatigue_night_ends_at_0600(morning: pd.DataFrame) -> None:
    e = _of(morning, "FN1", "fatigue_night")
    assert len(e) == 1
    assert e.loc[0, "start_t"] == ts("2026-10-02 05:59:30")  # 03:59:30 + 2 h
    assert len(_of(morning, "FN2", "fatigue_night")) == 0


# --------------------------------------------------------------------------------------------
# Offline displacement: real-time silence >= 30 min, moved > 20 km, at <= 1.7 km/min
# --------------------------------------------------------------------------------------------

OFFLINE = {  # vehicle: (silence s, displacement km, event?)
    "S1800": (1800, 30.0, True),     # exactly 30 min: >= 30 min
    "S1799": (1799, 30.0, False),
    "K203": (1800, 20.3, True),      # more than 20 km
    "K197": (1800, 19.7, False),
    "V505": (1800, 50.5, True),      # 1.68 km/min: at most 1.7
    "V515": (1800, 51.5, False),     # 1.72 km/min: a jump, not driving
}


@pytest.fixture(scope="module")
def offline() -> pd.DataFrame:
    w = World()
    t0 = ts("2026-10-01 09:00:00")
    for k, (v, (gap, km, _)) in enumerate(OFFLINE.items()):
        w.vehicle(v)
        y0 = 10_000.0 * k
        t = t0 + np.arange(11) * 30.0               # 5 min at 75 km/h, the last fix moving
        x = (t - t0) * 75 / 3.6
        w.fixes(v, t, x, y0, 75.0)
        w.drive(v, t[-1] + gap, 600, speed=75, x0=x[-1] + km * 1000, y0=y0)
    w.detect("2026-10-01", "2026-10-02")
    return w.violations("offline_displacement")


@pytest.mark.parametrize("vehicle", list(OFFLINE))
def test_offline_displacement_thresholds(offline: pd.DataFrame, vehicle: str) -> None:
    gap, _, event = OFFLINE[vehicle]
    got = offline[offline["vehicle_id"] == vehicle]
    assert len(got) == int(event)
    if event:
        assert got.iloc[0]["end_t"] - got.iloc[0]["start_t"] == gap


# --------------------------------------------------------------------------------------------
# Drift: [drift] implied_speed_kmh = 160 in the detectors' numpy pass (hazrisk.safety.track)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kmh,drift", [(159.0, False), (161.0, True)])
def test_drift_implied_speed_threshold(kmh: float, drift: bool) -> None:
    """A parked vehicle reporting every 10 s; one fix ``kmh × 10 s`` north of the others
    (0.44 km: under the 1 km spike bound, so only the implied speed can flag it)."""
    from hazrisk.drift import EARTH_RADIUS_KM, drift_mask
    from hazrisk.safety.params import SafetyParams

    km_per_deg = np.pi / 180.0 * EARTH_RADIUS_KM      # north-south: exact in flat_km
    lat = np.full(6, 30.25)
    lat[3] += kmh * 10 / 3600 / km_per_deg
    got = drift_mask(np.zeros(6, np.int64), np.arange(6) * 10.0, lat, np.full(6, 120.15),
                     SafetyParams.from_rules().drift)
    assert got.tolist() == [False, False, False, drift, False, False]
