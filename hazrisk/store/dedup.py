"""Duplicate positions: the first of equal rows in a chunk, and rows already stored.

A position's identity is (terminal, device time, latitude, longitude), compared exactly
(``-0.0`` equals ``0.0``; a row without a device time is kept: its identity is unknown).
Rows are hashed to 64 bits on the four key columns and only rows whose hash repeats (or is
found on the other side) are compared exactly by a ``lexsort``: linear time, where sorting
every hash cost about 3x more. Used by :mod:`hazrisk.store.positions` while staging a chunk
(:func:`first_of_duplicates`) and before appending it (:func:`store_mask`).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.sqlfiles import SqlFolder, registered

SQL = SqlFolder("hazrisk.store", "sql/ingest").statements("dedup")

_M1, _M2, _M3, _M4 = (np.uint64(c) for c in (
    0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93))


def as_array(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One array of ``col`` (``combine_chunks`` copies even a single chunk: ~0.7 ms per
    column of a chunk, for each of ~25 columns)."""
    if isinstance(col, pa.Array):
        return col
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def column_np(table: pa.Table, name: str, dtype: Any, fill: Any = 0) -> np.ndarray:
    """Column ``name`` of ``table`` as a numpy array of ``dtype``, nulls as ``fill``."""
    col = table.column(name)
    if col.null_count:
        col = pc.fill_null(col, fill)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=dtype)


