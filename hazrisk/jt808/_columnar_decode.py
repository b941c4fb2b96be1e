"""The columnar decoding pipeline: compiled kernels in, one Arrow table out.

Used by :mod:`hazrisk.jt808.columnar` (the public API and the schema's documentation).
Phases are separate functions so that each one's temporaries are freed before the next.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808 import _columnar_kernels as K
from hazrisk.jt808._columnar_heartbeats import heartbeat_frames, heartbeat_rows
from hazrisk.jt808._columnar_hexlog import NAT, HexLines
from hazrisk.jt808.codec import decode_escaped
from hazrisk.jt808.errors import QUALITY_FLAGS
from hazrisk.jt808.fields import BEIJING, UInt
from hazrisk.jt808.items import ITEMS
from hazrisk.jt808.quality import Limits, limits, location_flags
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import Reassembler
from hazrisk.localtime import TIMEZONE
from hazrisk.validity import check_bits, decoder_flags

TZ = TIMEZONE  # conf [period] timezone: how the instants display, not the wire offset
TS = pa.timestamp("us", tz=TZ)

SCHEMA = pa.schema(
    [
        ("offset", pa.int64()),
        ("msg_id", pa.uint16()),
        ("phone", pa.string()),
        ("serial", pa.uint16()),
        ("version", pa.int16()),
        ("pos_index", pa.int16()),
        ("is_backfill", pa.bool_()),
        ("reassembled", pa.bool_()),
        ("alarm", pa.uint32()),
        ("status", pa.uint32()),
        ("lat_deg", pa.float64()),
        ("lon_deg", pa.float64()),
        ("altitude_m", pa.int16()),
        ("speed_kmh", pa.float64()),
        ("heading_deg", pa.uint16()),
        ("device_time", TS),
        ("mileage_km", pa.float64()),
        ("fuel_l", pa.float64()),
        ("tacho_speed_kmh", pa.float64()),
        ("ext_signal_status", pa.uint32()),
        ("io_status", pa.uint16()),
        ("rssi", pa.uint8()),
        ("gnss_count", pa.uint8()),
        ("adas_alarm_type", pa.uint8()),
        ("adas_alarm_level", pa.uint8()),
        ("dsm_alarm_type", pa.uint8()),
        ("dsm_alarm_level", pa.uint8()),
        ("safety_items", pa.uint8()),
        ("q_invalid_bcd_time", pa.bool_()),
        ("q_lat_out_of_range", pa.bool_()),
        ("q_lon_out_of_range", pa.bool_()),
        ("q_speed_out_of_range", pa.bool_()),
        ("q_heading_out_of_range", pa.bool_()),
        ("q_altitude_out_of_range", pa.bool_()),
    ]
)
RECV_FIELD = pa.field("recv_time", TS)
RECV_SCHEMA = SCHEMA.append(RECV_FIELD)

MSG_LOCATION = 0x0200
MSG_BATCH = 0x0704


#: Additional items with a column of their own (JT/T 808-2019 table 27). Names, widths,
#: scales and accepted lengths come from the scalar codec's table, :data:`items.ITEMS`.
ITEM_COLUMN_IDS: tuple[int, ...] = (0x01, 0x02, 0x03, 0x25, 0x2A, 0x30, 0x31)
#: Active-safety items (T/JSATL12-2017): column prefix -> item id; the ``alarm_type`` and
#: ``level`` fields of every layout of the item.
SAFETY_ITEMS: tuple[tuple[str, int], ...] = (("adas", 0x64), ("dsm", 0x65))
SAFETY_FIELDS: tuple[tuple[str, str], ...] = (("alarm_type", "alarm_type"), ("alarm_level", "level"))
#: Active-safety item ids flagged in ``safety_items``: bit ``k`` for ``SAFETY_ITEM_IDS[k]``
#: (0x64 ADAS, 0x65 DSM, 0x66 TPMS, 0x67 BSD), set when the position carries that item at all
#: (any length). The store re-decodes just those positions' items with the scalar codec.
SAFETY_ITEM_IDS: tuple[int, ...] = (0x64, 0x65, 0x66, 0x67)


@dataclass(frozen=True)
class _ItemColumn:
    column: str
    div: int
    spec: K.ItemSpec


def _item_columns_from_table() -> tuple[tuple[_ItemColumn, ...], tuple[K.ItemSpec, ...]]:
    columns: list[_ItemColumn] = []
    specs: list[K.ItemSpec] = []
    for iid in ITEM_COLUMN_IDS:
        (layout,) = [lay for lay in ITEMS[iid].layouts if lay.standard]
        (fld,) = layout.layout.fields
        assert isinstance(fld, UInt) and layout.match is None
        spec = K.ItemSpec(fld.name, iid, layout.lengths, ((0, fld.width),))
        columns.append(_ItemColumn(fld.name, fld.div, spec))
        specs.append(spec)
    for prefix, iid in SAFETY_ITEMS:
        offsets: set[tuple[tuple[int, int], ...]] = set()
        lengths: set[int] = set()
        for layout in ITEMS[iid].layouts:
            at, where = 0, {}
            for f in layout.layout.fields:
                where[f.name] = (at, f.size)
                at += f.size
            offsets.add(tuple(where[name] for _, name in SAFETY_FIELDS))
            lengths |= layout.lengths
        (fields,) = offsets  # the same head in every variant
        specs.append(K.ItemSpec(prefix, iid, frozenset(lengths), fields))
    return tuple(columns), tuple(specs)


ITEM_COLUMNS, ITEM_SPECS = _item_columns_from_table()
ITEM_TABLES = K.ItemTables.of(ITEM_SPECS, SAFETY_ITEM_IDS)


@dataclass
class StageTimer:
    """CPU seconds per pipeline stage, summed over calls (for ``python -m benchmarks``)."""

    seconds: dict[str, float] = field(default_factory=dict)
    _t: float = 0.0

    def start(self) -> None:
        self._t = time.process_time()

    @staticmethod
    def off() -> StageTimer:
        """A timer that records nothing."""
        return NO_TIMER

    def lap(self, name: str) -> None:
        now = time.process_time()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._t
        self._t = now


class _NoTimer(StageTimer):
    """Does nothing (the default)."""

    def start(self) -> None:
        pass

    def lap(self, name: str) -> None:
        pass


NO_TIMER = _NoTimer()


# --------------------------------------------------------------------------------------------
# Core
# --------------------------------------------------------------------------------------------


@dataclass
class Decoded:
    table: pa.Table
    cut: int  # byte position from which more input is needed (-1: none)
    flags: npt.NDArray[np.int64] | None = None  # positions of every 0x7E in the buffer
    #: the heartbeats (:mod:`hazrisk.jt808._columnar_heartbeats`), None when there are none
    heartbeats: pa.Table | None = None
    #: ``[start, end)`` in the buffer of the frames whose rows the table (not the reassembled
    #: groups) and the heartbeats hold, in order
    spans: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None


def empty_table(with_recv: bool = False) -> pa.Table:
    return (RECV_SCHEMA if with_recv else SCHEMA).empty_table()


def decode(
    buf: npt.NDArray[np.uint8],
    base_offset: int = 0,
    bounds: Limits | None = None,
    timer: StageTimer = NO_TIMER,
    *,
    final: bool = True,
    reassembler: Reassembler | None = None,
    capacity: npt.NDArray[np.uint8] | None = None,
    lines: HexLines | None = None,
) -> Decoded:
    """Decode the location reports in ``buf`` (a raw stream, or the payload of hex-log
    ``lines``: then no frame spans two lines and offsets are text offsets).

    ``capacity``: a writable array starting with ``buf`` whose spare room may hold the
    working buffer (saves a copy of ``buf``). ``final=False``: more bytes follow; the frames
    from ``Decoded.cut`` on are left for the next call.
    """
    timer.start()
    bounds = bounds or limits()
    fr = _frames(buf, base_offset, final, reassembler, timer, capacity, lines)
    if fr is None:
        none = np.zeros(0, np.int64)
        return Decoded(empty_table(lines is not None), -1, none, None, (none, none))
    pos = _positions(fr, timer)
    table = _columns(fr, pos, base_offset, bounds, timer, lines)
    return Decoded(_merge(table, fr.extra), fr.cut, fr.flags, fr.heartbeats, _taken(fr, pos))


def _taken(fr: _Frames, pos: K.Positions) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``[start, end)`` of the frames that gave rows: positions (not reassembled groups) and
    heartbeats, in order."""
    mask = np.zeros(fr.all_fs.size, bool)
    mask[fr.ok_idx[pos.owner]] = True
    mask[fr.hb_idx] = True
    idx = np.flatnonzero(mask)
    return fr.all_fs[idx], fr.all_fe[idx] + 1


