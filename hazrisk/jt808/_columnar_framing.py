"""Framing of :mod:`hazrisk.jt808.columnar` by compiled kernels: flags, escapes, check codes,
headers and the splitter, in two passes over a buffer.

:func:`frame` finds the frames of a buffer exactly as the scalar splitter
(:func:`hazrisk.jt808.framing.split_frames`) pairs its flags, and reads each length-consistent
frame's header like :func:`hazrisk.jt808.header.read_header`:

1. ``_flags`` finds every 0x7E (a counting loop the compiler vectorises, then the positions);
2. ``_pairs`` walks the flags once with the splitter's rules (1-4, the resync after a
   truncated frame included). For a pair it must judge, ``_content`` XORs the bytes between
   the flags and notes a 0x7D among them; with one, the content is unescaped into an
   appendix after the buffer (the XOR taken on the unescaped bytes); then the header is read
   to decide whether it is length-consistent. Every length-consistent frame the splitter
   pairs is recorded (flags, content span, XOR, message id, properties, header layout). A
   pair's bytes are read once (twice with escapes), the buffer's twice in all.

The kernels are compiled by :func:`hazrisk.kernels.kernel` (Numba).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hazrisk.jt808.framing import MAX_SPAN
from hazrisk.kernels import kernel

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

FLAG = 0x7E
ESC = 0x7D
#: Zero bytes after the working buffer so that fixed-width gathers never go out of bounds
#: (the largest fixed gather is the 28-byte location block).
PAD = 64
_EMPTY_I64: I64 = np.zeros(0, np.int64)


def as_u8(data: bytes | bytearray | memoryview | np.ndarray) -> U8:
    """A zero-copy uint8 view of ``data``."""
    if isinstance(data, np.ndarray):
        return data.view(np.uint8).reshape(-1)
    return np.frombuffer(data, dtype=np.uint8)


# --------------------------------------------------------------------------------------------
# The kernels
# --------------------------------------------------------------------------------------------


@kernel
def _flags(buf: U8, line_start: I64) -> tuple[I64, I64]:  # pragma: no cover - compiled
    """Every 0x7E of ``buf``, and its line: the index of the last ``line_start`` at or before
    it (0 without lines)."""
    n = buf.size
    m = 0
    for i in range(n):  # counted first: a loop the compiler vectorises
        m += buf[i] == 0x7E
    flags = np.empty(m, np.int64)
    k = 0
    for i in range(n):
        if buf[i] == 0x7E:
            flags[k] = i
            k += 1
    fline = np.zeros(m, np.int64)
    n_lines = line_start.size
    line = 0
    for k in range(m):
        while line + 1 < n_lines and line_start[line + 1] <= flags[k]:
            line += 1
        fline[k] = line
    return flags, fline


@kernel
def _bcd_ok(ub: U8, at: int, n: int) -> bool:  # pragma: no cover - compiled
    """Are the ``n`` bytes from ``at`` BCD (every nibble a decimal digit)?"""
    for j in range(at, at + n):  # noqa: SIM110 - a compiled loop
        if (ub[j] >> 4) > 9 or (ub[j] & 0x0F) > 9:
            return False
    return True


@kernel
def _content(
    ub: U8, s: int, c: int, app: int, limit: int
) -> tuple[int, int, int, int, int, int, int]:  # pragma: no cover - compiled
    """Unescape and read the header of the content between flags ``s`` and ``c`` (the
    vectorised :func:`~hazrisk.jt808.header.read_header` + ``consistent_length``).

    Returns ``(state, cs, ce, xor, msg_id, props, size)``; ``state``: 0 not length-consistent
    (bad escape, too short, length disagrees), 1 consistent 2013 layout, 2 consistent 2019
    layout, -1 the appendix is full. With escapes the content is unescaped to ``ub[app:]``."""
    cs = s + 1
    ce = c
    x = 0
    esc = 0
    for j in range(cs, ce):
        b = ub[j]
        x ^= b
        esc |= b == 0x7D
    if esc:
        if app + (c - s) > limit:
            return -1, 0, 0, 0, 0, 0, 0
        j = app
        p = s + 1
        x = 0
        while p < c:
            b = ub[p]
            if b == 0x7D:
                q = ub[p + 1]  # p + 1 <= c: the closing flag is a bad escape too
                if q == 1:
                    b = 0x7D
                elif q == 2:
                    b = 0x7E
                else:
                    return 0, 0, 0, 0, 0, 0, 0
                p += 2
            else:
                p += 1
            ub[j] = b
            x ^= b
            j += 1
        cs = app
        ce = j
    length = ce - cs
    if length < 4:
        return 0, 0, 0, 0, 0, 0, 0
    msg_id = (np.int64(ub[cs]) << 8) | ub[cs + 1]
    props = (np.int64(ub[cs + 2]) << 8) | ub[cs + 3]
    body = props & 0x03FF
    sub = 4 if props & 0x2000 else 0
    if props & 0x4000:
        if length == 17 + sub + body + 1:
            return 2, cs, ce, x, msg_id, props, 17 + sub
        if length == 12 + sub + body + 1 and _bcd_ok(ub, cs + 4, 6):
            return 1, cs, ce, x, msg_id, props, 12 + sub  # the 2013 fallback
        return 0, 0, 0, 0, 0, 0, 0
    if length == 12 + sub + body + 1:
        return 1, cs, ce, x, msg_id, props, 12 + sub
    return 0, 0, 0, 0, 0, 0, 0


@kernel
def _pairs(
    ub: U8, n: int, flags: I64, fline: I64, pending: bool, max_span: int
) -> tuple[int, int, int, I64, I64, I64, U8, npt.NDArray[np.uint16], npt.NDArray[np.uint16],
           B, npt.NDArray[np.int16]]:  # pragma: no cover - compiled
    """The splitter over the flags (rules of :mod:`hazrisk.jt808.framing`).

    Returns ``(status, cut, appendix end, k, cs, ce, xor, msg_id, props, v2019, size)``, one
    entry per length-consistent frame paired (``k``: its opening flag's index); ``cut``: the
    flag index from which more bytes are needed (-1 none); ``status`` -1: the appendix ran
    out of room (call again with a larger ``ub``)."""
    m = flags.size
    cap = m // 2 + 1
    gk = np.empty(cap, np.int64)
    gcs = np.empty(cap, np.int64)
    gce = np.empty(cap, np.int64)
    gx = np.empty(cap, np.uint8)
    gid = np.empty(cap, np.uint16)
    gp = np.empty(cap, np.uint16)
    g19 = np.empty(cap, np.bool_)
    gsz = np.empty(cap, np.int16)
    limit = ub.size - 64
    app = n
    ng = 0
    cut = -1
    # the pair read ahead by rule 4 (kept when consistent: it is the next frame)
    memo = -1
    m_state = m_cs = m_ce = m_x = m_id = m_p = m_sz = 0
    i = 0
    while i < m:
        if i == m - 1:  # the last flag opens: its frame breaks off (or continues later)
            if pending:
                cut = i
            break
        gap = flags[i + 1] - flags[i]
        if gap <= 1 or gap > max_span or fline[i] != fline[i + 1]:
            i += 1  # rules 1 and 2 (and no frame across lines): the next flag opens
            continue
        if memo == i:
            state, cs, ce, x, mid, props, size = m_state, m_cs, m_ce, m_x, m_id, m_p, m_sz
        else:
            state, cs, ce, x, mid, props, size = _content(
                ub, flags[i], flags[i + 1], app, limit)
        if state < 0:
            return -1, -1, app, gk[:0], gcs[:0], gce[:0], gx[:0], gid[:0], gp[:0], g19[:0], gsz[:0]
        if state > 0:  # rule 3
            gk[ng] = i
            gcs[ng] = cs
            gce[ng] = ce
            gx[ng] = x
            gid[ng] = mid
            gp[ng] = props
            g19[ng] = state == 2
            gsz[ng] = size
            ng += 1
            if ce > app:
                app = ce  # an unescaped copy: keep it
            i += 2
            continue
        j = i + 1  # rule 4: does the pair after the closing flag hold a consistent frame?
        if j == m - 1:
            if pending:
                cut = i
                break
            i += 2  # nothing consistent can follow: the bad frame closes
            continue
        gap = flags[j + 1] - flags[j]
        if gap <= 1 or gap > max_span or fline[j] != fline[j + 1]:
            i += 2
            continue
        m_state, m_cs, m_ce, m_x, m_id, m_p, m_sz = _content(
            ub, flags[j], flags[j + 1], app, limit)
        if m_state < 0:
            return -1, -1, app, gk[:0], gcs[:0], gce[:0], gx[:0], gid[:0], gp[:0], g19[:0], gsz[:0]
        if m_state > 0:
            memo = j
            i = j  # resync: the frame at i broke off, j opens
        else:
            i += 2
    ub[app : app + 64] = 0
    return (0, cut, app, gk[:ng], gcs[:ng], gce[:ng], gx[:ng], gid[:ng], gp[:ng], g19[:ng],
            gsz[:ng])


# --------------------------------------------------------------------------------------------
# The Python side
# --------------------------------------------------------------------------------------------


@dataclass
class Framed:
    """The length-consistent frames of a buffer, as the splitter pairs them.

    ``ub`` is the working buffer: the raw bytes, the unescaped copies of frames with escapes,
    then :data:`PAD` zeros; each frame's unescaped content (header, body, check code) is
    ``ub[cs:ce]``."""

    ub: U8
    flags: I64  # every 0x7E of the buffer
    fs: I64  # opening flag of each frame
    fe: I64  # closing flag
    cs: I64
    ce: I64
    xor: U8  # XOR of the content: 0 when the check code is right
    msg_id: npt.NDArray[np.uint16]
    props: npt.NDArray[np.uint16]
    v2019: B  # the 2019 layout was used (version flag set and no 2013 fallback)
    size: npt.NDArray[np.int16]  # header length (12 / 17, + 4 with subpackage fields)
    cut: int  # byte position from which more input is needed (-1: none)


def frame(
    buf: U8, *, final: bool = True, capacity: U8 | None = None,
    line_start: I64 | None = None,
) -> Framed:
    """Pair the flags of ``buf`` into frames like :func:`hazrisk.jt808.framing.split_frames`.

    Parameters
    ----------
    buf
        Raw bytes (or the payloads of hex-log lines, one after the other).
    final
        ``False`` when more bytes may follow: the frames from ``cut`` on are left out.
    capacity
        A writable array whose first ``buf.size`` bytes are ``buf``: its spare room holds the
        unescaped copies (no copy of ``buf``) when large enough.
    line_start
        Hex logs: the sorted start of each line's payload in ``buf``; no frame spans two
        lines (the scalar reader splits each line on its own).
    """
    n = buf.size
    starts = _EMPTY_I64 if line_start is None else np.ascontiguousarray(line_start, np.int64)
    flags, fline = _flags(buf, starts)
    pending = not final and (flags.size == 0 or n - int(flags[-1]) <= MAX_SPAN)
    if capacity is not None and capacity.size >= n + PAD + 4096:
        ub = capacity  # escaped frames are a few percent: their copies fit (else see below)
    else:
        ub = np.empty(n + n // 4 + PAD + 4096, np.uint8)
        ub[:n] = buf
    while True:
        status, cut, end, k, cs, ce, xor, msg_id, props, v2019, size = _pairs(
            ub, n, flags, fline, pending, MAX_SPAN)
        if status == 0:
            break
        grown = np.empty(2 * n + PAD + 4096, np.uint8)  # the copies never exceed the bytes
        grown[:n] = buf
        ub = grown
    cut_at = int(flags[cut]) if cut >= 0 else -1
    return Framed(ub[: end + PAD], flags, flags[k], flags[k + 1], cs, ce, xor, msg_id, props,
                  v2019, size, cut_at)


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
