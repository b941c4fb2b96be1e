"""Gateway hex logs for the columnar path: a block of lines -> one payload buffer + per-line arrays.

A hex log line (``[YYYY-MM-DD hh:mm:ss[.fff][zone]] [RECV|SEND] HEX``) is read as the scalar
reader (:mod:`hazrisk.jt808.stream`) reads it. :func:`parse_block` reads whole blocks with
numpy: lines of the two layouts gateways write almost exclusively,

- ``YYYY-MM-DD hh:mm:ss.fff RECV HEX`` (``T`` or a space in the middle, ``.`` or ``,`` before
  the milliseconds, ``SEND`` too; the layout of the simulator's logs) and
- ``HEX`` alone,

with HEX an even number of hex digits up to the newline, are recognised by fixed-position
byte tests, their times computed from the digits (an impossible date or time goes to
:func:`~hazrisk.jt808.stream.parse_log_time`, as the scalar reader) and their hex turned into
bytes by one table lookup over the block. Every other line is matched by the scalar reader's
own pattern (:data:`~hazrisk.jt808.stream.HEX_LINE`) and parser, one line at a time. No frame
spans two lines, as in the scalar reader. Frame offsets are mapped back to text offsets
exactly as the scalar reader reports them: the first span of a line starts at the line's
first byte, later spans at the text position of their first hex pair.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from hazrisk.jt808.fields import WIRE_OFFSET_S
from hazrisk.jt808.stream import HEX_LINE, HEX_PAIR, parse_log_time

I64 = npt.NDArray[np.int64]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
NAT = np.iinfo(np.int64).min
_BEIJING_US = WIRE_OFFSET_S * 1_000_000


def is_hex(c: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Which bytes are ASCII hex digits (arithmetic: faster than a table lookup by bytes)."""
    return ((c - np.uint8(48)) <= 9) | (((c | np.uint8(0x20)) - np.uint8(97)) <= 5)


#: the timed layout: ``YYYY-MM-DD hh:mm:ss.fff RECV `` (29 bytes), hex from byte 29
_PREFIX = 29
_DIGITS_AT = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22])
#: direction codes of :attr:`HexLines.dir_code`
DIRECTIONS: tuple[str | None, ...] = (None, "RECV", "SEND")


@dataclass
class HexLines:
    """The matching lines of a block of hex-log text, and their decoded payload."""

    payload: bytes
    pstart: I64  # payload start of each line
    plen: I64  # payload length
    tstart: I64  # absolute text offset of the line
    tlen: I64  # text length of the line (newline included)
    h0: I64  # hex part span within the line text
    h1: I64
    recv_us: I64  # receive time, UTC epoch microseconds (NAT when absent)
    dir_code: npt.NDArray[np.int8]  # direction: index into DIRECTIONS
    line_no: I64
    spaced: dict[int, list[int]] = field(default_factory=dict)  # line -> text pos of each pair

    def direction(self, line: int) -> str | None:
        """``RECV``, ``SEND`` or None (no direction) of a line."""
        return DIRECTIONS[int(self.dir_code[line])]

    def line_of(self, pos: I64) -> I64:
        return np.searchsorted(self.pstart, pos, side="right") - 1

    def text_pos(self, line: I64, i: I64) -> I64:
        """Text position (within the line) of payload byte ``i`` of each ``line``; the end of
        the hex part for ``i`` past the payload."""
        pos = np.where(i >= self.plen[line], self.h1[line], self.h0[line] + 2 * i)
        if self.spaced:
            for k in np.flatnonzero(np.isin(line, list(self.spaced))).tolist():
                at = self.spaced[int(line[k])]
                pos[k] = at[i[k]] if i[k] < len(at) else self.h1[line[k]]
        return pos

    def frame_offsets(self, fs: I64) -> I64:
        """Text offset of the frames opening at payload positions ``fs``."""
        line = self.line_of(fs)
        s = fs - self.pstart[line]
        return self.tstart[line] + np.where(s == 0, 0, self.text_pos(line, s))

    def frame_spans(self, fs: I64, fe: I64) -> tuple[I64, I64, I64]:
        """(text offset, text length, line index) of the frames ``fs..fe`` (closing flag)."""
        line = self.line_of(fs)
        s = fs - self.pstart[line]
        e = fe + 1 - self.pstart[line]
        a = np.where(s == 0, 0, self.text_pos(line, s))
        b = np.where(e >= self.plen[line], self.tlen[line], self.text_pos(line, e))
        return self.tstart[line] + a, b - a, line


