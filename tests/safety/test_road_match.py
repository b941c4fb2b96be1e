"""Map matching's nearest-segment kernel (SegmentGrid.nearest): the nearest road within the
tolerance, ties to the lowest road index, exactly what the whole-column numpy computation
gives (kept here as the reference): hand-built junctions, the tolerance's edge, a zero-length
segment, and random roads and points."""

from __future__ import annotations

import numpy as np
import shapely

from hazrisk.safety.geo import SegmentGrid

X0, Y0 = 500_000.0, 3_320_000.0


def _reference(grid: SegmentGrid, x: np.ndarray, y: np.ndarray,
               tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Every point against every segment, numpy: the distance, then the smallest within
    ``tol`` and the lowest parent at it."""
    dx, dy = grid.bx - grid.ax, grid.by - grid.ay
    ll = dx * dx + dy * dy
    px, py = x[:, None], y[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(ll > 0, ((px - grid.ax) * dx + (py - grid.ay) * dy) / ll, 0.0)
    u = np.clip(u, 0.0, 1.0)
    d = np.hypot(px - (grid.ax + u * dx), py - (grid.ay + u * dy))
    d = np.where(d <= tol, d, np.inf)
    best = d.min(axis=1)
    at = np.where(d == best[:, None], grid.parent[None, :], np.iinfo(np.int64).max).min(axis=1)
    found = np.isfinite(best)
    return np.where(found, at, -1), best


def _lines(coords: list[list[tuple[float, float]]]) -> np.ndarray:
    return np.asarray([shapely.LineString([(X0 + a, Y0 + b) for a, b in c]) for c in coords],
                      dtype=object)


def test_junction_ties_tolerance_edge_and_zero_length() -> None:
    roads = _lines([[(0, 0), (2000, 0)], [(1000, -1000), (1000, 1000)],
                    [(1000, 0), (3000, 0)], [(5000, 5000), (5000, 5000), (5030, 5000)]])
    grid = SegmentGrid.build(roads)
    pts = [(1000, 0), (1000, 10), (1010, 10), (2500, 30), (2500, 30.000001), (-30, 0),
           (5000, 5030), (4970, 5000), (9000, 9000)]
    x = X0 + np.asarray([p[0] for p in pts])
    y = Y0 + np.asarray([p[1] for p in pts])
    got = grid.nearest(x, y, 30.0)
    want = _reference(grid, x, y, 30.0)
    assert got[0].tolist() == want[0].tolist()
    assert np.array_equal(got[1], want[1])
    # at the crossing all three roads are at 0 m: the lowest index; (1000, 10) lies on road 1
    assert got[0].tolist() == [0, 1, 0, 2, -1, 0, 3, 3, -1]


def test_random_roads_equal_the_reference() -> None:
    rng = np.random.default_rng(21)
    coords = [[tuple(p) for p in np.cumsum(rng.uniform(-800, 800, (6, 2)), axis=0)
               + rng.uniform(0, 6000, 2)] for _ in range(40)]
    grid = SegmentGrid.build(_lines(coords))
    x = X0 + rng.uniform(-500, 6500, 30_000)
    y = Y0 + rng.uniform(-500, 6500, 30_000)
    for tol in (5.0, 30.0, 200.0):
        got = grid.nearest(x, y, tol)
        want = _reference(grid, x, y, tol)
        assert got[0].tolist() == want[0].tolist()
        assert np.array_equal(got[1], want[1])
        assert 0 < (got[0] >= 0).sum() < x.size
