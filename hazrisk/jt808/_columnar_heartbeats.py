"""Heartbeats (0x0002, JT/T 808-2019 §8.3: empty body) for the columnar path.

After locations, heartbeats are the commonest frames of a dump (about a third). The columnar
decoder has already paired every frame like the scalar splitter, unescaped it, checked its XOR
and read its header (:func:`hazrisk.jt808._columnar_framing.frame`); a length-consistent 0x0002 frame
with a right check code, no body, no subpackage or encryption bits and a BCD phone is an
``ok`` record with an empty body for the codec, so its row is read here: frame offset (text
offset in hex logs, as the scalar reader reports it), phone (the wire digits), serial,
version, and from hex logs the line's receive time and direction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808 import _columnar_kernels as K
from hazrisk.jt808._columnar_hexlog import DIRECTIONS, NAT, HexLines

MSG_HEARTBEAT = 0x0002
_TS = pa.timestamp("us", tz="UTC")
I64 = npt.NDArray[np.int64]



def _strings(values: tuple[str | None, ...]) -> pa.StringArray:
    """An Arrow string array built from its buffers (``pa.array`` would import pandas)."""
    sizes = [len(v.encode()) if v is not None else 0 for v in values]
    offsets = np.zeros(len(values) + 1, np.int32)
    np.cumsum(sizes, out=offsets[1:])
    valid = np.packbits(np.array([v is not None for v in values]), bitorder="little")
    data = b"".join(v.encode() for v in values if v is not None)
    return pa.StringArray.from_buffers(len(values), pa.py_buffer(offsets), pa.py_buffer(data),
                                       pa.py_buffer(valid), sum(v is None for v in values))


_DIRECTIONS = _strings(DIRECTIONS)

#: The table's columns (``recv_time`` and ``direction`` for hex logs only).
COLUMNS = ("offset", "phone", "serial", "version", "recv_time", "direction")


def heartbeat_frames(fm: F.Framed) -> I64:
    """Indices (into ``fm``'s frames) of the ``ok`` heartbeats: 0x0002, right check code, no
    body, no subpackage or encryption bits, a BCD phone."""
    hb = np.flatnonzero((fm.msg_id == MSG_HEARTBEAT) & (fm.xor == 0) & ((fm.props & 0xBFFF) == 0))
    if hb.size == 0:
        return hb
    return hb[K.phones_bcd(fm.ub, fm.cs[hb], fm.v2019[hb])]


def heartbeat_rows(fm: F.Framed, hb: I64, base_offset: int, lines: HexLines | None
                   ) -> pa.Table | None:
    """Rows of the heartbeats ``hb`` (:func:`heartbeat_frames`)."""
    if hb.size == 0:
        return None
    hd = K.header_rows(fm.ub, hb, fm.fs, fm.cs, fm.v2019, base_offset)
    fs = fm.fs[hb]
    offset = lines.frame_offsets(fs) if lines is not None else hd.offset
    cols: dict[str, pa.Array] = {
        "offset": pa.Array.from_buffers(pa.int64(), hb.size, [None, pa.py_buffer(
            np.ascontiguousarray(offset, np.int64))]),
        "phone": hd.phone,
        "serial": pa.Array.from_buffers(pa.int32(), hb.size, [None, pa.py_buffer(
            hd.serial.astype(np.int32))]),
        "version": pa.Array.from_buffers(pa.int16(), hb.size, [None, pa.py_buffer(hd.version)]),
    }
    if lines is not None:
        line = lines.line_of(fs)
        us = lines.recv_us[line]
        cols["recv_time"] = pa.array(us, _TS, mask=us == NAT)
        codes = np.ascontiguousarray(lines.dir_code[line], np.int8)
        cols["direction"] = _DIRECTIONS.take(
            pa.Array.from_buffers(pa.int8(), codes.size, [None, pa.py_buffer(codes)]))
    return pa.table(cols)