def line_bounds(buf: npt.NDArray[np.uint8]) -> tuple[I64, I64]:
    """(start, end) of each line of a block, the end after its newline (the last line may
    lack one)."""
    nl = np.flatnonzero(buf == 0x0A)
    starts = np.concatenate([[0], nl + 1]).astype(np.int64)
    ends = np.append(nl + 1, buf.size).astype(np.int64)
    if starts[-1] == buf.size:
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def parse_block(block: bytes, base_offset: int = 0, first_line: int = 1,
                bounds: tuple[I64, I64] | None = None) -> HexLines:
    """Match every line of ``block`` (whole lines; ``base_offset``: text offset of its first
    byte, ``first_line``: its line number; ``bounds``: its :func:`line_bounds` when known)
    and decode the hex payloads."""
    buf = np.frombuffer(block, np.uint8)
    starts, ends = bounds if bounds is not None else line_bounds(buf)
    nlines = starts.size
    cend = ends - (buf[np.maximum(ends - 1, 0)] == 0x0A) if nlines else ends  # content end
    h0, recv, direction, fast = _fast_lines(buf, starts, cend)
    fast_bytes, fast = _fast_hex(buf, starts, ends, cend, h0, fast)
    slow = np.flatnonzero(~fast)
    # the slow lines, one regex each
    s_h0: list[int] = []
    s_h1: list[int] = []
    s_hex: list[bytes] = []
    s_recv: list[int] = []
    s_dir: list[int] = []
    s_ok = np.zeros(slow.size, bool)
    spaced_at: dict[int, list[int]] = {}
    fullmatch = HEX_LINE.fullmatch
    for j, k in enumerate(slow.tolist()):
        a, b = int(starts[k]), int(ends[k])
        m = fullmatch(block, a, b)
        if m is None:
            continue
        s_ok[j] = True
        g0, g1 = m.span("hex")
        hexpart = m.group("hex")
        if b" " in hexpart or b"\t" in hexpart:
            pairs = list(HEX_PAIR.finditer(hexpart))
            spaced_at[k] = [g0 - a + p.start() for p in pairs]
            hexpart = b"".join(p.group() for p in pairs)
        s_h0.append(g0 - a)
        s_h1.append(g1 - a)
        s_hex.append(hexpart)
        s_recv.append(_recv_us(m.group("ts")))
        d = m.group("dir")
        s_dir.append(DIRECTIONS.index(d.decode().upper()) if d else 0)
    # the lines kept (in order) and their payload lengths
    keep = fast.copy()
    keep[slow[s_ok]] = True
    rows = np.flatnonzero(keep)
    hh0 = np.empty(nlines, np.int64)
    hh1 = np.empty(nlines, np.int64)
    rus = np.empty(nlines, np.int64)
    hh0[fast] = h0[fast] - starts[fast]
    hh1[fast] = cend[fast] - starts[fast]
    rus[fast] = recv[fast]
    sk = slow[s_ok]
    hex_len = np.zeros(nlines, np.int64)
    hex_len[fast] = cend[fast] - h0[fast]
    if sk.size:
        hh0[sk] = s_h0
        hh1[sk] = s_h1
        rus[sk] = s_recv
        hex_len[sk] = [len(h) for h in s_hex]
    plen = hex_len[rows] // 2
    pstart = np.cumsum(plen) - plen
    payload = np.empty(int(plen.sum()), np.uint8)
    frows = fast[rows]
    if frows.any():  # the fast lines' hex, by one pass over the block
        vals = fast_bytes
        if frows.all():
            payload = vals
        else:
            dest = np.zeros(payload.size, bool)
            for a, n in zip(pstart[frows].tolist(), plen[frows].tolist(), strict=True):
                dest[a : a + n] = True
            payload[dest] = vals
    if sk.size:
        spos = pstart[~frows]
        sl = plen[~frows]
        for at, n, h in zip(spos.tolist(), sl.tolist(), s_hex, strict=True):
            payload[at : at + n] = np.frombuffer(bytes.fromhex(h.decode("ascii")), np.uint8)
    codes = direction
    if sk.size:
        codes = direction.copy()
        codes[sk] = s_dir
    spaced = {int(np.searchsorted(rows, k)): v for k, v in spaced_at.items()}
    return HexLines(
        payload.tobytes(), pstart, plen, starts[rows] + base_offset, (ends - starts)[rows],
        hh0[rows], hh1[rows], rus[rows], codes[rows], first_line + rows, spaced,
    )


