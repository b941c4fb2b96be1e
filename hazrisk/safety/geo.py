"""Geometry for the detectors: map matching to ``core.roads`` and approved fences.

All metric work is in CGCS2000 / 3-degree Gauss-Kruger CM 120E (EPSG:4549), one CRS for all of
Zhejiang (tooling notes §5); storage stays WGS84. No DuckDB spatial extension: WKT is parsed
with shapely and queried with an STRtree over whole columns of points.

The compiled kernels (Numba) are imported where they are first called: the nearest-segment
loop (:mod:`hazrisk.safety.geo_kernels`) and the route corridors
(:mod:`hazrisk.safety.corridors`), so importing this module, the detection pipeline or
``hazrisk.safety`` does not load Numba.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from hazrisk.sqlfiles import SqlFolder

if TYPE_CHECKING:
    from hazrisk.safety.corridors import CorridorIndex

read_sql = SqlFolder("hazrisk.safety").text

METRIC_CRS = "EPSG:4549"


@lru_cache(maxsize=1)
def _transformer() -> Transformer:
    return Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat degrees -> EPSG:4549 metres (x east, y north)."""
    x, y = _transformer().transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def project_geoms(geoms: np.ndarray) -> np.ndarray:
    """Shapely geometries in WGS84 lon/lat -> EPSG:4549."""
    tr = _transformer()

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return np.asarray(shapely.transform(geoms, fn))


def explode_segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split (multi)line geometries into 2-point segments: (segments, index of the parent).

    An STRtree over segments has tight boxes; over whole routes every fix near a long route's
    bounding box would be a candidate, and distance to a long line is slow.
    """
    # parts of multilines: segments only between consecutive vertices of the same part
    parts, part_parent = shapely.get_parts(geoms, return_index=True)
    pc, pidx = shapely.get_coordinates(parts, return_index=True)
    if pc.shape[0] < 2:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    same = pidx[1:] == pidx[:-1]
    segs = shapely.linestrings(np.stack([pc[:-1][same], pc[1:][same]], axis=1))
    return np.asarray(segs), np.asarray(part_parent[pidx[:-1][same]], dtype=np.int64)


def _speed_limit(props: str | None) -> float:
    if not props:
        return np.nan
    try:
        value = json.loads(props).get("speed_limit_kmh")
    except (ValueError, AttributeError):
        return np.nan
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan


@dataclass
class SegmentGrid:
    """Line segments bucketed in a square grid, for nearest-segment queries on whole columns
    of coordinates (numpy point-to-segment distances; no shapely Point objects)."""

    ax: np.ndarray
    ay: np.ndarray
    bx: np.ndarray
    by: np.ndarray
    parent: np.ndarray      # index of the geometry each segment comes from
    cell_m: float
    reach_m: float          # segments are filed in every cell within this distance
    cell_key: np.ndarray    # sorted cell keys, one entry per (cell, segment)
    cell_seg: np.ndarray

    @classmethod
    def build(cls, geoms: np.ndarray, cell_m: float = 1000.0,
              reach_m: float = 200.0) -> SegmentGrid:
        segs, parent = explode_segments(geoms)
        if segs.size == 0:
            z = np.zeros(0)
            zi = np.zeros(0, dtype=np.int64)
            return cls(z, z, z, z, zi, cell_m, reach_m, zi, zi)
        c = shapely.get_coordinates(segs).reshape(-1, 2, 2)
        ax, ay, bx, by = c[:, 0, 0], c[:, 0, 1], c[:, 1, 0], c[:, 1, 1]
        x0 = np.floor((np.minimum(ax, bx) - reach_m) / cell_m).astype(np.int64)
        x1 = np.floor((np.maximum(ax, bx) + reach_m) / cell_m).astype(np.int64)
        y0 = np.floor((np.minimum(ay, by) - reach_m) / cell_m).astype(np.int64)
        y1 = np.floor((np.maximum(ay, by) + reach_m) / cell_m).astype(np.int64)
        nx, ny = x1 - x0 + 1, y1 - y0 + 1
        cnt = nx * ny
        seg = np.repeat(np.arange(segs.size), cnt)
        k = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        cx = x0[seg] + k // ny[seg]
        cy = y0[seg] + k % ny[seg]
        key = _cell_key(cx, cy)
        order = np.argsort(key, kind="stable")
        return cls(ax, ay, bx, by, np.asarray(parent, dtype=np.int64), cell_m, reach_m,
                   key[order], seg[order])

    def nearest(self, x: np.ndarray, y: np.ndarray,
                tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
        """(parent index or -1, distance m) of the nearest segment within ``tolerance_m``;
        ties resolve to the lowest parent index."""
        n = x.shape[0]
        parent = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        if n == 0 or self.cell_key.size == 0:
            return parent, dist
        if tolerance_m > self.reach_m:
            raise ValueError(f"tolerance {tolerance_m} m exceeds the grid reach {self.reach_m} m")
        from hazrisk.safety.geo_kernels import nearest_in_cells  # Numba, on first use

        key = _cell_key(np.floor(x / self.cell_m).astype(np.int64),
                        np.floor(y / self.cell_m).astype(np.int64))
        nearest_in_cells(np.ascontiguousarray(x, dtype=np.float64),
                 np.ascontiguousarray(y, dtype=np.float64), key, self.cell_key,
                 self.cell_seg, self.ax, self.ay, self.bx, self.by, self.parent,
                 float(tolerance_m), parent, dist)
        return parent, dist


def _cell_key(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Cell (cx, cy) -> one int64 (cells within ±2^20 of the origin: ±10^6 km at 1 km)."""
    return np.asarray((cx + (1 << 20)) * (1 << 22) + (cy + (1 << 20)), dtype=np.int64)