@dataclass
class _Frames:
    """The ok, unfragmented, unencrypted 0x0200/0x0704 frames of a buffer."""

    ub: npt.NDArray[np.uint8]  # working buffer (raw bytes + unescaped appendix + padding)
    fs: npt.NDArray[np.int64]  # opening flag
    cs: npt.NDArray[np.int64]  # content start in ub
    bs: npt.NDArray[np.int64]  # body start in ub
    be: npt.NDArray[np.int64]  # body end in ub
    msg_id: npt.NDArray[np.uint16]
    v2019: npt.NDArray[np.bool_]
    cut: int  # byte position from which more input is needed (-1: none)
    extra: list[pa.Table]  # rows of reassembled subpackage groups
    flags: npt.NDArray[np.int64]  # every 0x7E of the buffer
    heartbeats: pa.Table | None  # rows of the heartbeat frames
    all_fs: npt.NDArray[np.int64]  # opening flag of every length-consistent frame
    all_fe: npt.NDArray[np.int64]  # its closing flag
    ok_idx: npt.NDArray[np.int64]  # the frames above among them (indices into all_fs)
    hb_idx: npt.NDArray[np.int64]  # the heartbeats with a row among them


def _frames(
    buf: npt.NDArray[np.uint8],
    base_offset: int,
    final: bool,
    reassembler: Reassembler | None,
    timer: StageTimer,
    capacity: npt.NDArray[np.uint8] | None,
    lines: HexLines | None,
) -> _Frames | None:
    # pair the flags like the splitter, unescape, XOR and read the headers: the framing kernels
    fm = F.frame(buf, final=final, capacity=capacity,
                 line_start=None if lines is None else lines.pstart)
    if fm.flags.size == 0:
        return None
    timer.lap("framing")
    msg_id = fm.msg_id
    props = fm.props
    checked = ((msg_id == MSG_LOCATION) | (msg_id == MSG_BATCH)) & (fm.xor == 0)
    fragment = checked & ((props & 0x2000) != 0)
    extra: list[pa.Table] = []
    if fragment.any():  # rare: reassembled by the scalar path, frame by frame
        extra = _reassemble(buf, fm.fs[fragment], fm.fe[fragment], base_offset, reassembler,
                            lines)
    hb = heartbeat_frames(fm)
    ok = checked & ((props & 0x3C00) == 0)  # no subpackage, no encryption
    cs = fm.cs[ok]
    bs = cs + fm.size[ok]
    fr = _Frames(
        ub=fm.ub,
        fs=fm.fs[ok],
        cs=cs,
        bs=bs,
        be=bs + (props[ok] & 0x03FF).astype(np.int64),
        msg_id=msg_id[ok],
        v2019=fm.v2019[ok],
        cut=fm.cut,
        extra=extra,
        flags=fm.flags,
        heartbeats=heartbeat_rows(fm, hb, base_offset, lines),
        all_fs=fm.fs,
        all_fe=fm.fe,
        ok_idx=np.flatnonzero(ok),
        hb_idx=hb,
    )
    timer.lap("header")
    return fr


