"""Gateway hex logs for the columnar path: lines -> one payload buffer + per-line arrays.

A hex log line (``[YYYY-MM-DD hh:mm:ss[.fff][zone]] [RECV|SEND] HEX``) is matched and its
receive time parsed with the scalar reader's own pattern and parser
(:mod:`hazrisk.jt808.stream`), one regex per line; the hex of all matching lines is then
decoded with a single ``bytes.fromhex`` into one payload buffer, which the columnar decoder
splits line by line (no frame spans two lines, as in the scalar reader). Frame offsets are
mapped back to text offsets exactly as the scalar reader reports them: the first span of a
line starts at the line's first byte, later spans at the text position of their first hex
pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from hazrisk.jt808.stream import HEX_LINE, HEX_PAIR, parse_log_time

I64 = npt.NDArray[np.int64]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
NAT = np.iinfo(np.int64).min


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
    direction: list[str | None]
    line_no: I64
    spaced: dict[int, list[int]] = field(default_factory=dict)  # line -> text pos of each pair

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


def parse_lines(texts: list[bytes], starts: list[int], first_line_no: int) -> HexLines:
    """Match each line (text with its newline, absolute offset) and decode the hex payloads."""
    hexes: list[bytes] = []
    pstart: list[int] = []
    plen: list[int] = []
    tstart: list[int] = []
    tlen: list[int] = []
    h0s: list[int] = []
    h1s: list[int] = []
    recv: list[int] = []
    direction: list[str | None] = []
    line_no: list[int] = []
    spaced: dict[int, list[int]] = {}
    times: dict[bytes, int] = {}
    at = 0
    fullmatch = HEX_LINE.fullmatch
    for k, text in enumerate(texts):
        m = fullmatch(text)
        if m is None:
            continue
        h0, h1 = m.span("hex")
        hexpart = m.group("hex")
        if b" " in hexpart or b"\t" in hexpart:
            pairs = list(HEX_PAIR.finditer(hexpart))
            spaced[len(pstart)] = [h0 + p.start() for p in pairs]
            hexpart = b"".join(p.group() for p in pairs)
        n = len(hexpart) // 2
        hexes.append(hexpart)
        pstart.append(at)
        plen.append(n)
        at += n
        tstart.append(starts[k])
        tlen.append(len(text))
        h0s.append(h0)
        h1s.append(h1)
        ts = m.group("ts")
        if ts is None:
            recv.append(NAT)
        else:
            us = times.get(ts)
            if us is None:
                t = parse_log_time(ts)
                us = times[ts] = NAT if t is None else (t - _EPOCH) // _US
            recv.append(us)
        d = m.group("dir")
        direction.append(d.decode().upper() if d else None)
        line_no.append(first_line_no + k)
    payload = bytes.fromhex(b"".join(hexes).decode("ascii"))

    def arr(values: list[int]) -> I64:
        return np.array(values, np.int64)

    return HexLines(
        payload, arr(pstart), arr(plen), arr(tstart), arr(tlen), arr(h0s), arr(h1s),
        arr(recv), direction, arr(line_no), spaced,
    )
