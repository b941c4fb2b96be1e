"""Approved-route corridors: which points lie within ``buffer_m`` of a fence set's routes.

The off-route test (:meth:`hazrisk.safety.geo.FenceSet.inside`) asks, for millions of moving
fixes, whether a fix is within its approved routes' buffers (distance to the line ≤
``buffer_m``, exactly as GEOS measures it) or inside an approved area. The routes are long
(the province-day: 6,303 routes of ~100 segments of ~1.5 km, buffers 500-1,000 m) and many
enterprises' routes share the same roads, so a test against all routes would meet hundreds of
candidate segments per fix.

:class:`CorridorIndex` files every route segment in the square grid cells (``cell_m``) its
bounding box, grown by the route's buffer, touches; a fence *set* (the routes of one vehicle
or enterprise) gets its own sorted (set, cell) keys, built once per set and kept, so a fix
meets only its own routes' segments in its cell. The kernel (:func:`_classify`) measures each
candidate's point-to-segment distance (GEOS's formula) and answers per point:

- ``IN``: some segment is closer than ``buffer_m - eps_m``;
- ``OUT``: every candidate is farther than ``buffer_m + eps_m`` (a point farther than that
  from a segment is not filed in its cell or is measured);
- ``BAND``: otherwise, within ``eps_m`` (1 mm) of a buffer's edge. The caller measures these
  few points with GEOS itself, so the verdict equals ``shapely.distance(line, point) <=
  buffer_m`` whatever the last bits of the two distance computations.

A route that is not a (multi)line cannot be cut into segments: the sets holding one answer
``BAND`` for every point (GEOS decides). Areas are not indexed here (their point-in-polygon
test is GEOS's, prepared, per area).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from hazrisk.kernels import kernel

OUT, IN, BAND = 0, 1, 2
_SHIFT = 20  # bits per cell coordinate in a key (±2^19 cells)
_HALF = 1 << (_SHIFT - 1)


@kernel
def _segment_distance(px: float, py: float, ax: float, ay: float, bx: float,
                      by: float) -> float:
    """GEOS's ``Distance::pointToSegment`` (the same operations in the same order)."""
    if ax == bx and ay == by:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return math.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    if r >= 1.0:
        return math.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * math.sqrt(len2)


@kernel
def _classify(px: np.ndarray, py: np.ndarray, pset: np.ndarray, cell_m: float,
              keys: np.ndarray, segs: np.ndarray, ax: np.ndarray, ay: np.ndarray,
              bx: np.ndarray, by: np.ndarray, seg_buf: np.ndarray, eps_m: float,
              out: np.ndarray) -> None:
    """``out[i]`` = IN / OUT / BAND of point ``i`` against the segments filed under its set
    ``pset[i]`` and its cell (``keys`` sorted; ``segs`` the segment of each key)."""
    for i in range(px.shape[0]):
        fx = math.floor(px[i] / cell_m) + _HALF
        fy = math.floor(py[i] / cell_m) + _HALF
        if not (0 <= fx < 2 * _HALF and 0 <= fy < 2 * _HALF):
            out[i] = BAND  # off the grid (or NaN): GEOS decides
            continue
        cx, cy = int(fx), int(fy)
        key = (pset[i] << (2 * _SHIFT)) | (cx << _SHIFT) | cy
        lo = np.searchsorted(keys, key)
        verdict = OUT
        j = lo
        while j < keys.shape[0] and keys[j] == key:
            s = segs[j]
            d = _segment_distance(px[i], py[i], ax[s], ay[s], bx[s], by[s])
            b = seg_buf[s]
            if d <= b - eps_m:
                verdict = IN
                break
            if d <= b + eps_m:
                verdict = BAND
            j += 1
        out[i] = verdict


@dataclass
class _Block:
    """The sorted (set, cell) keys of the sets built together."""

    keys: np.ndarray
    segs: np.ndarray


