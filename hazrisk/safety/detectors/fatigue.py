"""Fatigue driving (疲劳驾驶): continuous > 4 h, night continuous > 2 h, > 8 h a day.

Driving comes from the step states of :mod:`hazrisk.safety.track` (gap policy there). A *rest*
is a run of consecutive non-driving steps (``STOP``) lasting at least ``rest_min_s``, from its
first stopped fix to the next moving fix (道路交通安全法实施条例 第六十二条(七):
连续驾驶超过4小时未停车休息或者停车休息时间少于20分钟). A *stretch* runs from its first
moving fix to its last moving fix between two rests (the last moving fix is a lower bound of
when the vehicle stopped; a stretch ending in a silence counted as driving ends at the fix
after it); it also ends at a ``GAP_UNKNOWN`` step (a silence in which a rest could have
fitted: continuity is not evidenced) and where the data ends. Stops shorter than a rest do not
interrupt it, and count in its length: continuous driving time is the elapsed time since the
stretch began (the stricter reading of "未停车休息"; short stops are not rest).

- ``fatigue_continuous``: a stretch longer than ``continuous_max_s`` (exactly 4 h is not a
  violation: first moving fix at 08:00:00, last at 12:00:00). Event from stretch start + 4 h to
  the stretch end.
- ``fatigue_night``: the part of a stretch inside one night window (22:00–06:00 Beijing)
  longer than ``night_continuous_max_s``. Event from that part's start + 2 h to its end.
- ``fatigue_daily``: driving time (sum of driving steps, by the Beijing day the step starts)
  above ``daily_cumulative_max_s`` in a day (``daily_window = 'calendar_day'``, JT/T 808
  0x0058 当天累计驾驶时间), or in the 24 h before any instant (``'rolling'``). Event from the
  instant the limit is passed to the end of the last driving step of that day / episode.

``fatigue_s`` per step (for the histories, the national 疲劳驾驶时长) is the driving time of the
step beyond the continuous or the night limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hazrisk.safety.detectors.events import empty_events, make_events, range_reduce
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import (
    BEIJING_OFFSET_S,
    BOUNDARY,
    GAP_DRIVE,
    GAP_UNKNOWN,
    STOP,
    Pairs,
    Track,
    local_day,
    runs,
)


@dataclass
class Stretches:
    """Continuous-driving stretches: first/last driving step, start/end time."""

    first: np.ndarray   # step index of the first driving step
    last: np.ndarray    # step index of the last driving step
    start: np.ndarray   # epoch s
    end: np.ndarray
    of_step: np.ndarray  # per step: its stretch number, -1 when in none


def stretches(pr: Pairs, p: SafetyParams) -> Stretches:
    """The stretches of a track (whole-column)."""
    m = pr.dt.size
    stop = pr.state == STOP
    s, e = runs(stop, np.zeros(m, dtype=bool))
    is_rest = (pr.t1[e] - pr.t0[s]) >= p.rest_min_s
    cover = np.zeros(m + 1, dtype=np.int64)
    np.add.at(cover, s[is_rest], 1)
    np.add.at(cover, e[is_rest] + 1, -1)
    rest = np.cumsum(cover[:-1]) > 0
    reset = rest | (pr.state == GAP_UNKNOWN) | (pr.state == BOUNDARY)
    seg = np.cumsum(reset)  # a reset step opens a new segment (it holds no driving itself)
    drv = np.flatnonzero(pr.driving)
    if drv.size == 0:
        z = np.zeros(0, dtype=np.int64)
        return Stretches(z, z, z.astype(float), z.astype(float), np.full(m, -1))
    dseg = seg[drv]
    new = np.r_[True, dseg[1:] != dseg[:-1]]
    first = drv[new]
    last = drv[np.r_[new[1:], True]]
    # steps between a stretch's first and last driving step belong to it
    of_step = np.searchsorted(first, np.arange(m), side="right") - 1
    of_step = np.where((of_step >= 0) & (np.arange(m) <= last[np.maximum(of_step, 0)]),
                       of_step, -1)
    # the stretch ends at its last moving fix (a lower bound: the vehicle stopped somewhere
    # before the next fix), or after a final silence counted as driving
    end = np.where(pr.state[last] == GAP_DRIVE, pr.t1[last], pr.t0[last])
    return Stretches(first, last, pr.t0[first], end, of_step)


def _night_windows(t: np.ndarray, p: SafetyParams) -> np.ndarray:
    """Index of the latest night window starting at or before ``t`` (window k starts at
    ``night_start`` of Beijing day k)."""
    return np.floor((t + BEIJING_OFFSET_S - p.night_start_s) / 86400.0).astype(np.int64)


def _window_bounds(k: np.ndarray, p: SafetyParams) -> tuple[np.ndarray, np.ndarray]:
    length = (p.night_end_s - p.night_start_s) % 86400
    w0 = k * 86400.0 + p.night_start_s - BEIJING_OFFSET_S
    return w0, w0 + length


def fatigue_seconds(pr: Pairs, st: Stretches, p: SafetyParams) -> np.ndarray:
    """Per step: driving seconds beyond the continuous or the night limit."""
    m = pr.dt.size
    out = np.zeros(m)
    idx = np.flatnonzero(pr.driving & (st.of_step >= 0))
    if idx.size == 0:
        return out
    sid = st.of_step[idx]
    ss, se = st.start[sid], st.end[sid]
    t0, t1 = pr.t0[idx], pr.t1[idx]
    over_c = np.clip(np.minimum(t1, se) - np.maximum(t0, ss + p.continuous_max_s), 0, None)
    w0, w1 = _window_bounds(_night_windows(t0, p), p)
    a = np.maximum(ss, w0)
    b = np.minimum(se, w1)
    over_n = np.clip(np.minimum(t1, b) - np.maximum(t0, a + p.night_continuous_max_s), 0, None)
    out[idx] = np.minimum(np.maximum(over_c, over_n), pr.dt[idx])
    return out


def _fix_at(track: Track, vid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the vehicle's last fix at or before ``t`` (first fix if none)."""
    base = track.t.min() - 1.0
    span = float(track.t.max() - base) + 2.0
    comp = track.vid.astype(np.float64) * span + (track.t - base)
    q = vid.astype(np.float64) * span + np.clip(t - base, 0.0, span - 1.0)
    i = np.searchsorted(comp, q, side="right") - 1
    i = np.clip(i, 0, track.n - 1)
    return np.where(track.vid[i] == vid, i, np.searchsorted(comp, vid * span, side="left"))


