"""The truth's data-qualification and observability rules, on literal tracks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hazrisk.config import load_rules
from hazrisk.simulate.movement import events
from hazrisk.simulate.movement.track import Track

RULES = load_rules()
T0 = 1_790_866_800  # 2026-10-01 22:00:00 Beijing
KM_LAT = 1 / 111.2  # degrees of latitude per km


def _track(t: np.ndarray, km: np.ndarray, speed: np.ndarray) -> Track:
    n = len(t)
    return Track(t=t.astype(np.int64), lat=30.0 + km * KM_LAT, lon=np.full(n, 120.5),
                 speed=speed.astype(float), road_class=np.ones(n, np.int8),
                 acc=np.ones(n, bool), loaded=np.zeros(n, bool), odo_km=km.astype(float))


def test_offline_displacement_ignores_clock_jumped_fix() -> None:
    # real-time fixes at 0 and 3600 s, 55 km apart (0.92 km/min); a fix sampled at -600 s
    # carries 1800 s (device clock 40 min ahead): unqualified, it must not split the silence
    t = np.array([0, -600, 3600])
    rec = {"time": np.array([T0, T0 + 1800, T0 + 3600]), "time_ok": np.ones(3, bool),
           "recv_ms": (T0 + t) * 1000 + 300, "lat": 30.0 + np.array([0.0, -10.0, 55.0]) * KM_LAT,
           "lon": np.full(3, 120.5), "speed": np.full(3, 60.0), "acc": np.ones(3, bool),
           "drift": np.zeros(3, bool), "backfill": np.zeros(3, bool), "idx": np.arange(3)}
    tr = _track(np.array([T0]), np.zeros(1), np.zeros(1))
    ev = events.offline_displacement(rec, tr, RULES)
    assert [(e["start"], e["end"]) for e in ev] == [(T0, T0 + 3600)]
    rec["recv_ms"][1] = (T0 + 1800) * 1000 + 300  # sampled at 1800 s: it does split it
    assert events.offline_displacement(rec, tr, RULES) == []


def _night_drive(silence_km: float) -> Track:
    """Driving 22:00-00:40 at 60 km/h every 30 s; 23:00-23:48:30 is a silence (power off)
    in which the vehicle covers ``silence_km``."""
    t = np.arange(T0, T0 + 160 * 60 + 1, 30)
    keep = (t <= T0 + 3600) | (t >= T0 + 3600 + 2910)
    km = np.where(t <= T0 + 3600, (t - T0) / 60.0,
                  60.0 + silence_km + (t - T0 - 3600 - 2910) / 60.0)
    return _track(t[keep], km[keep], np.full(int(keep.sum()), 60.0))


def test_silence_where_a_rest_fits_is_not_continuous_driving() -> None:
    gaps = events.GapPolicy.from_rules(RULES)
    # 33 km in 48.5 min: a 20 min rest fits at 1.7 km/min -> continuity not evidenced
    tr = _night_drive(33.0)
    assert [e["subkind"] for e in events.fatigue(tr, RULES)] == ["night"]  # rules as such
    assert events.fatigue(tr, RULES, gaps) == []
    # 80 km in 48.5 min: no rest can have fitted -> driving, one night spell > 2 h
    assert [e["subkind"] for e in events.fatigue(_night_drive(80.0), RULES, gaps)] == ["night"]


def test_state_holds_until_the_next_delivered_fix() -> None:
    # moving every 60 s for exactly 8 h, then stopped fixes every 60 s; the first stopped fix
    # is lost: the last moving fix holds until the next delivered one -> 8 h 01 min
    t = np.arange(T0 + 7200, T0 + 7200 + 9 * 3600, 60)
    speed = np.where(t < T0 + 7200 + 8 * 3600, 60.0, 0.0)
    km = np.cumsum(speed / 60.0)
    full = _track(t, km, speed)
    gaps = events.GapPolicy.from_rules(RULES)
    assert [e for e in events.fatigue(full, RULES, gaps) if e["subkind"] == "daily"] == []
    lost = np.flatnonzero(speed == 0)[0]
    keep = np.arange(len(t)) != lost
    part = _track(t[keep], km[keep], speed[keep])
    daily = [e for e in events.fatigue(part, RULES, gaps) if e["subkind"] == "daily"]
    assert len(daily) == 1 and daily[0]["start"] == int(t[lost + 1])


def test_sample_marks_observability() -> None:
    sample = Path(__file__).resolve().parents[2] / "data" / "sample"
    v = pd.read_csv(sample / "truth" / "violations.csv")
    assert set(v["evidence"]) <= {"delivered", "partial", "none"}
    assert (v["observable"] == (v["evidence"] == "delivered")).all()
    assert v.loc[v["rule"] == "offline_displacement", "observable"].all()
    o = pd.read_csv(sample / "truth" / "violations_observable_only.csv")
    assert not o["in_truth"].astype(bool).any()
    a = pd.read_csv(sample / "truth" / "alarms.csv")
    assert a["observable"].dtype == bool and not (a["observable"] & ~a["seen_realtime"]).any()
