"""numpy framing kernels of :mod:`hazrisk.jt808.columnar`: flags, escapes, check codes, headers.

Every function works on whole arrays (a buffer of bytes, arrays of frame indices); none
loops over frames. The gather helpers are shared with :mod:`._columnar_kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

FLAG = 0x7E
ESC = 0x7D
#: Zero bytes appended after the working buffer so that fixed-width gathers never go out of
#: bounds (the largest fixed gather is the 28-byte location block).
PAD = 64
_EMPTY_I64: I64 = np.zeros(0, np.int64)


def as_u8(data: bytes | bytearray | memoryview | np.ndarray) -> U8:
    """A zero-copy uint8 view of ``data``."""
    if isinstance(data, np.ndarray):
        return data.view(np.uint8).reshape(-1)
    return np.frombuffer(data, dtype=np.uint8)


def _be_view(ub: U8, dtype: str) -> np.ndarray:
    """``ub`` seen as overlapping big-endian words at every byte offset (stride 1)."""
    size = np.dtype(dtype).itemsize
    return np.ndarray((max(ub.size - size + 1, 0),), dtype=dtype, buffer=ub, strides=(1,))


def be16(ub: U8, idx: I64) -> npt.NDArray[np.uint16]:
    return _be_view(ub, ">u2")[idx].astype(np.uint16)


def be32(ub: U8, idx: I64) -> npt.NDArray[np.uint32]:
    return _be_view(ub, ">u4")[idx].astype(np.uint32)


def gather_block(ub: U8, idx: I64, width: int) -> U8:
    """Rows of ``width`` bytes starting at each ``idx`` (an ``(len(idx), width)`` copy)."""
    if idx.size == 0:
        return np.zeros((0, width), np.uint8)
    return np.ascontiguousarray(sliding_window_view(ub, width)[idx])


def gather_rows(buf: U8, idx: I64, width: int) -> U8:
    """Like :func:`gather_block` on an unpadded buffer: rows running past the end are padded
    with zeros."""
    n = buf.size
    late = idx + width > n
    if not late.any():
        return gather_block(buf, idx, width)
    out = np.empty((idx.size, width), np.uint8)
    out[~late] = gather_block(buf, idx[~late], width)
    lo = max(n - width, 0)
    tail = np.concatenate([buf[lo:], np.zeros(width, np.uint8)])
    out[late] = gather_block(tail, idx[late] - lo, width)
    return out


# --------------------------------------------------------------------------------------------
# Framing
# --------------------------------------------------------------------------------------------


def candidate_pairs(flags: I64, max_span: int) -> I64:
    """Indices ``k`` of consecutive flags ``(flags[k], flags[k+1])`` that can hold a frame:
    something between them and no farther apart than ``max_span``."""
    gaps = np.diff(flags)
    return np.flatnonzero((gaps > 1) & (gaps <= max_span))


@dataclass
class Split:
    """Frames found by :func:`split`."""

    good: I64  # flag index k of every length-consistent frame (flags[k] .. flags[k+1])
    cut: int  # flag index from which more bytes are needed (-1: nothing pending)


def split(possible: B, cons: B, *, final: bool = True, room_after_last: bool = False) -> Split:
    """Pair flags into frames exactly like :func:`hazrisk.jt808.framing.split_frames`.

    For the ``n`` flags of a buffer, ``possible[k]`` and ``cons[k]`` (``k < n - 1``) say
    whether the bytes between flags ``k`` and ``k+1`` could be a frame (not adjacent, not
    longer than the longest frame) and whether they are length-consistent. An opening flag
    ``i`` closes its frame at ``i+1`` when ``possible[i]`` and (``cons[i]`` or not
    ``cons[i+1]``); otherwise flag ``i+1`` opens instead (rules 1, 2 and the rule-4 resync).
    After a closing flag the next flag opens.

    The splitter's state at each flag composes two maps (``swap`` where flag ``i`` would
    close, ``reset to open`` elsewhere), solved with one running maximum instead of a loop.

    With ``final=False`` (more bytes may follow) only the pair after the last flag is unknown.
    When the decision at the second-to-last flag depends on it (rule 4), frames from that
    flag on are left out and its index is returned as ``cut``; otherwise ``cut`` is the last
    flag when it opens a frame. ``room_after_last``: more than the longest frame follows the
    last flag, so that pair is known to be impossible and all is decided.
    """
    m = cons.size
    n = m + 1
    pending = not final and not room_after_last
    if m == 0:
        return Split(_EMPTY_I64, 0 if pending else -1)
    cons_next = np.zeros(m, bool)
    cons_next[:-1] = cons[1:]
    closes = possible & (cons | ~cons_next)
    if n % 2 == 0 and closes[0::2].all():  # the usual case: open, close, open, close ...
        opening = np.arange(0, m, 2, dtype=np.int64)
        open_second_last, open_last = True, False
    else:
        marker = np.where(closes, 0, np.arange(1, n, dtype=np.int64))
        base = np.zeros(n, np.int64)
        np.maximum.accumulate(marker, out=base[1:])
        is_open = ((np.arange(n, dtype=np.int64) - base) & 1) == 0
        opening = np.flatnonzero(is_open[:-1] & closes)
        open_second_last, open_last = bool(is_open[-2]), bool(is_open[-1])
    good = opening[cons[opening]]
    if not pending:
        return Split(good, -1)
    if open_second_last and possible[-1] and not cons[-1]:
        cut = n - 2  # rule 4 needs the pair after the last flag
    elif open_last:
        cut = n - 1
    else:
        return Split(good, -1)
    return Split(good[good < cut], cut)


# --------------------------------------------------------------------------------------------
# Unescape + check code
# --------------------------------------------------------------------------------------------


@dataclass
class Unescaped:
    """The working buffer and each frame's unescaped content ``ub[cs:ce]`` (flags excluded)."""

    ub: U8
    cs: I64
    ce: I64
    bad_escape: B
    xor: npt.NDArray[np.uint8]