def detect_fatigue(track: Track, pr: Pairs, st: Stretches, p: SafetyParams) -> pd.DataFrame:
    if pr.dt.size == 0:
        return empty_events()
    frames = [_continuous(track, pr, st, p), _night(track, pr, st, p), _daily(track, pr, p)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty_events()


def _continuous(track: Track, pr: Pairs, st: Stretches, p: SafetyParams) -> pd.DataFrame:
    lim = p.continuous_max_s
    hit = np.flatnonzero(st.end - st.start > lim)
    if hit.size == 0:
        return empty_events()
    first, last = st.first[hit], st.last[hit]
    vid = track.vid[first]
    onset = st.start[hit] + lim
    i0 = _fix_at(track, vid, onset)
    drive = range_reduce(pr.drive_s, first, last, np.add)
    km = range_reduce(pr.drive_km, first, last, np.add)
    detail = {"stretch_start": st.start[hit], "stretch_s": st.end[hit] - st.start[hit],
              "stretch_drive_s": drive, "stretch_km": km,
              "over_s": st.end[hit] - onset}
    return make_events("fatigue_continuous", vid, onset, st.end[hit], i0, last + 1,
                       detail=detail,
                       peak_speed_kmh=range_reduce(track.speed, i0, last + 1, np.maximum),
                       avg_speed_kmh=np.where(drive > 0, km / np.maximum(drive, 1e-9) * 3600,
                                              np.nan))


def _night(track: Track, pr: Pairs, st: Stretches, p: SafetyParams) -> pd.DataFrame:
    lim = p.night_continuous_max_s
    if st.start.size == 0:
        return empty_events()
    k0 = _night_windows(st.start, p)
    k1 = _night_windows(st.end, p)
    nwin = (k1 - k0 + 1).astype(np.int64)
    rep = np.repeat(np.arange(st.start.size), nwin)
    k = k0[rep] + (np.arange(rep.size) - np.repeat(np.r_[0, np.cumsum(nwin)[:-1]], nwin))
    w0, w1 = _window_bounds(k, p)
    a = np.maximum(st.start[rep], w0)
    b = np.minimum(st.end[rep], w1)
    hit = np.flatnonzero(b - a > lim)
    if hit.size == 0:
        return empty_events()
    sid = rep[hit]
    vid = track.vid[st.first[sid]]
    onset = a[hit] + lim
    end = b[hit]
    i0 = _fix_at(track, vid, onset)
    i1 = _fix_at(track, vid, end)
    detail = {"stretch_start": st.start[sid], "night_part_start": a[hit],
              "night_part_s": end - a[hit], "over_s": end - onset}
    return make_events("fatigue_night", vid, onset, end, i0, i1, detail=detail,
                       peak_speed_kmh=range_reduce(track.speed, i0, np.maximum(i0, i1),
                                                   np.maximum))


def _daily(track: Track, pr: Pairs, p: SafetyParams) -> pd.DataFrame:
    if p.daily_window == "rolling":
        return _daily_rolling(track, pr, p)
    lim = p.daily_max_s
    drv = np.flatnonzero(pr.driving)
    if drv.size == 0:
        return empty_events()
    vid = track.vid[drv]
    day = local_day(pr.t0[drv])
    key_new = np.r_[True, (vid[1:] != vid[:-1]) | (day[1:] != day[:-1])]
    grp = np.cumsum(key_new) - 1
    cum = np.cumsum(pr.drive_s[drv])
    base = (cum - pr.drive_s[drv])[np.flatnonzero(key_new)][grp]
    c_end = cum - base
    c_start = c_end - pr.drive_s[drv]
    cross = np.flatnonzero((c_start <= lim) & (c_end > lim))
    if cross.size == 0:
        return empty_events()
    g = grp[cross]
    last_of_grp = np.r_[np.flatnonzero(key_new)[1:], drv.size] - 1
    last = drv[last_of_grp[g]]
    k = drv[cross]
    onset = pr.t0[k] + (lim - c_start[cross])
    detail = {"window": np.full(cross.size, "calendar_day", dtype=object),
              "day_drive_s": c_end[last_of_grp[g]]}
    return make_events("fatigue_daily", track.vid[k], onset, pr.t1[last], k, last + 1,
                       detail=detail,
                       peak_speed_kmh=range_reduce(track.speed, k, last + 1, np.maximum))


def _daily_rolling(track: Track, pr: Pairs, p: SafetyParams) -> pd.DataFrame:
    n = track.n
    lim = p.daily_max_s
    t, vid = track.t, track.vid
    cp = np.r_[0.0, np.cumsum(pr.drive_s)]
    t_rel = t - t[0]
    off = float(t_rel.max()) + 3 * 86400.0
    comp = vid.astype(np.float64) * off + t_rel
    cw = np.interp(vid.astype(np.float64) * off + (t - 86400.0 - t[0]), comp, cp)
    d = cp - cw
    over = d > lim + 1e-6
    s, e = runs(over, np.r_[True, vid[1:] != vid[:-1]])
    if s.size == 0:
        return empty_events()
    prev = np.clip(s - 1, 0, n - 1)
    has_prev = (s > 0) & (vid[prev] == vid[s])
    dd = d[s] - d[prev]
    frac = np.where(has_prev & (dd > 0), (lim - d[prev]) / np.where(dd > 0, dd, 1.0), 1.0)
    onset = np.where(has_prev, t[prev] + np.clip(frac, 0, 1) * (t[s] - t[prev]), t[s])
    pd_idx = np.where(pr.driving, np.arange(pr.dt.size), -1)
    last_drive = range_reduce(np.r_[pd_idx, -1], np.maximum(s - 1, 0), e, np.maximum)
    ok = last_drive >= 0
    s, e, onset, last_drive = s[ok], e[ok], onset[ok], last_drive[ok]
    if s.size == 0:
        return empty_events()
    detail = {"window": np.full(s.size, "rolling", dtype=object),
              "max_window_drive_s": range_reduce(d, s, e, np.maximum)}
    return make_events("fatigue_daily", vid[s], onset, pr.t1[last_drive], s, last_drive + 1,
                       detail=detail,
                       peak_speed_kmh=range_reduce(track.speed, s, last_drive + 1, np.maximum))
