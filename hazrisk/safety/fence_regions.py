"""Allowed regions of fence sets kept between detection runs (``safety.fence_regions``).

The off-route test (:meth:`hazrisk.safety.geo.FenceSet.inside`) judges a point against the
union of its fence set's areas and route buffers, built once per set: on the province-day 1,333
enterprise sets, 4-10 s of a detection run (GEOS unions), the same every day while the fences
do not change. A run stores the regions it built (WKB: the same doubles when read back), keyed
by :meth:`~hazrisk.safety.geo.FenceSet.region_key` (a digest of each fence's id, kind, buffer
and projected geometry, and of how a region is built), and the next run reads them instead of
building them again: a changed fence changes its set's key, so its region is built afresh.
Regions of fence sets that no longer exist stay in the table (one row per set version; the
province-day's 1,333 sets take 44 MB of WKB). Used by :func:`hazrisk.safety.pipeline.detect`
(the Spark engine builds its regions on the executors as before).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from hazrisk.safety.geo import FenceSet
from hazrisk.sqlfiles import SqlFolder, registered, transaction

_sql = SqlFolder("hazrisk.safety")


def load_regions(con: duckdb.DuckDBPyConnection, fences: FenceSet) -> int:
    """Read the stored regions into ``fences`` (once per object); how many."""
    if fences.stored:
        return len(fences.stored)
    rows = _sql.run(con, "fence_regions", "load").fetchall()
    if not rows:
        return 0
    keys = [r[0] for r in rows]
    inner = shapely.from_wkb(np.asarray([r[1] for r in rows], dtype=object))
    outer = shapely.from_wkb(np.asarray([r[2] for r in rows], dtype=object))
    for g in (inner, outer):
        shapely.prepare(g[~shapely.is_missing(g)])
    fences.stored.update(zip(keys, zip(inner, outer, strict=True), strict=True))
    return len(keys)


def store_regions(con: duckdb.DuckDBPyConnection, fences: FenceSet) -> int:
    """Store the regions ``fences`` built that are not stored yet (own transaction); how
    many."""
    new = {k: v for k, v in fences.built.items() if k not in fences.stored}
    if not new:
        return 0
    inner = shapely.to_wkb(np.asarray([v[0] for v in new.values()], dtype=object))
    outer = shapely.to_wkb(np.asarray([v[1] for v in new.values()], dtype=object))
    table = pa.table({"region_key": list(new), "inner_wkb": pa.array(list(inner), pa.binary()),
                      "outer_wkb": pa.array(list(outer), pa.binary())})
    with transaction(con), registered(con, "_safety_fence_regions", table):
        _sql.run(con, "fence_regions", "store")
    fences.stored.update(new)
    return len(new)