def _fast_hex(buf: npt.NDArray[np.uint8], starts: I64, ends: I64, cend: I64, h0: I64,
              fast: npt.NDArray[np.bool_]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """(the bytes the fast lines' hex parts spell, in order; the fast lines). A line whose
    hex part holds a byte that is not a hex digit is not fast: the gathered characters are
    converted at once (``binascii``, which refuses a non-hex digit), and only a block where
    that fails is checked line by line (not the prefixes: the usual block has no such line)."""
    chars = buf[_hex_mask(buf, starts, ends, cend, h0, fast)]
    try:
        return np.frombuffer(binascii.unhexlify(chars.data), np.uint8), fast
    except binascii.Error:
        pass
    bad = np.flatnonzero(~is_hex(chars))
    rows = np.flatnonzero(fast)
    hex_end = np.cumsum((cend - h0)[rows])  # of each fast line in ``chars``
    fast = fast.copy()
    fast[rows[np.searchsorted(hex_end, bad, side="right")]] = False
    chars = buf[_hex_mask(buf, starts, ends, cend, h0, fast)]
    return np.frombuffer(binascii.unhexlify(chars.data), np.uint8), fast


def _hex_mask(buf: npt.NDArray[np.uint8], starts: I64, ends: I64, cend: I64, h0: I64,
              fast: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The bytes of the fast lines' hex parts: all but the newlines, the timed prefixes and
    the lines not recognised (rare: a loop)."""
    mask = np.ones(buf.size, bool)
    mask[cend[cend < ends]] = False  # newlines
    prefixed = fast & (h0 > starts)
    if prefixed.any():
        rows = np.lib.stride_tricks.sliding_window_view(mask, _PREFIX, writeable=True)
        rows[starts[prefixed]] = False
    for a, b in zip(starts[~fast].tolist(), ends[~fast].tolist(), strict=True):
        mask[a:b] = False
    return mask


def _recv_us(ts: bytes | None, cache: dict[bytes, int] = {}) -> int:  # noqa: B006 - memo
    """A line time (``parse_log_time``) as UTC epoch microseconds, NAT when absent/invalid."""
    if ts is None:
        return NAT
    us = cache.get(ts)
    if us is None:
        if len(cache) > 4096:
            cache.clear()
        t = parse_log_time(ts)
        us = cache[ts] = NAT if t is None else (t - _EPOCH) // _US
    return us


def _fast_lines(
    buf: npt.NDArray[np.uint8], starts: I64, cend: I64
) -> tuple[I64, I64, npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """(hex start, receive time, direction code, recognised) of each line (see the module
    docstring: the timed layout and bare hex; the rest is not recognised)."""
    n = starts.size
    if n == 0 or buf.size == 0:
        z = np.zeros(n, np.int64)
        return z, z, np.zeros(n, np.int8), np.zeros(n, bool)
    if buf.size < _PREFIX:
        buf = np.concatenate([buf, np.zeros(_PREFIX - buf.size, np.uint8)])
    windows = np.lib.stride_tricks.sliding_window_view(buf, _PREFIX)
    w = windows[np.minimum(starts, buf.size - _PREFIX)]  # (lines, 29): one row copy each
    d = (w[:, _DIGITS_AT] - 48).astype(np.int64)  # uint8 wraps: non-digits are > 9
    timed = (cend - starts >= _PREFIX + 2) & (d <= 9).all(axis=1)
    timed &= (w[:, 4] == 0x2D) & (w[:, 7] == 0x2D) & ((w[:, 10] == 0x20) | (w[:, 10] == 0x54))
    timed &= (w[:, 13] == 0x3A) & (w[:, 16] == 0x3A) & ((w[:, 19] == 0x2E) | (w[:, 19] == 0x2C))
    timed &= (w[:, 23] == 0x20) & (w[:, 28] == 0x20)
    word = np.ascontiguousarray(w[:, 24:28]).view(">u4").ravel()
    recv_w = word == int.from_bytes(b"RECV", "big")
    send_w = word == int.from_bytes(b"SEND", "big")
    timed &= recv_w | send_w
    bare = ~timed & is_hex(w[:, 0])
    h0 = np.where(timed, starts + _PREFIX, starts)
    hex_len = cend - h0  # (a hex part with other bytes is no fast line: _fast_hex)
    fast = (timed | bare) & (hex_len >= 2) & (hex_len % 2 == 0)
    direction = np.where(timed & recv_w, 1, np.where(timed & send_w, 2, 0)).astype(np.int8)
    # receive times of the timed lines, from their digits
    y = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    mo = d[:, 4] * 10 + d[:, 5]
    dd = d[:, 6] * 10 + d[:, 7]
    hh = d[:, 8] * 10 + d[:, 9]
    mi = d[:, 10] * 10 + d[:, 11]
    ss = d[:, 12] * 10 + d[:, 13]
    ms = d[:, 14] * 100 + d[:, 15] * 10 + d[:, 16]
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    dim = _DAYS_IN_MONTH[np.clip(mo, 0, 12)] + ((mo == 2) & leap)
    valid = (y >= 1) & (mo >= 1) & (mo <= 12) & (dd >= 1) & (dd <= dim) & (hh <= 23)
    valid &= (mi <= 59) & (ss <= 59)
    y2 = y - (mo <= 2)
    era = y2 // 400
    yoe = y2 - era * 400
    doy = (153 * ((mo + 9) % 12) + 2) // 5 + dd - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    recv = ((days * 86400 + hh * 3600 + mi * 60 + ss) * 1_000_000 + ms * 1000 - _BEIJING_US)
    recv = np.where(timed, recv, NAT)
    odd = np.flatnonzero(fast & timed & ~valid)
    for k in odd.tolist():  # impossible dates and times: as the scalar reader reads them
        a = int(starts[k])
        recv[k] = _recv_us(buf[a : a + 23].tobytes())
    return h0, recv, direction, fast


_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)
