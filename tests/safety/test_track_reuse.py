"""Work measured once and reused by the track: step distances between kept fixes (reusing the
drift step where the fixes were adjacent) and projected coordinates (projected when first asked
for) equal what measuring each afresh gives, bit for bit."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hazrisk.drift import haversine_km, kept_steps
from hazrisk.safety.geo import project
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import Track


def test_kept_steps_equal_fresh_distances() -> None:
    rng = np.random.default_rng(4)
    lat = 30 + rng.uniform(0, 0.5, 5000)
    lon = 120 + rng.uniform(0, 0.5, 5000)
    step = haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    for kept in (np.arange(5000), np.flatnonzero(rng.random(5000) < 0.7), np.asarray([3]),
                 np.asarray([0, 4999])):
        want = haversine_km(lat[kept[:-1]], lon[kept[:-1]], lat[kept[1:]], lon[kept[1:]])
        assert np.array_equal(kept_steps(step, kept, lat, lon), want)


def test_track_steps_and_projection_as_if_measured_afresh() -> None:
    rng = np.random.default_rng(9)
    n = 3000
    vid = np.repeat(["V1", "V2", "V3"], n // 3)
    t = np.tile(np.arange(n // 3) * 30_000_000, 3) + 1_790_000_000_000_000
    lat = 30 + np.cumsum(rng.normal(0, 0.002, n))
    lon = 120 + np.cumsum(rng.normal(0, 0.002, n))
    lat[[100, 1500, 2900]] += 3.0  # drift spikes: dropped, their neighbours' step measured
    table = pa.table({
        "vehicle_id": vid, "enterprise_id": ["E"] * n, "provider_id": ["P"] * n,
        "terminal_phone": vid, "t_us": t, "lat_deg": lat, "lon_deg": lon,
        "speed_kmh": rng.uniform(0, 90, n), "acc_on": [True] * n, "is_backfill": [False] * n,
        "is_located": rng.random(n) < 0.97, "pos_seq": np.arange(n)})
    track = Track.from_arrow(table, SafetyParams.from_rules())
    assert track.drift_t.size >= 3 and track.n < n
    fresh = haversine_km(track.lat[:-1], track.lon[:-1], track.lat[1:], track.lon[1:])
    assert np.array_equal(track.step_km, fresh)
    some = np.flatnonzero(track.speed > 45)
    x1, y1 = track.xy_at(some)
    x2, y2 = track.xy_at(np.arange(track.n))  # the rest projected now, the first kept
    fx, fy = project(track.lon, track.lat)
    assert np.array_equal(x2, fx) and np.array_equal(y2, fy)
    assert np.array_equal(x1, fx[some]) and np.array_equal(y1, fy[some])


def test_unique_of_runs_is_numpy_unique() -> None:
    from hazrisk.safety.detectors.fences import _unique_runs

    rng = np.random.default_rng(2)
    key = np.repeat(rng.integers(0, 50, 400), rng.integers(1, 30, 400)).astype(np.int64)
    for k in (key, key[:1], key[:0]):
        u, inv = _unique_runs(k)
        wu, winv = np.unique(k, return_inverse=True)
        assert np.array_equal(u, wu) and np.array_equal(inv, winv)