@dataclass
class RoadIndex:
    """Roads with class and posted limit, in EPSG:4549, with an STRtree."""

    road_id: np.ndarray
    road_class: np.ndarray          # 'expressway' / 'other'
    speed_limit_kmh: np.ndarray     # posted limit (NaN when none)
    geoms: np.ndarray
    grid: SegmentGrid

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> RoadIndex:
        df = con.sql(read_sql("roads")).to_df()
        geoms = shapely.from_wkt(df["geometry_wkt"].to_numpy(dtype=object), on_invalid="ignore")
        ok = ~shapely.is_missing(geoms)
        df, geoms = df[ok], geoms[ok]
        geoms = project_geoms(geoms)
        return cls(
            road_id=df["road_id"].to_numpy(dtype=object),
            road_class=df["road_class"].fillna("other").to_numpy(dtype=object),
            speed_limit_kmh=df["speed_limit_kmh"].to_numpy(dtype=float),
            geoms=geoms,
            grid=SegmentGrid.build(geoms),
        )

    def match(self, x: np.ndarray, y: np.ndarray,
              tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Nearest road within ``tolerance_m`` of each point: (road index or -1, distance m).

        Ties (equidistant roads, e.g. at a junction) resolve to the lowest road index.
        """
        return self.grid.nearest(x, y, tolerance_m)


@dataclass
class FenceSet:
    """Approved routes (LineString + buffer) and areas (Polygon) in EPSG:4549, plus speed
    zones (any fence whose properties carry ``speed_limit_kmh``)."""

    fence_id: np.ndarray
    kind: np.ndarray            # 'route' / 'area'
    enterprise_id: np.ndarray
    vehicle_id: np.ndarray      # None = the whole enterprise
    buffer_m: np.ndarray
    speed_limit_kmh: np.ndarray
    geoms: np.ndarray
    _corridors: CorridorIndex | None = field(default=None, repr=False, compare=False)
    _ready: set[int] = field(default_factory=set, repr=False, compare=False)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> FenceSet:
        df = con.sql(read_sql("fences")).to_df()
        geoms = shapely.from_wkt(df["geometry_wkt"].to_numpy(dtype=object), on_invalid="ignore")
        ok = ~shapely.is_missing(geoms)
        df, geoms = df[ok].reset_index(drop=True), geoms[ok]
        return cls(
            fence_id=df["fence_id"].to_numpy(dtype=object),
            kind=df["kind"].to_numpy(dtype=object),
            enterprise_id=df["enterprise_id"].to_numpy(dtype=object),
            vehicle_id=np.asarray([v if isinstance(v, str) and v else None
                                   for v in df["vehicle_id"].tolist()], dtype=object),
            buffer_m=df["buffer_m"].fillna(0.0).to_numpy(dtype=float),
            speed_limit_kmh=np.asarray([_speed_limit(s) for s in df["properties_json"].tolist()],
                                       dtype=float),
            geoms=project_geoms(geoms),
        )

    def zone_limit(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Lowest speed-zone limit containing each point (NaN outside every zone)."""
        out = np.full(x.shape[0], np.nan)
        zones = np.flatnonzero(np.isfinite(self.speed_limit_kmh))
        if zones.size == 0 or x.size == 0:
            return out
        geoms = self.geoms[zones]
        is_line = shapely.get_type_id(geoms) == 1
        geoms = np.where(is_line, shapely.buffer(geoms, np.maximum(self.buffer_m[zones], 1.0)),
                         geoms)
        tree = shapely.STRtree(geoms)
        pi, gi = tree.query(shapely.points(x, y), predicate="intersects")
        lim = self.speed_limit_kmh[zones][gi]
        res = pd.Series(lim).groupby(pi).min()
        out[res.index.to_numpy()] = res.to_numpy()
        return out

    def applicable(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Approved routes and areas applicable to each row of ``keys`` (columns ``key``,
        ``vehicle_id``, ``enterprise_id``): the vehicle's own fences, else its enterprise's
        fences that name no vehicle. Returns columns ``key``, ``fi`` (fence index)."""
        sel = np.flatnonzero(np.isin(self.kind, ["route", "area"]))
        fences = pd.DataFrame({"fi": sel, "vehicle_id": self.vehicle_id[sel],
                               "enterprise_id": self.enterprise_id[sel]})
        own = keys.merge(fences.dropna(subset=["vehicle_id"])[["vehicle_id", "fi"]],
                         on="vehicle_id")
        ent_f = fences[fences["vehicle_id"].isna()][["enterprise_id", "fi"]]
        rest = keys[~keys["vehicle_id"].isin(own["vehicle_id"])]
        by_ent = rest.merge(ent_f, on="enterprise_id")
        return pd.concat([own[["key", "fi"]], by_ent[["key", "fi"]]], ignore_index=True)

    def inside(self, x: np.ndarray, y: np.ndarray, point_key: np.ndarray,
               app_key: np.ndarray, app_fi: np.ndarray) -> np.ndarray:
        """Whether each point lies in at least one of its applicable fences.

        ``point_key`` is each point's applicability key; (``app_key``, ``app_fi``) lists the
        fences (indices) applicable to each key. Routes: distance to the line ≤ ``buffer_m``,
        exactly (GEOS's distance); areas: inside or on the boundary (GEOS).

        Keys with the same fence set share its corridor keys (:mod:`hazrisk.safety.corridors`,
        built once per set and kept on this object): a grid kernel answers in / out for every
        point farther than 1 mm from a route buffer's edge; points outside every corridor are
        tested against their set's areas (prepared GEOS polygons), and the few points within
        1 mm of an edge get GEOS's own distance to each route of their set.
        """
        out = np.zeros(x.shape[0], dtype=bool)
        if app_fi.size == 0 or x.size == 0:
            return out
        sets = (pd.DataFrame({"key": app_key, "fi": app_fi}).drop_duplicates()
                .sort_values(["key", "fi"]).groupby("key")["fi"].agg(tuple))
        set_id, uniq = pd.factorize(sets)
        key_set = pd.Series(set_id, index=sets.index)
        pset = key_set.reindex(point_key).to_numpy(dtype=float)
        pset = np.where(np.isnan(pset), -1, pset).astype(np.int64)
        fis = [tuple(int(f) for f in u) for u in uniq]
        idx = np.flatnonzero(pset >= 0)
        from hazrisk.safety.corridors import BAND, IN  # the grid kernel (Numba), on first use

        verdict = self.corridors().classify(fis, pset[idx], x[idx], y[idx])
        out[idx[verdict == IN]] = True
        rest = idx[verdict != IN]
        band = np.zeros(x.shape[0], dtype=bool)
        band[idx[verdict == BAND]] = True
        order = rest[np.argsort(pset[rest], kind="stable")]
        bounds = np.searchsorted(pset[order], np.arange(len(fis) + 1), side="left")
        for k, fs in enumerate(fis):  # per set: its areas, then GEOS at the buffer edges
            pts = order[bounds[k]:bounds[k + 1]]
            if pts.size == 0:
                continue
            hit = np.zeros(pts.size, dtype=bool)
            for fi in fs:
                if self.kind[fi] == "area":
                    hit |= shapely.intersects_xy(self._prepared(fi), x[pts], y[pts])
            edge = np.flatnonzero(~hit & band[pts])
            if edge.size:
                p = shapely.points(x[pts[edge]], y[pts[edge]])
                near = np.zeros(edge.size, dtype=bool)
                for fi in fs:
                    if self.kind[fi] == "route":
                        near |= shapely.distance(self.geoms[fi], p) <= self.buffer_m[fi]
                hit[edge] = near
            out[pts] = hit
        return out

    def corridors(self) -> CorridorIndex:
        """The routes' corridor index (built on first use, kept)."""
        if self._corridors is None:
            from hazrisk.safety.corridors import CorridorIndex


            self._corridors = CorridorIndex.build(self.geoms, self.kind == "route",
                                                  self.buffer_m)
        return self._corridors

    def _prepared(self, fi: int) -> object:
        """Fence ``fi``'s geometry, prepared for repeated point tests (once)."""
        g = self.geoms[fi]
        if fi not in self._ready:
            shapely.prepare(g)
            self._ready.add(fi)
        return g
