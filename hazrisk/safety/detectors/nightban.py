"""Night ban (夜间禁行): moving on an expressway inside the ban window (00:00–06:00 Beijing).

危险货物道路运输安全管理办法 第四十九条; Zhejiang's expressway hazmat ban 00:00–06:00. A fix
violates when it is inside [start, end) Beijing time, map-matched to an expressway, and its
GNSS speed exceeds ``min_speed_kmh``. An event is a run of such fixes (consecutive fixes at
most ``run_gap_s`` apart) lasting more than ``min_duration_s`` (first to last fix; research §4.3 "> 60 s"). A fix at
23:59:59 is outside the window; one at 00:00:00 is inside.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hazrisk.safety.detectors.events import empty_events, make_events, range_reduce
from hazrisk.safety.detectors.speeding import FixRoads
from hazrisk.safety.geo import RoadIndex
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import Track, in_window, runs


def detect_night_ban(track: Track, fr: FixRoads, roads: RoadIndex,
                     p: SafetyParams) -> pd.DataFrame:
    if track.n == 0:
        return empty_events()
    vid, t = track.vid, track.t
    bad = (fr.expressway & (track.speed > p.ban_min_speed_kmh)
           & in_window(t, p.ban_start_s, p.ban_end_s))
    brk = np.r_[True, (vid[1:] != vid[:-1]) | (t[1:] - t[:-1] > p.run_gap_s)]
    s, e = runs(bad, brk)
    keep = (t[e] - t[s]) > p.ban_min_duration_s
    s, e = s[keep], e[keep]
    if s.size == 0:
        return empty_events()
    road = fr.road[s]
    road_ids = np.full(s.size, None, dtype=object)
    road_ids[road >= 0] = roads.road_id[road[road >= 0]]
    lens = e - s + 1
    return make_events(
        "night_ban", vid[s], t[s], t[e], s, e,
        detail={"road_id": road_ids, "fixes": lens},
        peak_speed_kmh=range_reduce(track.speed, s, e, np.maximum),
        avg_speed_kmh=range_reduce(track.speed, s, e, np.add) / lens,
    )
