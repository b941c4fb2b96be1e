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

# (module constants are frozen into the cached machine code, which Numba recompiles only
# when this file changes: NAT and the wire format's fixed offset, never settings)
from hazrisk.jt808._columnar_hexlog import NAT
from hazrisk.jt808.fields import WIRE_OFFSET_S
from hazrisk.kernels import kernel

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
_BEIJING_US = WIRE_OFFSET_S * 1_000_000
#: the timed layout's length: ``YYYY-MM-DD hh:mm:ss.fff RECV `` (hex from byte 29)
PREFIX = 29
#: :func:`scan_block`'s line kinds
OTHER, FAST, FAST_ODD_TIME = 0, 1, 2
_NEWLINE = 0x0A
#: lines :func:`line_of` walks forward before it searches
_WALK = 8
#: digit positions of the timed layout
_DIGITS_AT = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22)
_RECV = int.from_bytes(b"RECV", "big")
_SEND = int.from_bytes(b"SEND", "big")


def _pair_values() -> npt.NDArray[np.uint16]:
    """Value of each two-byte hex pair read as a little-endian 16-bit word (first digit in the
    low byte); 0xFFFF for a word that is not two hex digits."""
    table = np.full(1 << 16, 0xFFFF, np.uint16)
    digits = b"0123456789abcdefABCDEF"
    for c1 in digits:
        for c2 in digits:
            table[c1 | c2 << 8] = int(bytes([c1, c2]), 16)
    return table


#: :func:`scan_block`'s table of hex pairs
PAIR_VALUES = _pair_values()


def pair_words(buf: U8) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint16]]:
    """``buf`` as 16-bit words from byte 0 and from byte 1 (for :func:`scan_block`)."""
    n = buf.size
    return buf[: n // 2 * 2].view(np.uint16), buf[1 : 1 + (n - 1) // 2 * 2].view(np.uint16)


@kernel
def _digit(buf: U8, i: int) -> int:
    return int(buf[i]) - 48


@kernel
def _valid_date(y: int, mo: int, dd: int) -> bool:
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if mo == 2:
        dim = 29 if leap else 28
    elif mo == 4 or mo == 6 or mo == 9 or mo == 11:
        dim = 30
    else:
        dim = 31
    return y >= 1 and 1 <= mo <= 12 and 1 <= dd <= dim


@kernel
def _days_from_civil(y: int, mo: int, dd: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y2 = y - 1 if mo <= 2 else y
    era = y2 // 400
    yoe = y2 - era * 400
    doy = (153 * ((mo + 9) % 12) + 2) // 5 + dd - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


@kernel
def count_lines(buf: U8) -> int:
    """Newlines in ``buf``."""
    nl = 0
    for i in range(buf.size):
        if buf[i] == _NEWLINE:
            nl += 1
    return nl


@kernel
def scan_block(buf: U8, w0: npt.NDArray[np.uint16], w1: npt.NDArray[np.uint16],
               pairs: npt.NDArray[np.uint16]
               ) -> tuple[I64, I64, npt.NDArray[np.int8], I64, I64, I64, npt.NDArray[np.int8],
                          I64, U8]:
    """Every line of ``buf`` (a block of text; ``w0``, ``w1``: its :func:`pair_words`;
    ``pairs``: :data:`PAIR_VALUES`).

    Returns (start, end (after the newline), kind (:data:`OTHER`, :data:`FAST`,
    :data:`FAST_ODD_TIME`: a timed line whose date or time does not exist), hex start and
    hex end within the line, receive time (NAT: none or not computed), direction code,
    payload start) per line, and the payload: the bytes of the fast lines' hex, in order.
    A line is fast when it is the timed layout or opens with a hex digit and the rest of it
    up to the newline (or the block's end) is an even number, at least two, of hex digits.
    A day's number is computed once for consecutive lines of the same date.
    """
    n = buf.size
    nl = count_lines(buf)
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
    last_date = -1
    day_us = NAT  # of last_date
    for k in range(nl):
        start[k] = s
        a = s
        code = 0
        us = NAT
        if s + PREFIX <= n and buf[s + 4] == 0x2D and buf[s + 7] == 0x2D and (
                buf[s + 10] == 0x20 or buf[s + 10] == 0x54) and buf[s + 13] == 0x3A and (
                buf[s + 16] == 0x3A) and (buf[s + 19] == 0x2E or buf[s + 19] == 0x2C) and (
                buf[s + 23] == 0x20) and buf[s + 28] == 0x20:
            word = (int(buf[s + 24]) << 24) | (int(buf[s + 25]) << 16) | (
                int(buf[s + 26]) << 8) | int(buf[s + 27])
            c = 1 if word == _RECV else (2 if word == _SEND else 0)
            digits = True
            for i in _DIGITS_AT:
                d = _digit(buf, s + i)
                digits = digits and 0 <= d <= 9
            if c != 0 and digits:
                code = c
                a = s + PREFIX
                date = _digit(buf, s) * 10_000_000 + _digit(buf, s + 1) * 1_000_000 + (
                    _digit(buf, s + 2) * 100_000 + _digit(buf, s + 3) * 10_000) + (
                    _digit(buf, s + 5) * 1000 + _digit(buf, s + 6) * 100) + (
                    _digit(buf, s + 8) * 10 + _digit(buf, s + 9))
                if date != last_date:
                    y, mo, dd = date // 10_000, date // 100 % 100, date % 100
                    day_us = (_days_from_civil(y, mo, dd) * 86_400_000_000
                              if _valid_date(y, mo, dd) else NAT)
                    last_date = date
                hh = _digit(buf, s + 11) * 10 + _digit(buf, s + 12)
                mi = _digit(buf, s + 14) * 10 + _digit(buf, s + 15)
                ss = _digit(buf, s + 17) * 10 + _digit(buf, s + 18)
                ms = _digit(buf, s + 20) * 100 + _digit(buf, s + 21) * 10 + _digit(buf, s + 22)
                if day_us != NAT and hh <= 23 and mi <= 59 and ss <= 59:
                    us = day_us + ((hh * 60 + mi) * 60 + ss) * 1_000_000 + ms * 1000 - _BEIJING_US
        # the hex pairs from ``a``, two bytes at a time
        w = w0 if a % 2 == 0 else w1
        wi = a // 2
        m = (n - a) // 2
        i = 0
        while i < m:
            v = pairs[w[wi + i]]
            if v > 255:
                break
            out[p + i] = v
            i += 1
        j = a + 2 * i
        if i > 0 and (j == n or buf[j] == _NEWLINE):
            kind[k] = FAST if code == 0 or us != NAT else FAST_ODD_TIME
            h0[k] = a - s
            h1[k] = j - s
            recv[k] = us
            dcode[k] = code
            pstart[k] = p
            p += i
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
def spans(line: I64, rel: I64, plen: I64, h0: I64, h1: I64, tlen: I64, closing: bool) -> I64:
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


@kernel
def one_frame_lines(payload: U8, pstart: I64, plen: I64, flags: I64) -> npt.NDArray[np.bool_]:
    """Per line: its payload is one frame (opens and closes with the only two flags of its
    payload, something between); ``flags``: every flag position of the payload, in order."""
    out = np.zeros(pstart.size, np.bool_)
    j = 0
    for k in range(pstart.size):
        a = pstart[k]
        b = a + plen[k]
        while j < flags.size and flags[j] < a:
            j += 1
        i = j
        while i < flags.size and flags[i] < b:
            i += 1
        out[k] = i - j == 2 and plen[k] >= 3 and payload[a] == 0x7E and payload[b - 1] == 0x7E
        j = i
    return out
