"""The compiled loop of :class:`hazrisk.safety.geo.SegmentGrid`: nearest segment per point.

A module of its own so that importing :mod:`hazrisk.safety.geo` (and the detection pipeline,
and ``hazrisk.safety``) does not load Numba (:mod:`hazrisk.kernels`): it is imported where
the kernel is first called.
"""

from __future__ import annotations

import math

import numpy as np

from hazrisk.kernels import kernel


@kernel
def nearest_in_cells(x: np.ndarray, y: np.ndarray, key: np.ndarray, cell_key: np.ndarray,
             cell_seg: np.ndarray, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray,
             by: np.ndarray, seg_parent: np.ndarray, tolerance_m: float, parent: np.ndarray,
             dist: np.ndarray) -> None:
    """Per point: the smallest distance to a segment filed in its cell, within
    ``tolerance_m``, and the lowest parent among the segments at that distance (the
    projection on the segment clipped to its ends, ``hypot`` of the offset)."""
    for i in range(x.shape[0]):
        j = np.searchsorted(cell_key, key[i])
        best = np.inf
        best_p = -1
        while j < cell_key.shape[0] and cell_key[j] == key[i]:
            s = cell_seg[j]
            dx = bx[s] - ax[s]
            dy = by[s] - ay[s]
            ll = dx * dx + dy * dy
            u = ((x[i] - ax[s]) * dx + (y[i] - ay[s]) * dy) / ll if ll > 0 else 0.0
            u = min(max(u, 0.0), 1.0)
            d = math.hypot(x[i] - (ax[s] + u * dx), y[i] - (ay[s] + u * dy))
            if d <= tolerance_m and (d < best or (d == best and seg_parent[s] < best_p)):
                best = d
                best_p = seg_parent[s]
            j += 1
        if best_p >= 0:
            parent[i] = best_p
            dist[i] = best
