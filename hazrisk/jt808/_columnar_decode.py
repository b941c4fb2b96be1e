"""The columnar decoding pipeline: compiled kernels in, one Arrow table out.

Used by :mod:`hazrisk.jt808.columnar` (the public API and the schema's documentation) and the
chunked reader (:mod:`hazrisk.jt808.reader`). Phases are separate functions so that each
one's temporaries are freed before the next: framing and headers (:func:`_frames`), the
positions' walk (:func:`_positions`), the columns (:func:`_columns`). The table's schema is
:mod:`~hazrisk.jt808._columnar_schema`'s; subpackaged frames go through the scalar path
(:mod:`~hazrisk.jt808._columnar_records`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808 import _columnar_kernels as K
from hazrisk.jt808._columnar_heartbeats import heartbeat_frames, heartbeat_rows
from hazrisk.jt808._columnar_hexlog import NAT, HexLines
from hazrisk.jt808._columnar_records import merge_reassembled, reassembled_rows
from hazrisk.jt808._columnar_schema import (
    ITEM_COLUMNS,
    ITEM_TABLES,
    MSG_BATCH,
    MSG_LOCATION,
    RECV_SCHEMA,
    SAFETY_FIELDS,
    SAFETY_ITEMS,
    SCHEMA,
    TS,
    empty_table,
)
from hazrisk.jt808._columnar_timer import NO_TIMER, StageTimer
from hazrisk.jt808.quality import Limits, limits
from hazrisk.jt808.stream import Reassembler
from hazrisk.validity import check_bits, decoder_flags


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
    return Decoded(merge_reassembled(table, fr.extra), fr.cut, fr.flags, fr.heartbeats, _taken(fr, pos))


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
        extra = reassembled_rows(buf, fm.fs[fragment], fm.fe[fragment], base_offset, reassembler,
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
