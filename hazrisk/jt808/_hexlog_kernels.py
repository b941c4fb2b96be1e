"""Compiled loops over gateway hex-log text (:func:`hazrisk.kernels.kernel`).

:func:`scan_block` walks a block of lines once: it finds each line's end, recognises the two
layouts gateways write almost exclusively (see :mod:`hazrisk.jt808._columnar_hexlog`),
computes their receive times from the digits and writes their hex as bytes, line after line,
into one payload buffer. :func:`line_of` and :func:`spans` map payload positions back to
lines and text offsets with one forward walk when the positions come in order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hazrisk.jt808.fields import WIRE_OFFSET_S
from hazrisk.kernels import kernel

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
NAT = np.iinfo(np.int64).min
_BEIJING_US = WIRE_OFFSET_S * 1_000_000
#: the timed layout's length: ``YYYY-MM-DD hh:mm:ss.fff RECV `` (hex from byte 29)
PREFIX = 29
#: :func:`scan_block`'s line kinds
OTHER, FAST, FAST_ODD_TIME = 0, 1, 2
_NEWLINE = 0x0A
#: lines :func:`line_of` walks forward before it searches
_WALK = 8
_RECV = int.from_bytes(b"RECV", "big")
_SEND = int.from_bytes(b"SEND", "big")


def _hex_values() -> U8:
    """Value of each byte as a hex digit; 255 for a byte that is none."""
    table = np.full(256, 255, np.uint8)
    for i, c in enumerate(b"0123456789abcdef"):
        table[c] = i
        table[bytes([c]).upper()[0]] = i
    return table


HEX_VALUES = _hex_values()


@kernel
def _digits(buf: U8, at: int, n: int) -> int:
    """The decimal number ``buf[at:at+n]`` spells; -1 if a byte is not a digit."""
    v = 0
    for i in range(at, at + n):
        d = int(buf[i]) - 48
        if d < 0 or d > 9:
            return -1
        v = v * 10 + d
    return v


@kernel
def _timed(buf: U8, s: int) -> tuple[int, int]:
    """(direction code 1 RECV / 2 SEND, receive time in UTC epoch µs or NAT for an impossible
    date or time) of a line opening with the timed layout at ``s``; (0, NAT) if it does not
    (``s + PREFIX`` must lie within ``buf``)."""
    if (buf[s + 4] != 0x2D or buf[s + 7] != 0x2D or (buf[s + 10] != 0x20 and buf[s + 10] != 0x54)
            or buf[s + 13] != 0x3A or buf[s + 16] != 0x3A
            or (buf[s + 19] != 0x2E and buf[s + 19] != 0x2C)
            or buf[s + 23] != 0x20 or buf[s + 28] != 0x20):
        return 0, NAT
    word = (np.int64(buf[s + 24]) << 24) | (np.int64(buf[s + 25]) << 16) | (
        np.int64(buf[s + 26]) << 8) | np.int64(buf[s + 27])
    if word == _RECV:
        code = 1
    elif word == _SEND:
        code = 2
    else:
        return 0, NAT
    y = _digits(buf, s, 4)
    mo = _digits(buf, s + 5, 2)
    dd = _digits(buf, s + 8, 2)
    hh = _digits(buf, s + 11, 2)
    mi = _digits(buf, s + 14, 2)
    ss = _digits(buf, s + 17, 2)
    ms = _digits(buf, s + 20, 3)
    if y < 0 or mo < 0 or dd < 0 or hh < 0 or mi < 0 or ss < 0 or ms < 0:
        return 0, NAT
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if mo == 2:
        dim = 29 if leap else 28
    elif mo == 4 or mo == 6 or mo == 9 or mo == 11:
        dim = 30
    else:
        dim = 31
    if y < 1 or mo < 1 or mo > 12 or dd < 1 or dd > dim or hh > 23 or mi > 59 or ss > 59:
        return code, NAT
    # days from the civil date (H. Hinnant's algorithm)
    y2 = y - 1 if mo <= 2 else y
    era = y2 // 400
    yoe = y2 - era * 400
    doy = (153 * ((mo + 9) % 12) + 2) // 5 + dd - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return code, ((days * 86400 + hh * 3600 + mi * 60 + ss) * 1_000_000 + ms * 1000
                  - _BEIJING_US)


@kernel
def scan_block(buf: U8, hexval: U8) -> tuple[I64, I64, npt.NDArray[np.int8], I64, I64, I64,
                                              npt.NDArray[np.int8], I64, U8]:
    """Every line of ``buf`` (a block of text; ``hexval``: :data:`HEX_VALUES`).

    Returns (start, end (after the newline), kind (:data:`OTHER`, :data:`FAST`,
    :data:`FAST_ODD_TIME`: a timed line whose date or time does not exist), hex start and
    hex end within the line, receive time (NAT: none or not computed), direction code,
    payload start) per line, and the payload: the bytes of the fast lines' hex, in order.
    A line is fast when it is the timed layout or opens with a hex digit and the rest of it
    up to the newline (or the block's end) is an even number, at least two, of hex digits.
    """
    n = buf.size
    nl = 0
    for i in range(n):
        if buf[i] == _NEWLINE:
            nl += 1
    if n > 0 and buf[n - 1] != _NEWLINE:
        nl += 1
    start = np.empty(nl, np.int64)
    end = np.empty(nl, np.int64)
    kind = np.zeros(nl, np.int8)
    h0 = np.zeros(nl, np.int64)
    h1 = np.zeros(nl, np.int64)
    recv = np.full(nl, NAT, np.int64)
    dcode = np.zeros(nl, np.int8)
    pstart = np.zeros(nl, np.int64)
    out = np.empty(n // 2, np.uint8)
    p = 0
    s = 0
    for k in range(nl):
        start[k] = s
        a = s
        code = 0
        us = NAT
        if s + PREFIX <= n:
            code, us = _timed(buf, s)
            if code != 0:
                a = s + PREFIX
        q = p
        j = a
        if code != 0 or hexval[buf[a]] < 16:
            while j + 1 < n:
                v1 = hexval[buf[j]]
                v2 = hexval[buf[j + 1]]
                if v1 > 15 or v2 > 15:
                    break
                out[q] = (v1 << 4) | v2
                q += 1
                j += 2
        if q > p and (j == n or buf[j] == _NEWLINE):
            kind[k] = FAST if code == 0 or us != NAT else FAST_ODD_TIME
            h0[k] = a - s
            h1[k] = j - s
            recv[k] = us
            dcode[k] = code
            pstart[k] = p
            p = q
        else:
            while j < n and buf[j] != _NEWLINE:
                j += 1
        s = j + 1 if j < n else n
        end[k] = s
    return start, end, kind, h0, h1, recv, dcode, pstart, out[:p]


@kernel
def line_of(pstart: I64, pos: I64) -> I64:
    """``searchsorted(pstart, pos, side="right") - 1`` for increasing ``pstart``: a short
    forward walk from the previous answer while ``pos`` increases slowly (frames and flags in
    order: a few per line), a binary search otherwise."""
    out = np.empty(pos.size, np.int64)
    n = pstart.size
    j = -1
    for i in range(pos.size):
        p = pos[i]
        if j < 0 or pstart[j] <= p:
            for _ in range(_WALK):
                if j + 1 < n and pstart[j + 1] <= p:
                    j += 1
                else:
                    break
            else:
                if j + 1 < n and pstart[j + 1] <= p:
                    j = np.searchsorted(pstart, p, side="right") - 1
        else:
            j = np.searchsorted(pstart, p, side="right") - 1
        out[i] = j
    return out


@kernel
def place(dst: U8, src: U8, src_at: I64, dst_at: I64, size: I64) -> None:
    """Copy the segments ``src[src_at[i]:+size[i]]`` to ``dst[dst_at[i]:]``."""
    for i in range(size.size):
        a = src_at[i]
        b = dst_at[i]
        for k in range(size[i]):
            dst[b + k] = src[a + k]


@kernel
def spans(line: I64, rel: I64, pstart: I64, plen: I64, h0: I64, h1: I64, tlen: I64,
          closing: bool) -> I64:
    """Text position within its line of payload position ``rel`` (relative to its line's
    payload) of each ``line`` (lines whose hex is not spaced): 0 for a frame opening the
    line; ``closing`` (``rel`` past a closing flag): the line's length when it reaches the
    line's end."""
    out = np.empty(line.size, np.int64)
    for i in range(line.size):
        k = line[i]
        r = rel[i]
        if closing:
            out[i] = tlen[k] if r >= plen[k] else h0[k] + 2 * r
        elif r == 0:
            out[i] = 0
        else:
            out[i] = h1[k] if r >= plen[k] else h0[k] + 2 * r
    return out