def _positions(fr: _Frames, timer: StageTimer) -> K.Positions:
    """The positions of the frames that decode whole (0x0704 batches expanded, items walked),
    in (offset, pos_index) order."""
    pos = K.positions(fr.ub, fr.bs, fr.be, fr.msg_id == MSG_BATCH, ITEM_TABLES)
    timer.lap("positions")
    return pos


def _columns(
    fr: _Frames,
    pos: K.Positions,
    base_offset: int,
    bounds: Limits,
    timer: StageTimer,
    lines: HexLines | None,
) -> pa.Table:
    frame = pos.owner
    if frame.size == 0:
        return empty_table(lines is not None)
    ub = fr.ub

    # location block (JT/T 808-2019 table 23)
    loc = K.location(ub, pos.start)
    timer.lap("location")

    # header columns per row
    hd = K.header_rows(ub, frame, fr.fs, fr.cs, fr.v2019, base_offset)
    offset = lines.frame_offsets(fr.fs[frame]) if lines is not None else hd.offset
    cols: dict[str, pa.Array] = {
        "offset": _arr(offset, pa.int64()),
        "msg_id": _arr(fr.msg_id[frame], pa.uint16()),
        "phone": hd.phone,
        "serial": _arr(hd.serial, pa.uint16()),
        "version": _arr(hd.version, pa.int16()),
        "pos_index": _arr(pos.index.astype(np.int16), pa.int16()),
        "is_backfill": _arr(pos.backfill[frame], pa.bool_()),
        "reassembled": _arr(np.zeros(frame.size, bool), pa.bool_()),
        "alarm": _arr(loc.alarm, pa.uint32()),
        "status": _arr(loc.status, pa.uint32()),
        "lat_deg": _arr(loc.lat, pa.float64()),
        "lon_deg": _arr(loc.lon, pa.float64()),
        "altitude_m": _arr(loc.altitude, pa.int16()),
        "speed_kmh": _arr(loc.speed, pa.float64()),
        "heading_deg": _arr(loc.heading, pa.uint16()),
        "device_time": _arr(loc.time_us, TS, loc.time_ok),
    }
    del loc, hd, frame, offset
    timer.lap("header-cols")

    for ic in ITEM_COLUMNS:
        (v,) = pos.values[ic.column]
        cols[ic.column] = _arr(
            v if ic.div == 1 else v / ic.div, SCHEMA.field(ic.column).type, pos.present[ic.column]
        )
    for prefix, _ in SAFETY_ITEMS:
        present = pos.present[prefix]
        for (suffix, _), v in zip(SAFETY_FIELDS, pos.values[prefix], strict=True):
            cols[f"{prefix}_{suffix}"] = _arr(v, pa.uint8(), present)
    cols["safety_items"] = _arr(pos.seen_bits, pa.uint8())
    timer.lap("item-cols")

    # the decoder's informational flags: the one definition (hazrisk.validity.check_bits)
    checked = pa.table({k: cols[k] for k in ("device_time", "lat_deg", "lon_deg", "speed_kmh",
                                             "heading_deg", "altitude_m")})
    for name, flag in decoder_flags(check_bits(checked, bounds)).items():
        cols[name] = _arr(flag, pa.bool_())
    schema = SCHEMA
    if lines is not None:
        recv = lines.recv_us[lines.line_of(fr.fs[pos.owner])]
        cols["recv_time"] = _arr(recv, TS, recv != NAT)
        schema = RECV_SCHEMA
    table = pa.Table.from_arrays([cols[f.name] for f in schema], schema=schema)
    timer.lap("arrow")
    return table