def _working_buffer(buf: U8, appendix: U8, capacity: U8 | None) -> U8:
    """``buf + appendix + PAD zeros``: in place when ``capacity`` (a writable array starting
    with ``buf``) has room, else a copy."""
    n = buf.size
    need = n + appendix.size + PAD
    if capacity is not None and capacity.size >= need:
        capacity[n : n + appendix.size] = appendix
        capacity[n + appendix.size : need] = 0
        return capacity[:need]
    return np.concatenate([buf, appendix, np.zeros(PAD, np.uint8)])


def unescape(buf: U8, fs: I64, fe: I64, capacity: U8 | None = None) -> Unescaped:
    """Undo 0x7D 0x01 -> 0x7D and 0x7D 0x02 -> 0x7E inside each frame ``buf[fs+1:fe]``.

    Frames without escapes are read in place. Frames with escapes get their unescaped content
    appended after ``buf`` (one gather over those frames only), in ``capacity`` when it has
    room (a writable array whose first ``buf.size`` bytes are ``buf``). Any other byte after 0x7D
    (including the closing flag) marks the frame ``bad_escape``. The XOR of each frame's
    unescaped content is computed on the raw bytes: every valid escape pair XORs to its
    unescaped byte XOR 0x01, so only the parity of the escape count needs correcting.
    """
    nf = fs.size
    n = buf.size
    cs = fs + 1
    ce = fe.copy()
    bad = np.zeros(nf, bool)
    none = np.zeros(0, np.uint8)
    if nf == 0:
        return Unescaped(_working_buffer(buf, none, capacity), cs, ce, bad, none)
    seg = np.empty(2 * nf, np.int64)
    seg[0::2] = cs
    seg[1::2] = fe
    xor = np.bitwise_xor.reduceat(buf, seg)[0::2]
    # empty content (7E 7E never pairs, but keep the invariant): reduceat gives buf[cs]
    xor[cs == fe] = 0

    esc = np.flatnonzero(buf == ESC)
    if esc.size:
        k = np.searchsorted(fs, esc, side="right") - 1
        inside = k >= 0
        inside[inside] &= esc[inside] < fe[k[inside]]
        esc = esc[inside]
        k = k[inside]
    if esc.size == 0:
        return Unescaped(_working_buffer(buf, none, capacity), cs, ce, bad, xor)

    second = buf[esc + 1]
    good = (second == 1) | (second == 2)
    bad[k[~good]] = True
    nesc = np.bincount(k[good], minlength=nf)
    xor ^= (nesc & 1).astype(np.uint8)

    is_esc_frame = (nesc > 0) & ~bad
    ef = np.flatnonzero(is_esc_frame)
    if ef.size == 0:
        return Unescaped(_working_buffer(buf, none, capacity), cs, ce, bad, xor)
    raw_len = fe[ef] - fs[ef] - 1
    sel = good & is_esc_frame[k]
    ek = k[sel]
    rank = np.full(nf, -1, np.int64)
    rank[ef] = np.arange(ef.size)
    row = rank[ek]
    col = esc[sel] - fs[ek] - 1  # column of each 0x7D inside its frame's content
    width = int(raw_len.max())
    if width * ef.size <= 4 * int(raw_len.sum()) + 4096:
        # one row per frame, fixed width: a strided row copy instead of a per-byte gather
        block = gather_rows(buf, fs[ef] + 1, width)
        block[row, col] = block[row, col + 1] ^ 0x7C
        keep = np.arange(width) < raw_len[:, None]
        keep[row, col + 1] = False
        vals = block[keep]
    else:
        off = np.cumsum(raw_len) - raw_len
        total = int(raw_len.sum())
        idx = np.arange(total, dtype=np.int64) + np.repeat(fs[ef] + 1 - off, raw_len)
        vals = buf[idx]
        p = off[row] + col
        vals[p] = vals[p + 1] ^ 0x7C
        flat_keep = np.ones(total, bool)
        flat_keep[p + 1] = False
        vals = vals[flat_keep]
    new_len = raw_len - nesc[ef]
    new_off = np.cumsum(new_len) - new_len
    ub = _working_buffer(buf, vals, capacity)
    cs[ef] = n + new_off
    ce[ef] = n + new_off + new_len
    return Unescaped(ub, cs, ce, bad, xor)