@dataclass
class CorridorIndex:
    """Route segments filed by cell, and per fence set the keys of its routes' cells."""

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    seg_buf: np.ndarray          # the buffer of each segment's route
    route_cells: np.ndarray      # cell key (without the set) of each (route, cell) entry
    route_segs: np.ndarray       # segment of each entry; entries sorted by route
    route_first: np.ndarray      # entries of fence fi: route_first[fi] .. route_first[fi + 1]
    unsplit: np.ndarray          # bool per fence: a route that is not a (multi)line
    cell_m: float
    eps_m: float
    _sets: dict[tuple[int, ...], tuple[int, int]] = field(default_factory=dict, repr=False)
    _blocks: list[_Block] = field(default_factory=list, repr=False)

    @classmethod
    def build(cls, geoms: np.ndarray, is_route: np.ndarray, buffer_m: np.ndarray,
              cell_m: float = 2000.0, eps_m: float = 1e-3) -> CorridorIndex:
        """Index the routes (``is_route``) among ``geoms`` (EPSG:4549, one per fence)."""
        nf = geoms.shape[0]
        lines = is_route & np.isin(shapely.get_type_id(geoms), (1, 2, 5))  # (Multi)LineString
        unsplit = is_route & ~lines
        fis = np.flatnonzero(lines)
        parts, part_of = shapely.get_parts(geoms[fis], return_index=True)
        coords, coord_of = shapely.get_coordinates(parts, return_index=True)
        same = coord_of[1:] == coord_of[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        fence = fis[part_of[coord_of[:-1][same]]] if fis.size else np.zeros(0, np.int64)
        buf = np.asarray(buffer_m, dtype=np.float64)[fence]
        reach = buf + 2 * eps_m + 1.0  # never short of a point within buffer + eps
        x0 = np.floor((np.minimum(a[:, 0], b[:, 0]) - reach) / cell_m).astype(np.int64)
        x1 = np.floor((np.maximum(a[:, 0], b[:, 0]) + reach) / cell_m).astype(np.int64)
        y0 = np.floor((np.minimum(a[:, 1], b[:, 1]) - reach) / cell_m).astype(np.int64)
        y1 = np.floor((np.maximum(a[:, 1], b[:, 1]) + reach) / cell_m).astype(np.int64)
        ny = y1 - y0 + 1
        cnt = (x1 - x0 + 1) * ny
        seg = np.repeat(np.arange(fence.size), cnt)
        k = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        cells = (((x0[seg] + k // ny[seg] + _HALF) << _SHIFT)
                 | (y0[seg] + k % ny[seg] + _HALF))
        order = np.argsort(fence[seg], kind="stable")  # segments are already by fence
        first = np.searchsorted(fence[seg][order], np.arange(nf + 1), side="left")
        return cls(a[:, 0].copy(), a[:, 1].copy(), b[:, 0].copy(), b[:, 1].copy(), buf,
                   cells[order], seg[order], first, unsplit, cell_m, eps_m)

    def _ensure(self, sets: list[tuple[int, ...]]) -> None:
        """Build the keys of the fence sets not built yet (one block)."""
        new = [s for s in dict.fromkeys(sets) if s not in self._sets]
        if not new:
            return
        set_of = np.repeat(np.arange(len(new)), [len(s) for s in new])
        fence = np.asarray([fi for s in new for fi in s], dtype=np.int64)
        lo, hi = self.route_first[fence], self.route_first[fence + 1]
        cnt = hi - lo
        entry = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
        keys = (np.repeat(set_of, cnt).astype(np.int64) << (2 * _SHIFT)) | self.route_cells[
            entry]
        order = np.argsort(keys, kind="stable")
        block = len(self._blocks)
        self._blocks.append(_Block(keys[order], self.route_segs[entry][order]))
        for k, s in enumerate(new):
            self._sets[s] = (block, k)

    def classify(self, sets: list[tuple[int, ...]], point_set: np.ndarray, x: np.ndarray,
                 y: np.ndarray) -> np.ndarray:
        """IN / OUT / BAND (int8) of each point against the routes of its fence set
        ``sets[point_set[i]]`` (module docstring)."""
        out = np.full(x.shape[0], OUT, dtype=np.int8)
        if x.size == 0:
            return out
        self._ensure(sets)
        where = np.asarray([self._sets[s] for s in sets], dtype=np.int64).reshape(-1, 2)
        blk, local = where[point_set, 0], where[point_set, 1]
        for b in np.unique(blk):
            idx = np.flatnonzero(blk == b)
            res = np.empty(idx.size, dtype=np.int8)
            block = self._blocks[int(b)]
            _classify(np.ascontiguousarray(x[idx]), np.ascontiguousarray(y[idx]),
                      np.ascontiguousarray(local[idx]), self.cell_m, block.keys, block.segs,
                      self.ax, self.ay, self.bx, self.by, self.seg_buf, self.eps_m, res)
            out[idx] = res
        unsplit = np.asarray([bool(self.unsplit[list(s)].any()) if s else False
                              for s in sets], dtype=bool)
        out[unsplit[point_set] & (out != IN)] = BAND
        return out
