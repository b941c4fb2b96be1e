"""Fixes of whole vehicles in bounded batches, sorted in numpy instead of by the database.

Detection (:func:`hazrisk.safety.pipeline.detect`) and the rates' drift verdicts
(:func:`hazrisk.rates.drift.store_drift`) read the qualified fixes of a range in (vehicle,
GNSS time, ``pos_seq``) order, cut into batches of whole vehicles of about
``batch_positions`` fixes. DuckDB's ``ORDER BY`` over the province-day's 13 M fixes moved
every row through its sort (~8.5 CPU-s, against ~1.3 for reading them unsorted); here the
statement's rows are read unsorted, once, and

1. each string column is coded against dictionaries kept for the whole read (one int32 per
   row; a vehicle's code is its order of first appearance);
2. rows are dealt by vehicle code into ``4 x ceil(rows / batch_positions)`` buckets (every
   vehicle in one bucket), written as compact columns to a temporary folder while the read
   goes on (kept in memory instead when the whole read fits one batch): a folder of its own
   beside DuckDB's ``temp_directory`` of a file database (``<database>.tmp.hazrisk-fixes-*``
   by default: the disk chosen for spills; ~60 bytes a fix, 0.8 GB for the province-day),
   removed when the read ends;
3. consecutive buckets are read back up to about ``batch_positions`` rows, sorted by
   (vehicle code, time, ``pos_seq``) in numpy, and yielded as one Arrow table whose string
   columns are dictionary arrays over the read's dictionaries.

The tables hold the same rows, in the same order within each vehicle, as the sorted
statement cut by :func:`hazrisk.safety.pipeline.vehicle_batches`; vehicles come in the order
of their codes, not of their ids (nothing downstream depends on the vehicle order). The
memory held is one read batch, one output batch and the dictionaries: bounded by the
configuration, not by the fleet or the period. Booleans read NULL as false (what the track
does with them); integer columns must have no NULL.

The statement is the sorted one (its ``ORDER BY`` documents the order this module produces);
:func:`unsorted` drops that last clause, and refuses a statement ending otherwise.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.sqlfiles import SqlFolder

#: The order every caller's statement ends with (the columns are those of its SELECT).
ORDER = "ORDER BY p.vehicle_id, p.device_time, p.pos_seq"
READ_ROWS = 262_144
BUCKETS_PER_BATCH = 4


def unsorted(sql: str, order: str = ORDER) -> str:
    """``sql`` without its final ``order`` clause (a ``;`` after it is allowed)."""
    body = re.sub(r"\s*;?\s*$", "", sql)
    if not body.endswith(order):
        raise ValueError(f"statement does not end with {order!r}")
    return body[: -len(order)].rstrip()


@dataclass
class _Column:
    """How one column of the statement is carried: strings as codes, the rest as numbers."""

    name: str
    dtype: np.dtype[Any]
    codes: dict[str, int] | None = None   # strings: the read's dictionary
    values: list[str] = field(default_factory=list)
    known: pa.Array | None = None

    def encode(self, col: pa.Array) -> np.ndarray:
        if self.codes is None:
            return _numbers(col, self.dtype, self.name)
        enc = pc.dictionary_encode(col)
        local = enc.dictionary
        pos = (pc.index_in(local, value_set=self.known) if self.known is not None
               else pa.nulls(len(local), pa.int32()))
        glob = np.asarray(pos.to_numpy(zero_copy_only=False), dtype=np.float64)
        new = np.flatnonzero(np.isnan(glob))
        for i in new.tolist():  # strings first seen here
            s = local[i].as_py()
            glob[i] = self.codes.setdefault(s, len(self.codes))
            if glob[i] == len(self.values):
                self.values.append(s)
        if new.size:
            self.known = pa.array(self.values, pa.string())
        idx = enc.indices.to_numpy(zero_copy_only=False)
        idx = np.asarray(idx, dtype=np.float64)
        nulls = np.isnan(idx)
        out = np.where(nulls, -1, glob[np.where(nulls, 0, idx).astype(np.int64)] if len(glob)
                       else -1)
        return np.asarray(out, dtype=np.int32)

    def arrow(self, data: np.ndarray) -> pa.Array:
        if self.codes is None:
            return pa.array(data.view(np.bool_) if self.dtype == np.uint8 else data)
        mask = data < 0
        return pa.DictionaryArray.from_arrays(
            pa.array(data, pa.int32(), mask=mask if mask.any() else None),
            pa.array(self.values, pa.string()))


def _numbers(col: pa.Array, dtype: np.dtype[Any], name: str) -> np.ndarray:
    if dtype == np.uint8:
        return np.asarray(pc.fill_null(col, False).to_numpy(zero_copy_only=False),
                          dtype=np.uint8)
    if col.null_count and dtype.kind in "iu":
        raise ValueError(f"column {name}: NULL in an integer column")
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=dtype)


def _column_of(name: str, typ: pa.DataType) -> _Column:
    if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return _Column(name, np.dtype(np.int32), codes={})
    if pa.types.is_boolean(typ):
        return _Column(name, np.dtype(np.uint8))
    if pa.types.is_integer(typ):
        return _Column(name, np.dtype(np.int64))
    if pa.types.is_floating(typ):
        return _Column(name, np.dtype(np.float64))
    raise TypeError(f"column {name}: type {typ} not carried")


def spill_place(con: duckdb.DuckDBPyConnection) -> tuple[Path | None, str]:
    """Where the buckets are written: beside DuckDB's ``temp_directory`` of a file database
    (its folder, ``<database>.tmp`` by default: the disk chosen for spills), in a folder of
    our own named after it; the system's temporary folder for an in-memory database or when
    that folder is missing. (folder, name prefix)."""
    rows = SqlFolder("hazrisk").run(con, "fix_batches", "spill_folder").fetchall()
    path, temp = rows[0] if rows else (None, "")
    if not path or not temp:
        return None, "hazrisk-fixes-"
    where = Path(os.path.abspath(str(temp)))
    if not where.parent.is_dir():
        return None, "hazrisk-fixes-"
    return where.parent, f"{where.name}.hazrisk-fixes-"


class _Buckets:
    """Rows dealt to buckets by vehicle code, in memory or in files under ``parent``."""

    def __init__(self, columns: list[_Column], n_buckets: int, spill: bool,
                 place: tuple[Path | None, str] = (None, "hazrisk-fixes-")) -> None:
        self.columns = columns
        self.n = n_buckets
        self.rows = np.zeros(n_buckets, dtype=np.int64)
        self.blocks: list[list[list[np.ndarray]]] = [[] for _ in range(n_buckets)]
        parent, prefix = place
        self.folder: tempfile.TemporaryDirectory[str] | None = (
            tempfile.TemporaryDirectory(prefix=prefix,
                                        dir=str(parent) if parent is not None else None)
            if spill else None)
        self.sizes: list[list[int]] = [[] for _ in range(n_buckets)]

    def add(self, cols: list[np.ndarray], bucket: np.ndarray) -> None:
        order = np.argsort(bucket.astype(np.uint16), kind="stable")  # a radix sort
        bounds = np.searchsorted(bucket[order], np.arange(self.n + 1))
        cols = [c[order] for c in cols]
        for b in np.flatnonzero(np.diff(bounds)).tolist():
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            part = [c[lo:hi] for c in cols]
            self.rows[b] += hi - lo
            if self.folder is None:
                self.blocks[b].append(part)
                continue
            with open(self._path(b), "ab") as f:
                for c in part:
                    f.write(np.ascontiguousarray(c).data)
            self.sizes[b].append(hi - lo)

    def _path(self, b: int) -> str:
        assert self.folder is not None
        return os.path.join(self.folder.name, f"{b}.bin")

    def take(self, buckets: list[int]) -> list[np.ndarray]:
        """The rows of ``buckets`` (then forgotten), one array per column."""
        parts: list[list[np.ndarray]] = [[] for _ in self.columns]
        for b in buckets:
            if self.folder is None:
                for block in self.blocks[b]:
                    for k, c in enumerate(block):
                        parts[k].append(c)
                self.blocks[b] = []
                continue
            path = Path(self._path(b))
            if not path.exists():
                continue
            raw = np.fromfile(path, dtype=np.uint8)
            path.unlink()
            pos = 0
            for n in self.sizes[b]:
                for k, col in enumerate(self.columns):
                    size = n * col.dtype.itemsize
                    parts[k].append(raw[pos:pos + size].view(col.dtype))
                    pos += size
        return [np.concatenate(p) if p else np.zeros(0, c.dtype)
                for p, c in zip(parts, self.columns, strict=True)]

    def close(self) -> None:
        if self.folder is not None:
            self.folder.cleanup()


def _order(vehicle: np.ndarray, t: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """``np.lexsort((seq, t, vehicle))``: one sort of a (vehicle code, time) key, then the
    rare runs of equal keys put in ``seq`` order (codes >= 0: the read's dictionary)."""
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    t_min = int(t.min())
    if int(t.max()) - t_min >= 1 << 40 or int(vehicle.max()) >= 1 << 23 or vehicle.min() < 0:
        return np.lexsort((seq, t, vehicle))
    from hazrisk.fix_batch_kernels import ties_by_seq  # Numba, on first use

    key = (vehicle.astype(np.int64) << 40) | (t - t_min)
    order = np.argsort(key)
    ties_by_seq(key, seq, order)
    return order


def whole_vehicle_batches(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any],
                          batch_positions: int, *, vehicle: str = "vehicle_id",
                          time: str = "t_us", seq: str = "pos_seq") -> Iterator[pa.Table]:
    """The rows of the sorted statement ``sql`` as tables of whole vehicles of about
    ``batch_positions`` rows, each sorted by (``vehicle``, ``time``, ``seq``) (module
    docstring). ``params`` are bound as the statement's."""
    text = unsorted(sql)
    rel = con.sql(text, params=params)
    total = int(rel.aggregate("count(*)").fetchall()[0][0])
    if total == 0:
        return
    per = max(int(batch_positions), 1)
    n_batches = max(1, math.ceil(total / per))
    n_buckets = 1 if n_batches == 1 else min(BUCKETS_PER_BATCH * n_batches, 1 << 16)
    place = spill_place(con) if n_buckets > 1 else (None, "")
    reader = con.sql(text, params=params).to_arrow_reader(batch_size=READ_ROWS)
    columns = [_column_of(f.name, f.type) for f in reader.schema]
    names = [c.name for c in columns]
    iv, it, iq = names.index(vehicle), names.index(time), names.index(seq)
    buckets = _Buckets(columns, n_buckets, spill=n_buckets > 1, place=place)
    try:
        for rb in reader:
            if rb.num_rows == 0:
                continue
            cols = [c.encode(rb.column(k)) for k, c in enumerate(columns)]
            buckets.add(cols, (cols[iv] % n_buckets) if n_buckets > 1
                        else np.zeros(rb.num_rows, dtype=np.int64))
        del reader
        group: list[int] = []
        rows = 0
        for b in range(n_buckets):
            group.append(b)
            rows += int(buckets.rows[b])
            if rows >= per or b == n_buckets - 1:
                if rows:
                    cols = buckets.take(group)
                    order = _order(cols[iv], cols[it], cols[iq])
                    yield pa.table({c.name: c.arrow(a[order])
                                    for c, a in zip(columns, cols, strict=True)})
                group, rows = [], 0
    finally:
        buckets.close()
