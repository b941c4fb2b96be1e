"""Speeding (超速) and the per-fix road limit from map matching.

Limit of a fix = min(hazmat class limit — 80 km/h on an expressway, 60 km/h elsewhere
(危险货物道路运输安全管理办法 第四十六条) —, the matched road's posted ``speed_limit_kmh``, any
speed zone containing the fix). A fix is on the nearest road of ``core.roads`` within
``map_match_tolerance_m``. A fix near no mapped road is on an *unknown* road ([safety]
``unmatched_road = "unknown"``): the road layer may be incomplete, so it is judged only
against the expressway limit (80 km/h) and flagged (``FixRoads.unknown``, counted in the
history); ``"other"`` judges it at 60 km/h.

An event is a run of consecutive over-limit fixes lasting more than ``event_min_duration_s``
(first to last over-limit fix; consecutive fixes at most ``run_gap_s`` apart, drift fixes
already removed); events of a vehicle less than or equal to ``merge_window_s`` apart merge
(交运发〔2016〕160号: 连续超速时间超过30秒, 1分钟内连续多次上报计为1次). Severity from the peak
ratio over the limit, bands ``severity_bands`` (< 10 %, 10–20 %, 20–50 %, ≥ 50 % = serious).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hazrisk.safety.detectors.events import (
    empty_events,
    make_events,
    merge_ranges,
    range_argmax,
    range_reduce,
)
from hazrisk.safety.geo import FenceSet, RoadIndex
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import Track, in_window, merge_groups, runs

SEVERITY_NAMES = ("minor", "moderate", "major", "serious")


@dataclass
class FixRoads:
    """Per fix: matched road index (-1 = none/not matched), expressway flag, limit km/h, and
    ``unknown``: map-matched (a candidate) but near no mapped road, under the 'unknown'
    policy."""

    road: np.ndarray
    expressway: np.ndarray
    limit: np.ndarray
    unknown: np.ndarray


def match_limits(track: Track, roads: RoadIndex, fences: FenceSet, p: SafetyParams) -> FixRoads:
    """Map-match the fixes that can matter (possible speeding, or moving in the night-ban
    window) and give every fix its limit. Other fixes keep the 'other road' limit."""
    n = track.n
    road = np.full(n, -1, dtype=np.int64)
    limit = np.full(n, p.other_kmh)
    unknown = np.zeros(n, dtype=bool)
    unmatched_kmh = p.expressway_kmh if p.unmatched_road == "unknown" else p.other_kmh
    lows = [p.other_kmh]
    if roads.speed_limit_kmh.size and np.isfinite(roads.speed_limit_kmh).any():
        lows.append(float(np.nanmin(roads.speed_limit_kmh)))
    if np.isfinite(fences.speed_limit_kmh).any():
        lows.append(float(np.nanmin(fences.speed_limit_kmh)))
    need = (track.speed > min(lows)) | (
        (track.speed > p.ban_min_speed_kmh) & in_window(track.t, p.ban_start_s, p.ban_end_s))
    cand = np.flatnonzero(need)
    if cand.size:
        x, y = track.xy_at(cand)
        r, _ = roads.match(x, y, p.match_tolerance_m)
        road[cand] = r
        matched = r >= 0
        is_exp = np.zeros(cand.size, dtype=bool)
        is_exp[matched] = roads.road_class[r[matched]] == "expressway"
        lim = np.where(is_exp, p.expressway_kmh, p.other_kmh)
        lim = np.where(matched, lim, unmatched_kmh)
        unknown[cand] = ~matched & (p.unmatched_road == "unknown")
        posted = np.full(cand.size, np.nan)
        posted[matched] = roads.speed_limit_kmh[r[matched]]
        lim = np.fmin(lim, posted)
        lim = np.fmin(lim, fences.zone_limit(x, y))
        limit[cand] = lim
    expressway = np.zeros(n, dtype=bool)
    ok = road >= 0
    expressway[ok] = roads.road_class[road[ok]] == "expressway"
    return FixRoads(road, expressway, limit, unknown)


def severity_of(ratio: np.ndarray, p: SafetyParams) -> np.ndarray:
    bands = np.asarray(p.severity_bands, dtype=float)
    k = np.clip(np.searchsorted(bands, ratio, side="right") - 1, 0, len(bands) - 1)
    # The last band is always the serious one (≥ the last edge of ``severity_bands``).
    names = np.asarray(SEVERITY_NAMES if len(bands) == len(SEVERITY_NAMES) else
                       [f"band{i}" for i in range(len(bands) - 1)] + ["serious"], dtype=object)
    return np.asarray(names[k], dtype=object)


def detect_speeding(track: Track, fr: FixRoads, roads: RoadIndex,
                    p: SafetyParams) -> pd.DataFrame:
    n = track.n
    if n == 0:
        return empty_events()
    vid, t, speed = track.vid, track.t, track.speed
    over = speed > fr.limit
    brk = np.r_[True, (vid[1:] != vid[:-1]) | (t[1:] - t[:-1] > p.run_gap_s)]
    s, e = runs(over, brk)
    keep = (t[e] - t[s]) > p.speed_min_duration_s  # 超过30秒: strictly more
    s, e = s[keep], e[keep]
    if s.size == 0:
        return empty_events()
    g = merge_groups(vid[s], t[s], t[e], p.speed_merge_s)
    s, e = merge_ranges(g, s, e)
    ratio = np.where(fr.limit > 0, speed / fr.limit - 1.0, 0.0)
    ratio_m = np.where(over, ratio, -np.inf)
    peak_i = range_argmax(ratio_m, s, e)
    peak = range_reduce(np.where(over, speed, -np.inf), s, e, np.maximum)
    lens = e - s + 1
    avg = range_reduce(speed, s, e, np.add) / lens
    n_over = range_reduce(over.astype(np.int64), s, e, np.add)
    dur = t[e] - t[s]
    over_ratio = ratio[peak_i]
    limit = fr.limit[peak_i]
    road_i = fr.road[peak_i]
    road_ids = np.full(s.size, None, dtype=object)
    road_ids[road_i >= 0] = roads.road_id[road_i[road_i >= 0]]
    detail = {
        "fixes": lens, "fixes_over": n_over, "road_id": road_ids,
        "road_class": np.where(fr.expressway[peak_i], "expressway",
                               np.where(fr.unknown[peak_i], "unknown", "other")),
        "limit_min_kmh": range_reduce(fr.limit, s, e, np.minimum),
        "duration_over_s": dur,
    }
    return make_events(
        "speeding", vid[s], t[s], t[e], s, e, detail=detail, peak_speed_kmh=peak,
        avg_speed_kmh=avg, limit_kmh=limit, over_ratio=over_ratio,
        severity=severity_of(over_ratio, p),
    )