# --------------------------------------------------------------------------------------------
# Subpackages (rare): the scalar path's own reassembly, rows built from its records
# --------------------------------------------------------------------------------------------


def _reassemble(
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    base_offset: int,
    reassembler: Reassembler | None,
    lines: HexLines | None,
) -> list[pa.Table]:
    """Feed subpackage fragments (frames ``buf[s:e+1]``) to the scalar reassembler, as the
    records the scalar reader makes of them (offset, length; receive time from hex logs)."""
    joiner = reassembler if reassembler is not None else Reassembler()
    if lines is not None:
        offsets, lengths, line = lines.frame_spans(starts, ends)
    else:
        offsets, lengths, line = starts + base_offset, ends - starts + 1, None
    done: list[Record] = []
    for k, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        rec = decode_escaped(buf[s + 1 : e].tobytes(), offset=int(offsets[k]), length=int(lengths[k]))
        if lines is not None and line is not None:
            i = int(line[k])
            us = int(lines.recv_us[i])
            rec.recv_time = None if us == NAT else _from_us(us)
            rec.direction = lines.direction(i)
            rec.line = int(lines.line_no[i])
        done.extend(r for r in joiner.feed(rec) if r.status == "ok" and r.body is not None)
    return [records_table(done, with_recv=lines is not None)] if done else []


