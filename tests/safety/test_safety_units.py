"""Whole-column building blocks: time windows, runs, batching, drift, map matching, params."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from safety_builders import ts

from hazrisk.drift import drift_mask
from hazrisk.safety import SafetyParams, alarm_rule, rule_info
from hazrisk.safety.geo import SegmentGrid
from hazrisk.safety.pipeline import vehicle_batches
from hazrisk.safety.track import (
    in_window,
    merge_groups,
    runs,
    window_cum,
    window_cum_inverse,
)

NIGHT = (22 * 3600, 6 * 3600)
BAN = (0, 6 * 3600)


def test_window_overlap_across_midnight() -> None:
    a, b = ts("2026-10-01 21:00:00"), ts("2026-10-02 01:00:00")
    got = window_cum(np.array([b]), *NIGHT) - window_cum(np.array([a]), *NIGHT)
    assert got[0] == 3 * 3600
    # a whole day holds 8 h of night, a week 56 h
    d = window_cum(np.array([a + 7 * 86400]), *NIGHT) - window_cum(np.array([a]), *NIGHT)
    assert d[0] == 56 * 3600
    y = window_cum(np.array([a]), *NIGHT) + 2 * 3600
    assert window_cum_inverse(y, *NIGHT)[0] == ts("2026-10-02 00:00:00")


def test_ban_window_edges() -> None:
    t = np.array([ts("2026-10-01 23:59:59"), ts("2026-10-02 00:00:00"),
                  ts("2026-10-02 05:59:59"), ts("2026-10-02 06:00:00")])
    assert in_window(t, *BAN).tolist() == [False, True, True, False]
    assert in_window(t, *NIGHT).tolist() == [True, True, True, False]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=40),
       st.lists(st.booleans(), min_size=1, max_size=40))
def test_runs_match_a_scan(mask: list[bool], brk: list[bool]) -> None:
    n = min(len(mask), len(brk))
    m, b = np.array(mask[:n]), np.array(brk[:n])
    s, e = runs(m, b)
    expected, cur = [], None
    for i in range(n):  # reference: a plain scan
        if m[i] and (cur is None or b[i]):
            if cur is not None:
                expected.append((cur, i - 1))
            cur = i
        elif not m[i] and cur is not None:
            expected.append((cur, i - 1))
            cur = None
    if cur is not None:
        expected.append((cur, n - 1))
    assert list(zip(s.tolist(), e.tolist(), strict=True)) == expected


def test_merge_groups_uses_running_end() -> None:
    key = np.array([0, 0, 0, 1])
    start = np.array([0.0, 10.0, 150.0, 205.0])
    end = np.array([100.0, 20.0, 260.0, 300.0])  # the second event ends inside the first
    # the third starts 50 s after the running end (100), 130 s after the previous end (20)
    assert merge_groups(key, start, end, 60.0).tolist() == [0, 0, 0, 1]
    assert merge_groups(key, start, end, 49.0).tolist() == [0, 0, 1, 2]


def test_vehicle_batches_keep_vehicles_whole() -> None:
    v = ["a"] * 5 + ["b"] * 3 + ["c"] * 10 + ["d"] * 2
    t = pa.table({"vehicle_id": v, "i": list(range(len(v)))})
    reader = pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=3))
    out = [b.column("vehicle_id").to_pylist() for b in vehicle_batches(reader, 4)]
    assert [x for b in out for x in b] == v
    assert all(len(set(b)) >= 1 for b in out)
    seen: set[str] = set()
    for b in out:
        assert not (set(b) & seen)  # a vehicle never continues in the next batch
        seen |= set(b)


def test_drift_spikes_and_blocks() -> None:
    p = SafetyParams.from_rules()
    t = np.arange(20) * 30.0
    lat = 30.0 + np.arange(20) * 0.005  # ~0.55 km per 30 s = 66 km/h
    lon = np.full(20, 120.0)
    lat_d = lat.copy()
    lat_d[5] += 0.2                   # an isolated 22 km spike
    lat_d[[12, 13]] += 0.3            # a two-fix excursion
    vid = np.zeros(20, dtype=np.int32)
    assert np.flatnonzero(drift_mask(vid, t, lat_d, lon, p.drift)).tolist() == [5, 12, 13]
    # a long silence with a plausible displacement is not drift
    t2 = np.r_[t[:10], t[10:] + 3600]
    lat2 = np.r_[lat[:10], lat[10:] + 0.5]
    assert not drift_mask(vid, t2, lat2, lon, p.drift).any()


def test_segment_grid_matches_shapely() -> None:
    rng = np.random.default_rng(1)
    lines = shapely.linestrings(rng.uniform(0, 20_000, (30, 5, 2)))
    grid = SegmentGrid.build(lines)
    x, y = rng.uniform(0, 20_000, 4000), rng.uniform(0, 20_000, 4000)
    idx, dist = grid.nearest(x, y, 50.0)
    d_all = shapely.distance(shapely.points(x, y)[:, None], lines[None, :])
    best = d_all.min(axis=1)
    near = best <= 50.0
    assert np.array_equal(idx >= 0, near)
    assert np.allclose(dist[near], best[near])
    assert np.all(d_all[np.flatnonzero(near), idx[near]] == pytest.approx(best[near]))


def test_rules_and_params() -> None:
    assert alarm_rule("dsm", 0x02).rule_id == "dsm_phone"
    assert alarm_rule("adas", 0x3F).rule_id == "adas_type_0x3f"
    assert rule_info("adas_forward_collision").name_zh.endswith("前向碰撞报警")
    assert rule_info("speeding").group == "speeding"
    p = SafetyParams.from_rules()
    assert (p.expressway_kmh, p.other_kmh, p.continuous_max_s, p.rest_min_s) == (
        80, 60, 14400, 1200)
    assert p.daily_window == "calendar_day" and p.gap_max_kmh == pytest.approx(102)
    assert "第四十六条" in p.sources["speed.hazmat_expressway_kmh"]
    from hazrisk.config import load_rules

    with pytest.raises(ValueError, match="daily_window"):
        SafetyParams.from_rules(load_rules(overrides={"safety": {"daily_window": "weekly"}}))
