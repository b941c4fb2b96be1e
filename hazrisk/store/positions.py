"""Appending decoded positions (deduplicated) with their alarms and active-safety events.

Input is the columnar decoder's Arrow table (:data:`hazrisk.jt808.columnar.SCHEMA`, plus an
optional ``recv_time``) for one chunk of one file. Per chunk, in the caller's transaction:

1. stage (numpy/Arrow, where the file is decoded): ``pos_seq`` = ``file_id << 36`` + row number
   in the file, the data-qualification bits (:mod:`hazrisk.validity`) in ``quality_flags``, the phone
   dictionary-encoded, terminals resolved (:class:`~hazrisk.store.resolve.Assigner`), dedup
   inside the chunk (64-bit key hash, exact ``lexsort`` check of the colliding rows; the first
   row kept), the rows put in append order (:func:`order_and_clusters`: device time, then
   ``pos_seq``; untimed rows last);
2. dedup against stored positions (:func:`hazrisk.store.dedup.store_mask`): the keys of the stored rows of each
   of the chunk's device-time spans (zone maps limit the scan to the row groups of that
   span, kept tight by the append order) are fetched and matched in numpy (hash, then exact);
3. the kept rows filtered by DuckDB while appending (a chunk staged elsewhere and out of
   order is taken in order by one Arrow ``take``) by one ``INSERT ... SELECT``, whole row
   groups at a time (the rest held for the next chunk); derive
   ``store.alarms`` (one row per set alarm bit) and ``store.safety_events`` (0x64-0x67 items)
   from the stored copies (a row stored now is its own copy; only a dropped duplicate is
   looked up, in ``store.positions`` and the file's rows held back to whole row groups,
   :mod:`hazrisk.store.row_groups`). The decoder's ``safety_items`` bitmask says which
   positions carry which active-safety items; the items 0x64-0x67 of those few positions
   come decoded in full from where the file was decoded (``items_for``:
   :mod:`hazrisk.jt808.safety_items`, or the codec's records), the ADAS/DSM type and level
   from the fast path's own columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.jt808.columnar import SAFETY_ITEM_IDS
from hazrisk.jt808.record import jsonable
from hazrisk.sqlfiles import SqlFolder, registered
from hazrisk.store.dedup import as_array, column_np, first_of_duplicates, store_mask
from hazrisk.store.names import ALARM_BITS, SAFETY_SYSTEMS
from hazrisk.store.resolve import Assigner, term_keys
from hazrisk.store.row_groups import RowGroupCarry
from hazrisk.validity import Validity, check_bits

FILE_SEQ_SHIFT = 36  # up to 2**36 positions per file, 2**27 files


_TS = pa.timestamp("us", tz="UTC")
#: Staged columns -> Arrow type (a fixed whitelist used to build SQL).
STAGE_TYPES: dict[str, pa.DataType] = {
    "pos_seq": pa.int64(), "terminal_phone": pa.dictionary(pa.int32(), pa.string()),
    "device_time": _TS, "recv_time": _TS, "lat_deg": pa.float64(), "lon_deg": pa.float64(),
    "altitude_m": pa.int32(), "speed_kmh": pa.float64(), "tacho_speed_kmh": pa.float64(),
    "heading_deg": pa.int32(), "mileage_km": pa.float64(), "fuel_l": pa.float64(),
    "rssi": pa.int32(), "gnss_count": pa.int32(), "alarm": pa.uint32(), "status": pa.uint32(),
    "is_backfill": pa.bool_(), "msg_id": pa.int32(), "serial": pa.int32(),
    "version": pa.int16(), "pos_index": pa.int32(), "quality_flags": pa.uint16(),
    "source_file_id": pa.int32(), "source_offset": pa.int64(),
    "adas_alarm_type": pa.int32(), "adas_alarm_level": pa.int32(),
    "dsm_alarm_type": pa.int32(), "dsm_alarm_level": pa.int32(), "safety_items": pa.uint8(),
}
_EXTRA = ("adas_alarm_type", "adas_alarm_level", "dsm_alarm_type", "dsm_alarm_level",
          "safety_items")
_RENAME = {"phone": "terminal_phone", "offset": "source_offset"}
#: store.positions columns, in table order.
FACT_COLUMNS: tuple[str, ...] = (
    "pos_seq", "term_key", "assign_key", "device_time",
    "recv_time", "lat_deg", "lon_deg", "altitude_m", "speed_kmh", "tacho_speed_kmh",
    "heading_deg", "mileage_km", "fuel_l", "rssi", "gnss_count", "alarm", "status",
    "is_backfill", "msg_id", "serial", "version", "pos_index", "quality_flags",
    "source_file_id", "source_offset",
)
_FROM_STAGE = tuple(c for c in FACT_COLUMNS if c in STAGE_TYPES)
#: The named statements of ``sql/ingest/positions.sql``.
SQL = SqlFolder("hazrisk.store", "sql/ingest").statements("positions")
#: The positions' name in a file's :class:`~hazrisk.store.row_groups.RowGroupCarry`.
HELD = "store.positions"
#: No held positions (the statements that look up kept copies read ``_held_positions`` too):
#: an empty table of the staged rows' columns, as a carry holds them.
_NO_HELD = pa.schema([*((c, STAGE_TYPES[c]) for c in _FROM_STAGE), ("term_key", pa.int32()),
                      ("assign_key", pa.int32()), ("_append", pa.bool_())]).empty_table()

#: Device times of a chunk are cut where they jump by more than this (a backfill of yesterday
#: next to today's live data): each span gets its own anti-join, whose scan of stored
#: positions is then limited by zone maps to the row groups of that span.
CLUSTER_GAP_US = 3600 * 1_000_000


def order_and_clusters(staged: pa.Table) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """(append order, time spans) of a staged chunk.

    Append order: valid device times ascending (ties in ``pos_seq`` order), then the
    rows without one, so zone maps on device_time stay tight (the rows :func:`stage_table`
    returns are in this order already: the check is one pass). Time spans:
    ``[{"tmin", "tmax"}]`` covering the valid device times, cut where they jump by more than
    CLUSTER_GAP_US."""
    dt = staged.column("device_time")
    valid = np.asarray(pc.is_valid(dt).to_numpy(zero_copy_only=False), bool)
    t = np.asarray(pc.fill_null(dt.cast(pa.int64()), 0).to_numpy(zero_copy_only=False),
                   np.int64)
    timed = np.flatnonzero(valid)
    tv = t[timed]
    if tv.size > 1 and not bool(np.all(tv[1:] >= tv[:-1])):
        by_time = np.argsort(tv, kind="stable")  # ties stay in row (= pos_seq) order
        timed = timed[by_time]
        tv = tv[by_time]
    order = np.concatenate([timed, np.flatnonzero(~valid)]).astype(np.int64)
    if tv.size == 0:
        return order, []
    cut = np.flatnonzero(np.diff(tv) > CLUSTER_GAP_US)
    lo = np.concatenate([[0], cut + 1])
    hi = np.concatenate([cut, [tv.size - 1]])
    typ = pa.timestamp("us", tz="UTC")
    clusters = [{"tmin": pa.scalar(int(tv[a]), typ).as_py(),
                 "tmax": pa.scalar(int(tv[b]), typ).as_py()}
                for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
    return order, clusters


_ALARM_NAMES = pa.table(
    {"bit": pa.array(list(ALARM_BITS), pa.int64()), "alarm_name": list(ALARM_BITS.values())}
)

#: Given (source_offset, pos_index) of positions with safety items, their decoded items keyed
#: by item id (0x64 ...): the scalar decoder's full view of those few frames.
ItemLookup = Callable[[list[tuple[int, int]]], dict[tuple[int, int], dict[int, dict[str, Any]]]]


@dataclass
class ChunkResult:
    decoded: int
    stored: int
    alarms: int
    safety_events: int


def safety_bits(table: pa.Table) -> np.ndarray:
    """``safety_items`` (0 when null); a table without it: the ADAS/DSM bits from its columns."""
    if "safety_items" in table.column_names:
        return column_np(table, "safety_items", np.uint8)
    bits = np.zeros(table.num_rows, np.uint8)
    for bit, name in enumerate(("adas_alarm_type", "dsm_alarm_type")):
        if name in table.column_names:
            valid = np.asarray(pc.is_valid(table.column(name)).to_numpy(zero_copy_only=False), bool)
            bits |= valid.astype(np.uint8) << np.uint8(bit)
    return bits


def stage_table(
    table: pa.Table,
    *,
    file_id: int,
    first_row: int,
    assigner: Assigner | None = None,
    fallback_time: datetime | None = None,
    validity: Validity | None = None,
) -> pa.Table:
    """The decoder's table as ``_staged_positions``: ``STAGE_TYPES`` columns (fixed types),
    the resolved ``assign_key`` (:class:`~hazrisk.store.resolve.Assigner`) and ``_keep`` (first of its
    duplicates inside the chunk). ``quality_flags``: :func:`hazrisk.validity.check_bits` under
    ``validity`` (default: the default rules')."""
    n = table.num_rows
    names = set(table.column_names)
    base = (file_id << FILE_SEQ_SHIFT) + first_row
    made: dict[str, Any] = {
        "pos_seq": pa.array(np.arange(base, base + n, dtype=np.int64)),
        "quality_flags": pa.array(np.zeros(n, np.uint16)),  # set below, from the staged fields
        "source_file_id": pa.array(np.full(n, file_id, np.int32)),
        "terminal_phone": pc.dictionary_encode(table.column("phone")),
        "safety_items": pa.array(safety_bits(table)),
    }
    arrays = []
    for c, typ in STAGE_TYPES.items():
        src = next((k for k, v in _RENAME.items() if v == c), c)
        if c in made:
            arr = made[c]
        elif src in names:
            arr = table.column(src)
        else:
            arr = pa.nulls(n, typ)
        if isinstance(arr, pa.ChunkedArray):
            arr = as_array(arr)
        if not arr.type.equals(typ):
            arr = pc.cast(arr, typ)
        arrays.append(arr)
    staged = pa.Table.from_arrays(arrays, names=list(STAGE_TYPES))
    flags = check_bits(staged, validity or Validity.from_rules())
    staged = staged.set_column(staged.schema.get_field_index("quality_flags"), "quality_flags",
                               pa.array(flags))
    t = as_array(staged.column("device_time"))
    r = as_array(staged.column("recv_time"))
    when = pc.coalesce(t, r)
    if fallback_time is not None:  # noon of the dump's day (resolve.FALLBACK_SQL)
        when = pc.fill_null(when, pa.scalar(fallback_time, _TS))
    t_valid = np.asarray(when.is_valid().to_numpy(zero_copy_only=False), bool)
    t_us = np.asarray(pc.fill_null(when.cast(pa.int64()), 0).to_numpy(zero_copy_only=False))
    phone = as_array(staged.column("terminal_phone"))
    staged = staged.append_column(
        "assign_key", (assigner or Assigner.empty()).resolve(phone, t_us, t_valid))
    staged = staged.append_column("_keep", pa.array(first_of_duplicates(staged)))
    # the rows in append order (sorted here, where the file is decoded, not by the writer)
    order, _ = order_and_clusters(staged)
    if bool(np.any(order != np.arange(order.size))):
        staged = staged.take(pa.array(order))
    return staged




def with_term_keys(con: duckdb.DuckDBPyConnection, staged: pa.Table,
                   known: dict[str, int] | None = None) -> pa.Table:
    """``staged`` with ``term_key`` (INT32): the phones of its dictionary get their
    ``store.terminals`` keys (:func:`~hazrisk.store.resolve.term_keys`; new phones are added,
    in the caller's transaction), looked up only for phones not in ``known`` (a cache the caller keeps across the chunks of a
    file; updated here); the rows take theirs through the dictionary indices."""
    if "term_key" in staged.column_names:
        return staged
    phone = as_array(staged.column("terminal_phone"))
    if not pa.types.is_dictionary(phone.type):
        phone = pc.dictionary_encode(phone)
    cache = {} if known is None else known
    names = phone.dictionary.to_pylist()
    todo = [w for w in names if w not in cache]
    if todo:
        cache.update(term_keys(con, todo))
    lut = np.fromiter((cache[w] for w in names), np.int32, len(names))
    idx = np.asarray(pc.fill_null(phone.indices, 0).to_numpy(zero_copy_only=False), np.int64)
    missing = None if phone.null_count == 0 else np.asarray(
        pc.is_null(phone).to_numpy(zero_copy_only=False), bool)
    return staged.append_column("term_key", pa.array(lut[idx], pa.int32(), mask=missing))


def append_positions(
    con: duckdb.DuckDBPyConnection,
    staged: pa.Table,
    *,
    items_for: ItemLookup | None = None,
    terminals: dict[str, int] | None = None,
    carry: RowGroupCarry | None = None,
) -> ChunkResult:
    """Deduplicate and append one staged chunk (see the module docstring); ``terminals``:
    a phone -> ``term_key`` cache kept across the chunks of one file (:func:`with_term_keys`);
    ``carry``: the file's rows held back to whole row groups (:mod:`hazrisk.store.row_groups`;
    the held positions count as stored for the duplicate checks, alarms and events)."""
    n = staged.num_rows
    if n == 0:
        return ChunkResult(0, 0, 0, 0)
    staged = with_term_keys(con, staged, terminals)
    order, clusters = order_and_clusters(staged)
    alarms = events = 0
    appended = store_mask(con, staged, clusters,
                          held=carry.get(HELD) if carry is not None else None)
    rows = order[appended[order]]
    stored = int(rows.size)
    if stored:
        out = staged.select([*_FROM_STAGE, "term_key", "assign_key"])
        if bool(np.all(rows[1:] > rows[:-1])):  # already in append order: DuckDB filters
            out = out.append_column("_append", pa.array(appended))
        else:  # one take sorts and filters
            out = out.take(pa.array(rows)).append_column(
                "_append", pa.array(np.ones(stored, dtype=bool)))
        if carry is not None:
            out = carry.split(HELD, out, counted="_append")
        insert_staged(con, out)
    held = carry.get(HELD) if carry is not None else None
    with registered(con, "_staged_positions", staged), \
            registered(con, "_held_positions", held if held is not None else _NO_HELD):
        has_alarm = pc.any(pc.not_equal(staged.column("alarm"), 0)).as_py()
        has_item = pc.any(pc.not_equal(staged.column("safety_items"), 0)).as_py()
        if has_alarm or has_item:
            flagged = np.asarray(pc.or_(
                pc.not_equal(staged.column("alarm"), 0),
                pc.not_equal(staged.column("safety_items"), 0)).to_numpy(
                    zero_copy_only=False), bool)
            cols = ["pos_seq", "term_key", "device_time", "lat_deg", "lon_deg",
                    "alarm", "source_file_id", "source_offset"]
            con.execute(SQL["kept_create"])
            con.execute(SQL["kept_positions"])
            with registered(con, "_kept_rows",
                            staged.select(cols).filter(pa.array(flagged & appended))):
                con.execute(SQL["kept_self"])
            dropped = flagged & ~appended  # duplicates (untimed rows are always appended)
            if dropped.any():
                with registered(con, "_dropped", staged.select(cols).filter(pa.array(dropped))):
                    for tr in clusters:
                        con.execute(SQL["kept_timed"], tr)
            kept = con.execute(SQL["kept_bounds"]).fetchall()[0]
            bounds = {"lo": kept[0], "hi": kept[1]}
            if has_alarm and kept[0] is not None:
                with registered(con, "_alarm_names", _ALARM_NAMES):
                    alarms = _insert_self_alarms(con, staged, appended)
                    if (dropped & (column_np(staged, "alarm", np.uint32) != 0)).any():
                        alarms += int(con.execute(SQL["insert_alarms"], bounds).fetchall()[0][0])
            if has_item and kept[0] is not None:
                events = _insert_safety_events(con, staged, items_for, bounds)
            con.execute(SQL["kept_drop"])
            con.execute(SQL["kept_positions_drop"])
    return ChunkResult(n, stored, alarms, events)


def insert_staged(con: duckdb.DuckDBPyConnection, out: pa.Table) -> None:
    """Append staged rows (``_FROM_STAGE`` + ``term_key``, ``assign_key``, ``_append``): those
    marked ``_append``, in the table's order."""
    if out.num_rows:
        with registered(con, "_staged_positions", out):
            con.execute(SQL["insert_positions"])


def _insert_self_alarms(con: duckdb.DuckDBPyConnection, staged: pa.Table,
                        appended: np.ndarray) -> int:
    """One ``store.alarms`` row per set bit of the alarm words of the rows appended now."""
    word = column_np(staged, "alarm", np.uint32)
    rows = np.flatnonzero(appended & (word != 0))
    if rows.size == 0:
        return 0
    bits = (word[rows, None] >> np.arange(32, dtype=np.uint32)) & 1
    r, b = np.nonzero(bits)
    sel = staged.select(["pos_seq", "term_key", "assign_key", "device_time", "lat_deg",
                         "lon_deg", "speed_kmh", "is_backfill", "source_file_id",
                         "source_offset"]).take(pa.array(rows[r]))
    with registered(con, "_self_alarms", sel.append_column("bit", pa.array(b.astype(np.int64)))):
        return int(con.execute(SQL["insert_self_alarms"]).fetchall()[0][0])


def _insert_safety_events(
    con: duckdb.DuckDBPyConnection,
    staged: pa.Table,
    items_for: ItemLookup | None,
    bounds: dict[str, Any],
) -> int:
    """One row per active-safety item, attached to the kept copy of its position; the same
    item seen again (a duplicate frame) is stored once."""
    has = pc.not_equal(staged.column("safety_items"), 0)
    if not pc.any(has).as_py():
        return 0
    cand_t = staged.filter(has).select(
        ["pos_seq", "source_offset", "pos_index", *_EXTRA])
    cand = cand_t.to_pylist()
    details = items_for([(r["source_offset"], r["pos_index"]) for r in cand]) if items_for else {}
    rows: dict[str, list[Any]] = {k: [] for k in (
        "pos_seq", "item_id", "system", "alarm_id", "alarm_type", "alarm_level",
        "flag_status", "event_time", "item_json")}

    def add(pos_seq: int, item_id: int, system: str, typ: Any, lvl: Any,
            item: dict[str, Any]) -> None:
        rows["pos_seq"].append(pos_seq)
        rows["item_id"].append(item_id)
        rows["system"].append(system)
        rows["alarm_id"].append(_int_or_none(item.get("alarm_id")))
        rows["alarm_type"].append(typ)
        rows["alarm_level"].append(lvl)
        rows["flag_status"].append(_int_or_none(item.get("flag")))
        rows["event_time"].append(_event_time(item))
        rows["item_json"].append(_json(item) if item else None)

    for r in cand:
        full = details.get((r["source_offset"], r["pos_index"]), {})
        for bit, item_id in enumerate(SAFETY_ITEM_IDS):
            if not (r["safety_items"] >> bit) & 1:
                continue
            system = SAFETY_SYSTEMS[item_id]
            item = full.get(item_id) or {}
            typ = r.get(f"{system}_alarm_type")
            if typ is not None:  # ADAS/DSM of a length the fast path reads: its columns
                lvl = r[f"{system}_alarm_level"]
            else:  # TPMS/BSD, or a length the table does not give the item (raw_hex)
                typ, lvl = _int_or_none(item.get("alarm_type")), _int_or_none(item.get("level"))
            add(r["pos_seq"], item_id, system, typ, lvl, item)
    ev = pa.table({
        "pos_seq": pa.array(rows["pos_seq"], pa.int64()),
        "item_id": pa.array(rows["item_id"], pa.int32()),
        "system": pa.array(rows["system"], pa.string()),
        "alarm_id": pa.array(rows["alarm_id"], pa.int64()),
        "alarm_type": pa.array(rows["alarm_type"], pa.int32()),
        "alarm_level": pa.array(rows["alarm_level"], pa.int32()),
        "flag_status": pa.array(rows["flag_status"], pa.int32()),
        "event_time": pa.array(rows["event_time"], _TS),
        "item_json": pa.array(rows["item_json"], pa.string()),
    })
    with registered(con, "_events", ev):
        (n,) = con.execute(SQL["insert_safety_events"], bounds).fetchall()[0]
    return int(n)


def _int_or_none(v: Any) -> int | None:
    try:
        return None if v is None else int(v)
    except (TypeError, ValueError):
        return None


def _event_time(item: dict[str, Any]) -> Any:
    """The alarm-identification time (报警标识号时间), else the item's own alarm time."""
    for key in ("time", "alarm_time"):
        v = item.get(key)
        if isinstance(v, datetime) and v.tzinfo is not None:
            return v
    return None


def _json(item: dict[str, Any]) -> str:
    return json.dumps(jsonable(item), ensure_ascii=False)