def _from_us(us: int) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)).astimezone(BEIJING)


def _merge(table: pa.Table, extra: list[pa.Table]) -> pa.Table:
    """Add reassembled rows; at equal offsets they come first (the scalar yields a reassembled
    record right after the fragment completing it, at the offset where the next frame starts)."""
    if not extra:
        return table
    both = pa.concat_tables([*extra, table])
    first = np.concatenate([np.zeros(sum(t.num_rows for t in extra), np.int8), np.ones(table.num_rows, np.int8)])
    order = np.lexsort((both.column("pos_index").to_numpy(), first, both.column("offset").to_numpy()))
    return both.take(pa.array(order))


def records_table(records: list[Record], *, with_recv: bool = False) -> pa.Table:
    """Rows (schema :data:`SCHEMA`, plus ``recv_time``) for the positions of scalar ``ok``
    0x0200/0x0704 records.

    A Python loop over positions: for the few records the scalar path decodes (reassembled
    subpackages), and as a readable statement of how each column relates to the record.
    """
    schema = RECV_SCHEMA if with_recv else SCHEMA
    rows: dict[str, list[Any]] = {f.name: [] for f in schema}
    lim = limits()
    for rec in records:
        body = rec.body or {}
        if "raw_hex" in body:
            continue
        if rec.msg_id == MSG_LOCATION:
            positions = [body]
        elif rec.msg_id == MSG_BATCH:
            positions = list(body.get("positions", []))
        else:
            continue
        for i, pos in enumerate(positions):
            items = pos.get("items", {})
            rows["offset"].append(rec.offset)
            rows["msg_id"].append(rec.msg_id)
            rows["phone"].append(rec.phone)
            rows["serial"].append(rec.serial)
            rows["version"].append(2019 if rec.version == 2019 else 2013)
            rows["pos_index"].append(i)
            rows["is_backfill"].append(rec.msg_id == MSG_BATCH and body.get("batch_type") == 1)
            rows["reassembled"].append(rec.reassembled_from is not None)
            for key in ("alarm", "status", "lat_deg", "lon_deg", "altitude_m", "speed_kmh",
                        "heading_deg", "device_time"):
                rows[key].append(pos[key])
            for ic in ITEM_COLUMNS:
                rows[ic.column].append(items.get(f"0x{ic.spec.item_id:02X}", {}).get(ic.column))
            for prefix, iid in SAFETY_ITEMS:
                item = items.get(f"0x{iid:02X}", {})
                for suffix, key in SAFETY_FIELDS:
                    rows[f"{prefix}_{suffix}"].append(item.get(key))
            rows["safety_items"].append(sum(1 << k for k, iid in enumerate(SAFETY_ITEM_IDS)
                                            if f"0x{iid:02X}" in items))
            flags = location_flags(pos, lim)
            for flag in QUALITY_FLAGS:
                rows[f"q_{flag}"].append(flag in flags)
            if with_recv:
                rows["recv_time"].append(rec.recv_time)
    return pa.Table.from_pydict(rows, schema=schema)


def _arr(values: np.ndarray, typ: pa.DataType, valid: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """A numpy column as an Arrow array, zero-copy where the layouts agree."""
    if typ == pa.bool_():
        return pa.array(values, type=typ)
    values = np.ascontiguousarray(values)
    data = pa.py_buffer(values)
    if valid is None or valid.all():
        return pa.Array.from_buffers(typ, values.size, [None, data])
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(typ, values.size, [bitmap, data], null_count=int(values.size - valid.sum()))