def _hash_keys(pidx: np.ndarray, tt: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """64-bit mix of the four int64 key columns (phone index, device time, lat/lon bits)."""
    with np.errstate(over="ignore"):
        h = (pidx.astype(np.uint64) * _M1) ^ (tt.view(np.uint64) * _M2)
        h ^= h >> np.uint64(29)
        h = (h ^ (lat.view(np.uint64) * _M3)) * _M1
        h ^= lon.view(np.uint64) * _M4
        h ^= h >> np.uint64(32)
    return np.asarray(h, np.uint64)


#: Buckets (top bits of a 64-bit hash) of the membership prefilters below.
_BUCKET_BITS = 21  # bincount's int64 counts: 16 MB, under the mmap threshold (allocator.py)


def repeated(h: np.ndarray) -> np.ndarray:
    """Mask of the entries of ``h`` (uint64 hashes) that occur more than once. Only the rows
    of buckets holding two or more hashes are compared (a sort of the whole array cost 3x)."""
    shift = np.uint64(64 - _BUCKET_BITS)
    b = (h >> shift).astype(np.int64)
    cand = np.flatnonzero(np.bincount(b, minlength=1 << _BUCKET_BITS)[b] > 1)
    out = np.zeros(h.size, bool)
    if cand.size:
        _, inv, counts = np.unique(h[cand], return_inverse=True, return_counts=True)
        out[cand] = counts[inv] > 1
    return out


def members(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mask of the entries of ``a`` that are in ``b`` (uint64 hashes): a bucket bitmap
    prefilter, then an exact ``isin`` on the few entries that pass it."""
    if a.size == 0 or b.size == 0:
        return np.zeros(a.size, bool)
    shift = np.uint64(64 - _BUCKET_BITS)
    ba, bb = (a >> shift).astype(np.int64), (b >> shift).astype(np.int64)
    marked = np.zeros(1 << _BUCKET_BITS, bool)
    marked[bb] = True
    cand = np.flatnonzero(marked[ba])
    out = np.zeros(a.size, bool)
    if cand.size:
        marked[:] = False
        marked[ba[cand]] = True
        out[cand] = np.isin(a[cand], b[marked[bb]])
    return out


def first_of_duplicates(staged: pa.Table) -> np.ndarray:
    """Boolean mask: the first row of each (terminal, device time, lat, lon) group.

    Rows are hashed on the four key columns; only rows whose hash repeats (the duplicates,
    plus the astronomically rare collision) are compared exactly, by a lexsort on the keys.
    """
    n = staged.num_rows
    keep = np.ones(n, bool)
    if n < 2:
        return keep
    phone = as_array(staged.column("terminal_phone"))
    if not pa.types.is_dictionary(phone.type):
        phone = pc.dictionary_encode(phone)
    pidx = np.asarray(phone.indices.to_numpy(zero_copy_only=False), np.int64)
    tcol = staged.column("device_time").cast(pa.int64())
    tt = np.asarray(pc.fill_null(tcol, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False))
    lat = (column_np(staged, "lat_deg", np.float64) + 0.0).view(np.int64)  # -0.0 == 0.0
    lon = (column_np(staged, "lon_deg", np.float64) + 0.0).view(np.int64)
    h = _hash_keys(pidx, tt, lat, lon)
    # rows sharing a hash with another row (a hash table, linear time: sorting the hashes
    # cost 3x more), in row order
    cand = np.flatnonzero(repeated(h))
    if cand.size == 0:
        return keep
    order = cand[np.lexsort((cand, lon[cand], lat[cand], tt[cand], pidx[cand]))]
    same = (
        (pidx[order][1:] == pidx[order][:-1]) & (tt[order][1:] == tt[order][:-1])
        & (lat[order][1:] == lat[order][:-1]) & (lon[order][1:] == lon[order][:-1])
    )
    keep[order[1:][same]] = False
    keep[tt == np.iinfo(np.int64).min] = True  # no valid device time: identity unknown, kept
    return keep


def _coord_bits(col: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 bits of the value, -0.0 made 0.0; valid mask) of a DOUBLE column."""
    valid = np.asarray(pc.is_valid(col).to_numpy(zero_copy_only=False), bool)
    vals = np.asarray(pc.fill_null(col, 0.0).to_numpy(zero_copy_only=False), np.float64) + 0.0
    return vals.view(np.int64), valid


def _in_stored(a: list[np.ndarray], b: list[np.ndarray]) -> np.ndarray:
    """For rows of key columns ``a`` (phone index, time, lat bits, lon bits), whether an
    identical row is in ``b``: hash prefilter, then an exact lexsort comparison."""
    out = np.zeros(a[0].size, bool)
    if a[0].size == 0 or b[0].size == 0:
        return out
    ha, hb = _hash_keys(*a), _hash_keys(*b)
    # hash-table membership both ways (linear time; sorting hb cost ~3x more)
    ci = np.flatnonzero(members(ha, hb))
    if ci.size == 0:
        return out
    bi = np.flatnonzero(members(hb, ha[ci]))
    keys = [np.concatenate([x[ci], y[bi]]) for x, y in zip(a, b, strict=True)]
    side = np.concatenate([np.ones(ci.size, np.int8), np.zeros(bi.size, np.int8)])
    order = np.lexsort((side, keys[3], keys[2], keys[1], keys[0]))
    ks = [k[order] for k in keys]
    start = np.ones(order.size, bool)
    start[1:] = ((ks[0][1:] != ks[0][:-1]) | (ks[1][1:] != ks[1][:-1])
                 | (ks[2][1:] != ks[2][:-1]) | (ks[3][1:] != ks[3][:-1]))
    group = np.cumsum(start) - 1
    sides = side[order]
    stored_first = sides[start][group] == 0  # stored rows sort first in their group
    hit = order[stored_first & (sides == 1)]
    out[ci[hit]] = True
    return out


def _held_keys(held: pa.Table) -> pa.Table:
    """The keys of held rows, as ``stored_keys`` returns them (timed, marked ``_append``)."""
    t = held.column("device_time")
    mask = pc.and_(pc.is_valid(t), pc.fill_null(held.column("_append"), False))
    return pa.table({"term_key": held.column("term_key"), "t": t.cast(pa.int64()),
                     "lat_deg": held.column("lat_deg"),
                     "lon_deg": held.column("lon_deg")}).filter(mask)


def store_mask(
    con: duckdb.DuckDBPyConnection, staged: pa.Table, clusters: list[dict[str, Any]],
    held: pa.Table | None = None,
) -> np.ndarray:
    """Which rows of ``staged`` to append: rows without a device time, and rows with one that
    are first in the chunk (``_keep``) and equal to no stored position of their time span
    (terminal, device time, lat, lon; SQL equality: NULL matches nothing). Only the stored
    rows of the chunk's terminals are read. ``held``: positions of the file held back to
    whole row groups (:mod:`hazrisk.store.row_groups`), stored for this purpose (those
    marked ``_append``)."""
    t_col = staged.column("device_time")
    valid = np.asarray(pc.is_valid(t_col).to_numpy(zero_copy_only=False), bool)
    keep = np.asarray(staged.column("_keep").to_numpy(zero_copy_only=False), bool)
    mask = (keep & valid) | ~valid
    terms = pc.unique(pc.drop_null(as_array(staged.column("term_key"))))
    with registered(con, "_chunk_terms", pa.table({"term_key": terms})):
        stored = [con.sql(SQL["stored_keys"], params=tr).to_arrow_table() for tr in clusters]
    if held is not None:
        stored.append(_held_keys(held))
    stored = [x for x in stored if x.num_rows]
    if not stored:
        return mask
    t = np.asarray(pc.fill_null(t_col.cast(pa.int64()), 0).to_numpy(zero_copy_only=False),
                   np.int64)
    keys = pa.concat_tables(stored)
    pidx = column_np(staged, "term_key", np.int64, -1)
    lat, lat_ok = _coord_bits(staged.column("lat_deg"))
    lon, lon_ok = _coord_bits(staged.column("lon_deg"))
    sidx = column_np(keys, "term_key", np.int64, -1)
    st = np.asarray(keys.column("t").to_numpy(zero_copy_only=False), np.int64)
    slat, slat_ok = _coord_bits(keys.column("lat_deg"))
    slon, slon_ok = _coord_bits(keys.column("lon_deg"))
    in_range = np.zeros(t.size, bool)  # within the times of some span's stored rows
    for x in stored:
        lo, hi = pc.min_max(x.column("t")).values()
        if lo.is_valid:
            in_range |= (t >= lo.as_py()) & (t <= hi.as_py())
    cand = np.flatnonzero(mask & valid & in_range & lat_ok & lon_ok & (pidx >= 0))
    sk = (sidx >= 0) & slat_ok & slon_ok
    dup = _in_stored([pidx[cand], t[cand], lat[cand], lon[cand]],
                     [sidx[sk], st[sk], slat[sk], slon[sk]])
    mask[cand[dup]] = False
    return mask