# --------------------------------------------------------------------------------------------
# Header (JT/T 808-2019 §4.4.3; mirrors hazrisk.jt808.header.read_header)
# --------------------------------------------------------------------------------------------


@dataclass
class Headers:
    """Header reading of each candidate content ``ub[cs:ce]``."""

    consistent: B  # unescapes, header parses, length == header + body length + 1
    v2019: B  # the 2019 layout was used (version flag set and no 2013 fallback)
    size: I64  # header length (12 / 17, + 4 with subpackage fields)
    msg_id: npt.NDArray[np.uint16]
    props: npt.NDArray[np.uint16]


def read_headers(ub: U8, cs: I64, ce: I64, bad_escape: B) -> Headers:
    """Vectorised :func:`hazrisk.jt808.header.read_header` + ``consistent_length``.

    With the version flag set the 2019 reading is used unless it has a non-BCD phone or an
    inconsistent length and the 2013 reading is consistent with a BCD phone (fallback).
    """
    length = ce - cs
    msg_id = be16(ub, cs)
    props = be16(ub, cs + 2)
    body = (props & 0x03FF).astype(np.int64)
    sub = np.where((props & 0x2000) != 0, 4, 0)
    flag19 = (props & 0x4000) != 0
    size = 12 + sub
    cons = (length == size + body + 1) & (length >= 4) & ~bad_escape
    v2019 = np.zeros(cs.size, bool)
    if flag19.any():
        i = np.flatnonzero(flag19 & (length >= 4) & ~bad_escape)
        c19 = length[i] == 17 + sub[i] + body[i] + 1
        c13 = length[i] == 12 + sub[i] + body[i] + 1
        ph13 = (BCD[gather_block(ub, cs[i] + 4, 6)] != 255).all(axis=1)
        fallback = c13 & ph13
        cons[i] = c19 | fallback
        v2019[i] = ~fallback
        size[i] = np.where(fallback, 12, 17) + sub[i]
    return Headers(cons, v2019, size, msg_id, props)


# --------------------------------------------------------------------------------------------
# BCD
# --------------------------------------------------------------------------------------------

def _bcd_byte_table() -> npt.NDArray[np.uint8]:
    """Byte -> its two-digit BCD value, 255 when a nibble is not a decimal digit."""
    t = np.full(256, 255, np.uint8)
    for hi in range(10):
        for lo in range(10):
            t[hi * 16 + lo] = hi * 10 + lo
    return t


BCD = _bcd_byte_table()
