"""Approved routes and areas (核定运营线路、区域): driving off every approved route and area.

A vehicle's approved fences are its own (``core.fences.vehicle_id``), else its enterprise's
fences that name no vehicle; a vehicle with none is not judged. A moving fix (GNSS speed >
``moving_speed_kmh``) is *off route* when it is farther than ``buffer_m`` from every approved
route (distance to the line in EPSG:4549, exact: a fix exactly at the buffer distance is
inside) and outside every approved area polygon (the boundary counts as inside): inside an
operating area a vehicle may use any road, outside it only the approved routes. Parked fixes
are not judged (loading at a customer's yard is not driving off route). An event is a run of
off-route fixes (consecutive fixes at most ``run_gap_s`` apart) lasting at least
``fence_min_duration_s``; events within ``fence_merge_s`` merge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hazrisk.safety.detectors.events import (
    empty_events,
    make_events,
    merge_ranges,
    range_reduce,
    range_sum,
)
from hazrisk.safety.geo import FenceSet
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import Track, merge_groups, runs


def _unique_runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` of a column made of long runs of equal values
    (a vehicle's enterprise rarely changes): the runs' values only are sorted."""
    if key.size == 0:
        return key, np.zeros(0, dtype=np.int64)
    start = np.r_[True, key[1:] != key[:-1]]
    uniq, inv = np.unique(key[start], return_inverse=True)
    return uniq, inv[np.cumsum(start) - 1]


def detect_off_route(track: Track, fences: FenceSet, p: SafetyParams) -> pd.DataFrame:
    if track.n == 0 or fences.fence_id.size == 0:
        return empty_events()
    vid, t = track.vid, track.t
    ne = len(track.enterprises) + 1
    key_raw = vid.astype(np.int64) * ne + track.ent
    ukey, point_key = _unique_runs(key_raw)
    keys = pd.DataFrame({"key": np.arange(ukey.size),
                         "vehicle_id": track.vehicles[ukey // ne],
                         "enterprise_id": track.enterprises[ukey % ne]})
    app = fences.applicable(keys)
    if app.empty:
        return empty_events()
    judged = (track.speed > p.moving_kmh) & np.isin(point_key, app["key"].to_numpy())
    idx = np.flatnonzero(judged)
    if idx.size == 0:
        return empty_events()
    x, y = track.xy_at(idx)
    ins = fences.inside(x, y, point_key[idx], app["key"].to_numpy(), app["fi"].to_numpy())
    outside = np.zeros(track.n, dtype=bool)
    outside[idx[~ins]] = True
    brk = np.r_[True, (vid[1:] != vid[:-1]) | (t[1:] - t[:-1] > p.run_gap_s)]
    s, e = runs(outside, brk)
    keep = (t[e] - t[s]) >= p.fence_min_duration_s
    s, e = s[keep], e[keep]
    if s.size == 0:
        return empty_events()
    g = merge_groups(vid[s], t[s], t[e], p.fence_merge_s)
    s, e = merge_ranges(g, s, e)
    names = app.assign(fence_id=fences.fence_id[app["fi"].to_numpy()]).groupby("key")[
        "fence_id"].agg(lambda c: ";".join(sorted(c)))
    lens = e - s + 1
    step = np.where(vid[1:] == vid[:-1], track.step_km, 0.0)
    return make_events(
        "off_route", vid[s], t[s], t[e], s, e,
        detail={"fences": names.reindex(point_key[s]).to_numpy(dtype=object), "fixes": lens},
        distance_km=range_sum(step, s, e),
        peak_speed_kmh=range_reduce(track.speed, s, e, np.maximum),
        avg_speed_kmh=range_reduce(track.speed, s, e, np.add) / lens,
    )

