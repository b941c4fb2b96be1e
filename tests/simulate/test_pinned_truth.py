"""The simulator's truth rules pinned at their thresholds by literal tracks (issue 15).

The simulator reads the same ``conf/rules.toml`` as the detectors, so comparing detections with
a fresh simulation cannot catch a wrong threshold: a moved threshold moves the truth with it.
These hand-made tracks, with the numbers written out, pin each rule just below, at and just
above its threshold:

- speeding: limit 60 ('other' road) / 80 (expressway), speed strictly above it; a run counts when
  it lasts MORE than 30 s (超过30秒: exactly 30 s is not speeding, 31 s is); runs <= 60 s apart
  merge;
- night ban: expressway, > 5 km/h, inside [00:00, 06:00) Beijing, lasting more than 60 s;
- fatigue: continuous > 4 h, a stop of >= 20 min breaks a spell, > 2 h of a spell inside
  22:00-06:00, > 8 h of driving in a Beijing day;
- offline displacement: real-time silence >= 30 min, moved > 20 km, at <= 1.7 km/min.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hazrisk.config import load_rules
from hazrisk.simulate.fleet.geo import EARTH_RADIUS_KM
from hazrisk.simulate.movement import events
from hazrisk.simulate.movement.track import Track

RULES = load_rules()
MIDNIGHT = 1_790_784_000  # 2026-10-01 00:00:00 Beijing
H = 3600
KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0  # north-south: haversine is exactly R·Δφ
OTHER, EXPRESSWAY = 1, 0


def track(t: list[float] | np.ndarray, speed: list[float] | np.ndarray,
          road: int = OTHER) -> Track:
    tt = np.asarray(t, np.int64)
    n = tt.size
    v = np.asarray(speed, float)
    km = np.r_[0.0, np.cumsum(np.diff(tt) * v[:-1] / 3600.0)]
    return Track(t=tt, lat=30.0 + km / KM_PER_DEG, lon=np.full(n, 120.5), speed=v,
                 road_class=np.full(n, road, np.int8), acc=np.ones(n, bool),
                 loaded=np.zeros(n, bool), odo_km=km)


def spans(evs: list[dict[str, object]], rule: str, sub: str = "") -> list[tuple[int, int]]:
    return [(int(e["start"]) - MIDNIGHT, int(e["end"]) - MIDNIGHT)  # type: ignore[call-overload]
            for e in evs if e["rule"] == rule and e["subkind"] == sub]


# --------------------------------------------------------------------------------------------
# speeding
# --------------------------------------------------------------------------------------------

NOON = 12 * H


@pytest.mark.parametrize("last,want", [
    (29, []),                       # 29 s over: no
    (30, []),                       # exactly 30 s: 超过30秒 means MORE than 30 s: no
    (31, [(NOON, NOON + 31)]),      # 31 s: speeding
])
def test_speeding_needs_more_than_30_s(last: int, want: list[tuple[int, int]]) -> None:
    t = MIDNIGHT + NOON + np.array([0, 10, 20, last, last + 10])
    ev = events.speeding(track(t, [70, 70, 70, 70, 50]), RULES)
    assert spans(ev, "speeding") == want


@pytest.mark.parametrize("road,over,under", [(OTHER, 60.1, 60.0), (EXPRESSWAY, 80.1, 80.0)])
def test_speeding_limit_is_exclusive(road: int, over: float, under: float) -> None:
    t = MIDNIGHT + NOON + np.arange(0, 130, 10)
    assert spans(events.speeding(track(t, [over] * 12 + [0], road), RULES), "speeding") == \
        [(NOON, NOON + 110)]
    assert events.speeding(track(t, [under] * 12 + [0], road), RULES) == []


@pytest.mark.parametrize("gap,want", [
    (60, [(NOON, NOON + 40 + 60 + 40)]),                         # 60 s apart: one event
    (61, [(NOON, NOON + 40), (NOON + 101, NOON + 141)]),         # 61 s apart: two
])
def test_speeding_runs_merge_within_60_s(gap: int, want: list[tuple[int, int]]) -> None:
    first = [0, 10, 20, 30, 40]
    second = [40 + gap + k for k in (0, 10, 20, 30, 40)]
    t = MIDNIGHT + NOON + np.array(first + [45] + second + [second[-1] + 5])
    v = [70] * 5 + [50] + [70] * 5 + [50]
    assert spans(events.speeding(track(t, v), RULES), "speeding") == want


# --------------------------------------------------------------------------------------------
# night ban (expressway, 00:00-06:00)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("times,want", [
    ([600, 630, 660], []),                        # 60 s moving at 00:10: not more than 60 s
    ([600, 630, 661], [(600, 661)]),              # 61 s: a night-ban event
    ([-1, 0, 30, 60], []),                        # 23:59:59 is outside: 00:00-00:01 is 60 s
    ([6 * H - 61, 6 * H - 30, 6 * H], []),        # 06:00:00 is outside: 31 s inside
    ([6 * H - 62, 6 * H - 31, 6 * H - 1], [(6 * H - 62, 6 * H - 1)]),  # 61 s before 06:00
])
def test_night_ban_window_and_duration(times: list[int], want: list[tuple[int, int]]) -> None:
    t = MIDNIGHT + np.array(times)
    assert spans(events.night_ban(track(t, [60.0] * len(t), EXPRESSWAY), RULES),
                 "night_ban") == want


def test_night_ban_needs_more_than_5_kmh_on_an_expressway() -> None:
    t = MIDNIGHT + np.array([600, 660, 720])
    assert events.night_ban(track(t, [5.0] * 3, EXPRESSWAY), RULES) == []
    assert spans(events.night_ban(track(t, [5.1] * 3, EXPRESSWAY), RULES), "night_ban") == \
        [(600, 720)]
    assert events.night_ban(track(t, [60.0] * 3, OTHER), RULES) == []


# --------------------------------------------------------------------------------------------
# fatigue
# --------------------------------------------------------------------------------------------

def drive(*legs: tuple[int, int]) -> Track:
    """Driving legs (start, duration) in seconds after midnight: moving samples every 60 s
    and at the leg's last second, then stationary samples every 60 s until the next leg (the
    stationary stretch = first to last stationary sample). Driving time of a leg = duration."""
    t: list[int] = []
    v: list[float] = []
    for k, (s, d) in enumerate(legs):
        mv = sorted(set(range(s, s + d, 60)) | {s + d - 1})
        t += mv
        v += [50.0] * len(mv)
        stop_end = legs[k + 1][0] - 1 if k + 1 < len(legs) else s + d + 1
        st = sorted(set(range(s + d, stop_end, 60)) | {stop_end})
        t += st
        v += [0.0] * len(st)
    return track(MIDNIGHT + np.array(t), v)


@pytest.mark.parametrize("duration,want", [
    (4 * H, []),                                             # last moving sample 4 h - 1 s
    (4 * H + 1, []),                                         # spell exactly 4 h: not more
    (4 * H + 2, [(8 * H + 4 * H, 8 * H + 4 * H + 1)]),       # 4 h + 1 s: continuous fatigue
])
def test_continuous_driving_more_than_4_h(duration: int, want: list[tuple[int, int]]) -> None:
    ev = events.fatigue(drive((8 * H, duration)), RULES)
    assert spans(ev, "fatigue", "continuous") == want


@pytest.mark.parametrize("stop,want", [
    (1200, []),                                  # a 20 min stop is rest: two 3 h spells
    (1199, [(8 * H + 4 * H, None)]),             # 19 min 59 s: one 6 h spell
])
def test_a_rest_needs_20_min(stop: int, want: list[tuple[int, int | None]]) -> None:
    """Leg 1 08:00-11:00; the stationary stretch (first to last stationary sample) is
    ``stop`` s; leg 2 drives 3 h more."""
    leg2 = 8 * H + 3 * H + stop + 1
    ev = spans(events.fatigue(drive((8 * H, 3 * H), (leg2, 3 * H)), RULES),
               "fatigue", "continuous")
    assert [(a, None) for a, _ in ev] == want


@pytest.mark.parametrize("end,want", [
    (1, []),                          # spell 21:00-00:00: 2 h inside 22:00-06:00, not more
    (2, [(24 * H, 24 * H + 1)]),      # spell to 00:00:01: 2 h 1 s at night
])
def test_night_driving_more_than_2_h(end: int, want: list[tuple[int, int]]) -> None:
    ev = events.fatigue(drive((21 * H, 3 * H + end)), RULES)
    assert spans(ev, "fatigue", "night") == want
    assert spans(ev, "fatigue", "continuous") == []


@pytest.mark.parametrize("extra,want", [(0, False), (1, True)])
def test_daily_driving_more_than_8_h(extra: int, want: bool) -> None:
    """3 h + 3 h + 2 h (+ ``extra`` s) between 06:30 and 16:00, 30 min stops: 8 h is not
    more than 8 h; 8 h 1 s is."""
    tr = drive((6 * H + 1800, 3 * H), (10 * H, 3 * H), (13 * H + 1800, 2 * H + extra))
    ev = events.fatigue(tr, RULES)
    assert spans(ev, "fatigue", "continuous") == [] and spans(ev, "fatigue", "night") == []
    daily = [e for e in ev if e["subkind"] == "daily"]
    assert [e["driving_s"] for e in daily] == ([8 * H + extra] if want else [])


# --------------------------------------------------------------------------------------------
# offline displacement (real-time records the platform received)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("gap,km,want", [
    (1799, 30.0, False),     # silence under 30 min
    (1800, 30.0, True),      # 30 min, 30 km (1 km/min)
    (1800, 19.95, False),    # displacement not more than 20 km
    (1800, 20.05, True),
    (1800, 50.95, True),     # 1.698 km/min: at most 1.7 km/min, plausible
    (1800, 51.05, False),    # 1.702 km/min: faster than 1.7 km/min: drift, not a move
])
def test_offline_displacement_thresholds(gap: int, km: float, want: bool) -> None:
    t0 = MIDNIGHT + NOON
    time = np.array([t0, t0 + gap])
    rec = {"time": time, "time_ok": np.ones(2, bool), "recv_ms": time * 1000 + 300,
           "lat": 30.0 + np.array([0.0, km]) / KM_PER_DEG, "lon": np.full(2, 120.5),
           "speed": np.full(2, 60.0), "acc": np.ones(2, bool), "drift": np.zeros(2, bool),
           "backfill": np.zeros(2, bool), "idx": np.arange(2)}
    ev = events.offline_displacement(rec, track([t0], [0.0]), RULES)
    assert [(e["start"] - t0, e["end"] - t0) for e in ev] == ([(0, gap)] if want else [])
