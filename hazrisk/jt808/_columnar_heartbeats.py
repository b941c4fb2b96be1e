"""Heartbeats (0x0002, JT/T 808-2019 §8.3: empty body) for the columnar path.

After locations, heartbeats are the commonest frames of a dump (about a third). The columnar
decoder has already paired every frame like the scalar splitter, unescaped it, checked its XOR
and read its header (:mod:`hazrisk.jt808._columnar_framing`); a length-consistent 0x0002 frame
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

#: The table's columns (``recv_time`` and ``direction`` for hex logs only).
COLUMNS = ("offset", "phone", "serial", "version", "recv_time", "direction")


def heartbeat_rows(
    u: F.Unescaped, hd: F.Headers, g: I64, fs: I64, base_offset: int, lines: HexLines | None
) -> pa.Table | None:
    """Rows of the heartbeats among the length-consistent frames ``g`` (indices into the
    candidate arrays of ``u`` and ``hd``; ``fs``: their opening flags in the buffer)."""
    props = hd.props[g]
    hb = (hd.msg_id[g] == MSG_HEARTBEAT) & (u.xor[g] == 0) & ((props & 0xBFFF) == 0)
    if not hb.any():
        return None
    i = g[hb]
    cs = u.cs[i]
    v2019 = hd.v2019[i]
    phone_at = cs + np.where(v2019, 5, 4)
    digits = F.BCD[F.gather_block(u.ub, phone_at, 10)] != 255
    ok = np.where(v2019, digits.all(axis=1), digits[:, :6].all(axis=1))
    if not ok.any():
        return None
    cs, v2019, fs = cs[ok], v2019[ok], fs[hb][ok]
    ser = cs + np.where(v2019, 15, 10)
    cols: dict[str, pa.Array] = {
        "offset": pa.array(lines.frame_offsets(fs) if lines is not None else fs + base_offset,
                           pa.int64()),
        "phone": K.phone_strings(u.ub, cs, v2019 if v2019.any() else None),
        "serial": pa.array(u.ub[ser].astype(np.int32) << 8 | u.ub[ser + 1], pa.int32()),
        "version": pa.array(np.where(v2019, 2019, 2013).astype(np.int16), pa.int16()),
    }
    if lines is not None:
        line = lines.line_of(fs)
        us = lines.recv_us[line]
        cols["recv_time"] = pa.array(us, _TS, mask=us == NAT)
        cols["direction"] = pa.array(np.array(DIRECTIONS, object)[lines.dir_code[line]],
                                     pa.string())
    return pa.table(cols)
