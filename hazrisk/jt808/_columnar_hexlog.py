"""Gateway hex logs for the columnar path: a block of lines -> one payload buffer + per-line arrays.

A hex log line (``[YYYY-MM-DD hh:mm:ss[.fff][zone]] [RECV|SEND] HEX``) is read as the scalar
reader (:mod:`hazrisk.jt808.stream`) reads it. :func:`parse_block` reads whole blocks with
one compiled pass (:func:`hazrisk.jt808._hexlog_kernels.scan_block`): lines of the two
layouts gateways write almost exclusively,

- ``YYYY-MM-DD hh:mm:ss.fff RECV HEX`` (``T`` or a space in the middle, ``.`` or ``,`` before
  the milliseconds, ``SEND`` too; the layout of the simulator's logs) and
- ``HEX`` alone,

with HEX an even number of hex digits up to the newline, are recognised by fixed-position
byte tests, their times computed from the digits (an impossible date or time goes to
:func:`~hazrisk.jt808.stream.parse_log_time`, as the scalar reader) and their hex written as
bytes into the payload as the pass goes. Every other line is matched by the scalar reader's
own pattern (:data:`~hazrisk.jt808.stream.HEX_LINE`) and parser, one line at a time. No frame
spans two lines, as in the scalar reader. Frame offsets are mapped back to text offsets
exactly as the scalar reader reports them: the first span of a line starts at the line's
first byte, later spans at the text position of their first hex pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType

import numpy as np
import numpy.typing as npt

from hazrisk.jt808.stream import HEX_LINE, HEX_PAIR, parse_log_time

__all__ = ["DIRECTIONS", "NAT", "HexLines", "parse_block"]

I64 = npt.NDArray[np.int64]
NAT = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
#: direction codes of :attr:`HexLines.dir_code`
DIRECTIONS: tuple[str | None, ...] = (None, "RECV", "SEND")


def kernels() -> ModuleType:
    """The compiled hex-log kernels (:mod:`hazrisk.jt808._hexlog_kernels`), imported on first
    use: Numba is loaded by the processes that read hex text, not by every ``import
    hazrisk.jt808``."""
    from hazrisk.jt808 import _hexlog_kernels

    return _hexlog_kernels


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
    block_lines: I64  # start (in the block) of every line of the block, matching or not
    spaced: dict[int, list[int]] = field(default_factory=dict)  # line -> text pos of each pair

    def direction(self, line: int) -> str | None:
        """``RECV``, ``SEND`` or None (no direction) of a line."""
        return DIRECTIONS[int(self.dir_code[line])]

    def line_of(self, pos: I64) -> I64:
        """The line of each payload position (``searchsorted(pstart, pos, "right") - 1``)."""
        return kernels().line_of(self.pstart, np.ascontiguousarray(pos, np.int64))

    def frame_offsets(self, fs: I64) -> I64:
        """Text offset of the frames opening at payload positions ``fs``."""
        line = self.line_of(fs)
        rel = fs - self.pstart[line]
        a = kernels().spans(line, rel, self.plen, self.h0, self.h1, self.tlen, False)
        self._spaced(a, line, rel, rel != 0)
        return self.tstart[line] + a

    def frame_spans(self, fs: I64, fe: I64) -> tuple[I64, I64, I64]:
        """(text offset, text length, line index) of the frames ``fs..fe`` (closing flag)."""
        K = kernels()
        line = self.line_of(fs)
        rel = fs - self.pstart[line]
        a = K.spans(line, rel, self.plen, self.h0, self.h1, self.tlen, False)
        self._spaced(a, line, rel, rel != 0)
        e = fe + 1 - self.pstart[line]
        b = K.spans(line, e, self.plen, self.h0, self.h1, self.tlen, True)
        self._spaced(b, line, e, e < self.plen[line])
        return self.tstart[line] + a, b - a, line

    def _spaced(self, pos: I64, line: I64, rel: I64, where: npt.NDArray[np.bool_]) -> None:
        """Text positions of payload bytes ``rel`` on lines whose hex is spaced (rare), in
        place of the unspaced ones :func:`~hazrisk.jt808._hexlog_kernels.spans` gives."""
        if not self.spaced:
            return
        for k in np.flatnonzero(where & np.isin(line, list(self.spaced))).tolist():
            at = self.spaced[int(line[k])]
            pos[k] = at[rel[k]] if rel[k] < len(at) else self.h1[line[k]]


def parse_block(block: bytes, base_offset: int = 0, first_line: int = 1) -> HexLines:
    """Match every line of ``block`` (whole lines; ``base_offset``: text offset of its first
    byte, ``first_line``: its line number) and decode the hex payloads."""
    K = kernels()
    buf = np.frombuffer(block, np.uint8)
    starts, ends, kind, h0, h1, recv, codes, pstart, fast_bytes = K.scan_block(
        buf, *K.pair_words(buf), K.PAIR_VALUES)
    for k in np.flatnonzero(kind == K.FAST_ODD_TIME).tolist():
        # impossible dates and times: as the scalar reader reads them
        a = int(starts[k])
        recv[k] = _recv_us(block[a : a + 23])
    fast = kind != K.OTHER
    if fast.all():
        plen = (h1 - h0) // 2
        return HexLines(fast_bytes.tobytes(), pstart, plen, starts + base_offset, ends - starts,
                        h0, h1, recv, codes, first_line + np.arange(starts.size), starts)
    slow = np.flatnonzero(~fast)
    # the slow lines, one regex each
    s_ok = np.zeros(slow.size, bool)
    s_hex: list[bytes] = []
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
        h0[k] = g0 - a
        h1[k] = g1 - a
        s_hex.append(hexpart)
        recv[k] = _recv_us(m.group("ts"))
        d = m.group("dir")
        codes[k] = DIRECTIONS.index(d.decode().upper()) if d else 0
    sk = slow[s_ok]
    keep = fast.copy()
    keep[sk] = True
    rows = np.flatnonzero(keep)
    hex_len = h1 - h0
    hex_len[sk] = [len(h) for h in s_hex]
    plen = hex_len[rows] // 2
    new_start = np.cumsum(plen) - plen
    payload = np.empty(int(plen.sum()), np.uint8)
    frows = fast[rows]
    K.place(payload, fast_bytes, pstart[rows[frows]], new_start[frows], plen[frows])
    for at, n, h in zip(new_start[~frows].tolist(), plen[~frows].tolist(), s_hex, strict=True):
        payload[at : at + n] = np.frombuffer(bytes.fromhex(h.decode("ascii")), np.uint8)
    spaced = {int(np.searchsorted(rows, k)): v for k, v in spaced_at.items()}
    return HexLines(
        payload.tobytes(), new_start, plen, starts[rows] + base_offset, (ends - starts)[rows],
        h0[rows], h1[rows], recv[rows], codes[rows], first_line + rows, starts, spaced,
    )


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
