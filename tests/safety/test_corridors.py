"""The route-corridor kernel (hazrisk.safety.corridors) and FenceSet.inside built on it: hand-built
fences in EPSG:4549 metres, points on and around the buffer edges, segment ends, area
boundaries, multilines, a polygon given as a route, points off the grid; every verdict equals
GEOS's exact test (distance to the line <= buffer_m, or intersecting an area)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from hazrisk.safety.corridors import BAND, IN, OUT, CorridorIndex, _segment_distance
from hazrisk.safety.geo import FenceSet

X0, Y0 = 500_000.0, 3_320_000.0  # near 120 E, 30 N in EPSG:4549


def _fences(rows: list[tuple[str, str, object, float]]) -> FenceSet:
    """FenceSet of (fence_id, kind, geometry in metres around X0/Y0, buffer_m) rows."""
    geoms = np.asarray([shapely.affinity.translate(g, X0, Y0) for _, _, g, _ in rows],
                       dtype=object)
    n = len(rows)
    return FenceSet(
        fence_id=np.asarray([r[0] for r in rows], dtype=object),
        kind=np.asarray([r[1] for r in rows], dtype=object),
        enterprise_id=np.full(n, "E1", dtype=object),
        vehicle_id=np.full(n, None, dtype=object),
        buffer_m=np.asarray([r[3] for r in rows], dtype=float),
        speed_limit_kmh=np.full(n, np.nan),
        geoms=geoms,
    )


def _exact(fs: FenceSet, fis: tuple[int, ...], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    pts = shapely.points(x, y)
    hit = np.zeros(x.size, dtype=bool)
    for fi in fis:
        if fs.kind[fi] == "area":
            hit |= shapely.intersects(fs.geoms[fi], pts)
        else:
            hit |= shapely.distance(fs.geoms[fi], pts) <= fs.buffer_m[fi]
    return hit


def _inside(fs: FenceSet, fis: tuple[int, ...], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    key = np.zeros(x.size, dtype=np.int64)
    return fs.inside(x, y, key, np.zeros(len(fis), dtype=np.int64),
                     np.asarray(fis, dtype=np.int64))


ROWS = [
    ("R1", "route", shapely.LineString([(0, 0), (4000, 0), (4000, 3000)]), 500.0),
    ("R2", "route", shapely.MultiLineString([[(10_000, 0), (12_000, 0)],
                                             [(10_000, 5000), (10_000, 7000)]]), 250.0),
    ("A1", "area", shapely.Polygon([(20_000, -1000), (22_000, -1000), (22_000, 1000),
                                    (20_000, 1000)]), 0.0),
    ("R3", "route", shapely.LineString([(30_000, 0), (30_000, 0), (30_000, 10)]), 300.0),
]


def test_buffer_edges_segment_ends_and_joints() -> None:
    fs = _fences(ROWS)
    eps = 1e-7
    pts = [
        (2000, 500), (2000, 500 - eps), (2000, 500 + eps), (2000, 499.9995), (2000, 500.0005),
        (2000, -500), (2000, -500.5),  # both sides of the first segment
        (-500, 0), (-500.001, 0), (-353.5533905932738, -353.5533905932738),  # around its start
        (4500, 1500), (4500.0001, 1500), (4353.553390593274, 3353.553390593274),  # the bend
        (4300, -300), (4400, 400),  # outside the joint's corner, inside the buffer of both
        (11_000, 250), (11_000, 250.0001), (10_250, 6000), (10_000, 7250), (10_000, 7250.01),
        (10_000, 2500),  # between the multiline's parts: outside
        (21_000, 0), (20_000, 0), (22_000, 1000), (22_000.001, 1000), (19_999.999, 0),
        (30_000, 310), (30_000, 310.001), (30_300, 5), (30_300.01, 5),  # repeated vertex
        (50_000, 50_000),
    ]
    x = X0 + np.asarray([p[0] for p in pts], dtype=float)
    y = Y0 + np.asarray([p[1] for p in pts], dtype=float)
    fis = (0, 1, 2, 3)
    got = _inside(fs, fis, x, y)
    want = _exact(fs, fis, x, y)
    assert got.tolist() == want.tolist()
    # the hand-known verdicts (no GEOS involved)
    assert got[[0, 1, 3, 5, 7, 10, 14, 15, 17, 18, 21, 22, 23]].all()
    assert not got[[2, 4, 6, 8, 11, 16, 19, 20, 24, 25, 30]].any()


def test_kernel_answers_band_only_near_an_edge() -> None:
    fs = _fences(ROWS[:1])
    idx = CorridorIndex.build(fs.geoms, fs.kind == "route", fs.buffer_m)
    x = X0 + np.asarray([2000.0, 2000.0, 2000.0, 2000.0, 2000.0])
    y = Y0 + np.asarray([0.0, 499.998, 500.0, 500.0009, 500.002])
    got = idx.classify([(0,)], np.zeros(5, dtype=np.int64), x, y)
    assert got.tolist() == [IN, IN, BAND, BAND, OUT]


def test_segment_distance_is_geos_distance() -> None:
    rng = np.random.default_rng(7)
    a = rng.uniform(-5000, 5000, (300, 2)) + (X0, Y0)
    b = a + rng.uniform(-3000, 3000, (300, 2))
    b[:10] = a[:10]  # degenerate segments
    p = a + rng.uniform(-4000, 4000, (300, 2))
    ours = np.asarray([_segment_distance(*p[i], *a[i], *b[i]) for i in range(300)])
    geos = shapely.distance(shapely.linestrings(np.stack([a, b], axis=1)),
                            shapely.points(p))
    assert np.abs(ours - geos).max() < 1e-6


def test_random_points_and_sets_equal_geos() -> None:
    rng = np.random.default_rng(11)
    routes = []
    for k in range(12):
        pts = np.cumsum(rng.uniform(-1500, 1500, (8, 2)), axis=0) + rng.uniform(0, 8000, 2)
        routes.append((f"R{k}", "route", shapely.LineString(pts), float(rng.choice([0, 900,
                                                                                     1500]))))
    areas = [(f"A{k}", "area", shapely.Point(rng.uniform(0, 8000, 2)).buffer(2000), 0.0)
             for k in range(3)]
    fs = _fences(routes + areas)
    sets = [(0, 1, 2, 12), (3, 4), (5, 6, 7, 8, 13, 14), (9, 10, 11), (12,)]
    n = 20_000
    x = X0 + rng.uniform(0, 8000, n)
    y = Y0 + rng.uniform(0, 8000, n)
    key = rng.integers(0, len(sets), n)
    app_key = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    app_fi = np.asarray([f for s in sets for f in s])
    got = fs.inside(x, y, key, app_key, app_fi)
    want = np.zeros(n, dtype=bool)
    for k, s in enumerate(sets):
        m = key == k
        want[m] = _exact(fs, s, x[m], y[m])
    assert got.tolist() == want.tolist()
    assert 0.2 < want.mean() < 0.8, want.mean()  # both verdicts well represented


def test_polygon_route_off_grid_and_missing_sets() -> None:
    poly_route = ("RP", "route", shapely.Polygon([(0, 0), (1000, 0), (1000, 1000),
                                                  (0, 1000)]), 100.0)
    fs = _fences([poly_route, ROWS[0]])
    x = np.asarray([X0 + 500, X0 + 1050, X0 + 1200, -1e15, 1e15, X0 + 2000])
    y = np.asarray([Y0 + 500, Y0 + 500, Y0 + 600, Y0, 1e15, Y0 + 100])
    key = np.asarray([0, 0, 0, 0, 0, 1])  # key 1 has no fences
    got = fs.inside(x, y, key, np.asarray([0, 0]), np.asarray([0, 1]))
    assert got.tolist() == [True, True, False, False, False, False]
    assert got[:5].tolist() == _exact(fs, (0, 1), x[:5], y[:5]).tolist()


@pytest.mark.parametrize("cell_m", [250.0, 2000.0, 10_000.0])
def test_cell_size_does_not_change_verdicts(cell_m: float) -> None:
    fs = _fences(ROWS)
    rng = np.random.default_rng(3)
    x = X0 + rng.uniform(-1000, 32_000, 5000)
    y = Y0 + rng.uniform(-1000, 8000, 5000)
    idx = CorridorIndex.build(fs.geoms, fs.kind == "route", fs.buffer_m, cell_m=cell_m)
    got = idx.classify([(0, 1, 3)], np.zeros(x.size, dtype=np.int64), x, y)
    want = _exact(fs, (0, 1, 3), x, y)
    assert (want[got == IN]).all() and not (want[got == OUT]).any()
    assert pd.Series(got).isin([IN, OUT, BAND]).all()
