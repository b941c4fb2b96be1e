"""The chunked reader's pieces: compiled hex-log line parsing (same as the scalar reader's
pattern line by line), the read-ahead thread, and the allocator left to the command."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hazrisk.jt808 import encode_message
from hazrisk.jt808._columnar_hexlog import DIRECTIONS, NAT, parse_block
from hazrisk.jt808.reader import Prefetch, iter_chunks
from hazrisk.jt808.stream import HEX_LINE, HEX_PAIR, parse_log_time

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HB = encode_message(0x0002, {}, phone="13800000000", serial=7).hex().upper()


def _expected(block: bytes, first_line: int = 1) -> list[tuple[object, ...]]:
    """Per matching line, what the scalar reader's pattern reads: (line number, text offset,
    text length, payload, receive time, direction)."""
    out = []
    at = 0
    for k, text in enumerate(block.splitlines(keepends=True)):
        m = HEX_LINE.fullmatch(text)
        if m is not None:
            payload = bytes.fromhex(b"".join(HEX_PAIR.findall(m.group("hex"))).decode())
            t = parse_log_time(m.group("ts"))
            us = NAT if t is None else (t - _EPOCH) // (datetime.resolution)
            d = m.group("dir")
            out.append((first_line + k, at, len(text), payload, us,
                        d.decode().upper() if d else None))
        at += len(text)
    return out


def _parsed(block: bytes, first_line: int = 1) -> list[tuple[object, ...]]:
    lines = parse_block(block, 0, first_line)
    pay = lines.payload
    return [
        (int(lines.line_no[i]), int(lines.tstart[i]), int(lines.tlen[i]),
         pay[lines.pstart[i] : lines.pstart[i] + lines.plen[i]], int(lines.recv_us[i]),
         lines.direction(i))
        for i in range(lines.pstart.size)
    ]


LINES = [
    f"2026-10-01 00:00:00.200 RECV {HB}",
    f"2026-10-01T08:00:01,123 SEND {HB.lower()}",
    f"2026-02-29 10:00:00.000 RECV {HB}",  # no such day: no time, as the scalar reader
    f"2028-02-29 23:59:59.999 RECV {HB}",  # a leap day
    f"2026-10-01 24:00:00.000 RECV {HB}",
    f"2026-13-01 00:00:00.000 RECV {HB}",
    f"{HB}",
    f"{HB[:-1]}",  # odd: garbage
    f"[2026-10-01 00:01:36.200] [RECV] {HB}",
    f"2026-10-01 08:00:01 RECV {HB}",
    f"2026-10-01 08:00:01.123456+08:00 recv {HB}",
    f"2026-10-01 00:00:00.200 RECV {HB[:10]} {HB[10:]}",
    f"2026-10-01 00:00:00.200 RECV {HB}\r",
    f"  {HB}",
    "",
    "garbage line",
    f"2026-10-01 00:00:00.200 RECV {HB}{HB}",
    f"2026-10-01 00:00:00.200 RECV 7G{HB}",
    f"2026-10-01 00:00:00.200 RECV {HB[:20]}G{HB[21:]}",  # a non-hex byte mid-line
    f"2026-10-01 00:00:00.200 RECV {HB[:20]} {HB[20:]}",  # spaced mid-line
    f"2026-10-01 00:00:00.200 RECV {HB}\t",
    "2026-10-01 00:00:00.200 RECV 7E",  # exactly 29 + 2 bytes
    "2026-10-01 00:00:00.200 RECV 7",
    "2026-10-01 00:00:00.200 RECV ",  # the prefix alone
    "2026-10-01 00:00:00.200 RECV",
    f"2026-10-01 00:00:00.200 recv {HB}",
    f"2026-10-01 00:00:00.200 RECV  {HB}",
    f"2026-10-01 00:00:00.200Z RECV {HB}",
    f"2026-10-01 00:00:00.2 RECV {HB}",
    f"0000-01-01 00:00:00.000 RECV {HB}",  # year 0: no time
    f"2026-10-01 00:60:00.000 RECV {HB}",
    f"2026-10-01 00:00:00.200 RECV {HB}\r\n",  # CRLF (the joined lines then hold \r\n\n)
    "7E",
    "7e",
    f"{HB}{HB[:3]}",  # bare, odd
    f"{HB.lower()}",
    "\r",
]


def test_parse_block_reads_each_line_as_the_scalar_pattern() -> None:
    block = ("\n".join(LINES) + "\n").encode()
    assert _parsed(block, 5) == _expected(block, 5)
    last = block + f"2026-10-01 00:00:00.200 SEND {HB}".encode()  # no final newline
    assert _parsed(last) == _expected(last)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=30), st.booleans())
def test_parse_block_any_mix_of_lines(picked: list[str], final_newline: bool) -> None:
    block = ("\n".join(picked) + ("\n" if final_newline else "")).encode()
    assert _parsed(block) == _expected(block)


_YEARS = st.sampled_from([0, 1, 1900, 1970, 2000, 2024, 2026, 2100, 9999])
_TIMES = st.tuples(_YEARS, st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
                   st.integers(0, 61), st.integers(0, 61), st.integers(0, 999))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_TIMES, st.integers(1, 3)), min_size=1, max_size=12),
       st.sampled_from(" T"), st.sampled_from(".,"))
def test_receive_times_of_any_digits(times: list[tuple[tuple[int, ...], int]], mid: str,
                                     dot: str) -> None:
    """Timed lines with any digits (impossible dates and times, leap days, runs of lines of
    one date) get the scalar reader's receive times."""
    text = "".join(
        f"{y:04d}-{mo:02d}-{d:02d}{mid}{h:02d}:{mi:02d}:{sec:02d}{dot}{ms:03d} RECV {HB}\n" * rep
        for (y, mo, d, h, mi, sec, ms), rep in times)
    block = text.encode()
    assert _parsed(block) == _expected(block)


def test_short_last_lines_as_the_scalar_pattern() -> None:
    """Lines in the last 29 bytes of a block, with and without a final newline."""
    for tail in ("7E", "7E0", "7E\r", "", "G7E", "7E7E7E7E7E7E7E7E7E7E7E7E7E", "2026-10-01"):
        for block in (f"{HB}\n{tail}".encode(), f"{HB}\n{tail}\n".encode(), tail.encode()):
            assert _parsed(block) == _expected(block), block


def test_line_of_is_searchsorted() -> None:
    """``HexLines.line_of`` (a forward walk, a binary search where positions step back or
    jump) gives ``searchsorted(pstart, pos, "right") - 1``."""
    rng = np.random.default_rng(11)
    block = "".join(f"{HB[: 2 * int(rng.integers(1, 20))]}\n" for _ in range(300)).encode()
    lines = parse_block(block)
    n = len(lines.payload)
    for pos in (np.arange(n), rng.integers(0, n, 500), np.sort(rng.integers(0, n, 40)),
                np.array([n - 1, 0, n - 1, 5, 5, 6]), np.zeros(0, np.int64)):
        want = np.searchsorted(lines.pstart, pos, side="right") - 1
        assert np.array_equal(lines.line_of(pos), want)


def test_direction_codes() -> None:
    lines = parse_block(f"2026-10-01 00:00:00.200 SEND {HB}\n{HB}\n".encode())
    assert [lines.direction(i) for i in range(2)] == ["SEND", None]
    assert DIRECTIONS[int(lines.dir_code[0])] == "SEND"


class _Breaks(io.RawIOBase):
    """A stream that gives some bytes, then fails."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.at >= len(self.data):
            raise OSError("device gone")
        piece = self.data[self.at : self.at + max(n, 1)]
        self.at += len(piece)
        return piece


def test_prefetch_gives_the_same_bytes_and_raises_where_the_stream_fails() -> None:
    data = np.random.default_rng(3).integers(0, 256, 100_000, np.uint8).tobytes()
    with Prefetch(io.BytesIO(data), block=4096) as pre:
        got = pre.read(10) + bytes(pre.read(50_000))
        view = bytearray(60_000)
        n = pre.readinto(view)
        assert got + bytes(view[:n]) == data
        assert pre.read(10) == b""
    with Prefetch(_Breaks(data[:5000]), block=1024) as pre:
        assert pre.read(5000) == data[:5000]
        with pytest.raises(OSError, match="device gone"):
            pre.read(1)


def test_iter_chunks_sniffs_the_format() -> None:
    text = (f"2026-10-01 00:00:00.200 RECV {HB}\n" * 3).encode()
    chunks = list(iter_chunks(io.BytesIO(text)))
    hb = [c.heartbeats for c in chunks if c.heartbeats is not None]
    assert sum(t.num_rows for t in hb) == 3 and not any(c.records for c in chunks)
    assert hb[0].column("direction").to_pylist()[0] == "RECV"
    raw = bytes.fromhex(HB) * 3
    chunks = list(iter_chunks(io.BytesIO(raw)))
    assert sum(c.frames_fast for c in chunks) == 3
    with pytest.raises(ValueError, match="fmt"):
        iter_chunks(io.BytesIO(raw), fmt="csv")


def test_library_ingest_leaves_the_allocator_alone(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: object) -> None:
    """Process-wide allocator tuning is the command's choice (``hazrisk ingest``)."""
    from pathlib import Path

    from hazrisk.store import allocator
    from hazrisk.store.connect import connect
    from hazrisk.store.ingest import ingest_paths

    def refuse(*a: object, **k: object) -> bool:
        raise AssertionError("library code tuned the allocator")

    monkeypatch.setattr(allocator, "tune_for_ingest", refuse)
    dump = Path(str(tmp_path)) / "P01" / "2026-10-01.bin"
    dump.parent.mkdir()
    dump.write_bytes(bytes.fromhex(HB) * 3)
    con = connect(Path(str(tmp_path)) / "w.duckdb")
    report = ingest_paths(con, [dump])
    assert report.exit_code == 0 and report.files[0].frames_ok == 3
    calls: list[int] = []
    monkeypatch.setattr(allocator, "tune_for_ingest", lambda: calls.append(1) or True)
    from hazrisk.store.cli import main

    assert main(["ingest", str(dump), "--db", str(Path(str(tmp_path)) / "w2.duckdb"),
                 "--no-progress", "--json"]) == 0
    assert calls == [1]


def test_frame_at_finds_the_first_closing_flag_near_or_far() -> None:
    """A raw chunk's ``frame_at`` (searching near the opening flag first, then farther) gives
    the bytes up to the first flag after it, within MAX_SPAN, or None: as one search of the
    whole span would, on buffers with flags dense, sparse and absent."""
    from hazrisk.jt808._reader_base import DecodedChunk
    from hazrisk.jt808.framing import MAX_SPAN

    rng = np.random.default_rng(7)
    for trial in range(120):
        n = int(rng.integers(1, 3 * MAX_SPAN)) if trial % 3 == 0 else int(rng.integers(1, 5000))
        p = rng.choice([0.0, 0.0005, 0.01, 0.2])
        buf = np.where(rng.random(n) < p, 0x7E, rng.integers(0, 0x7E, n)).astype(np.uint8)
        chunk = DecodedChunk(None, [], 0, 0, raw=(buf, 100))
        for a in rng.integers(0, n, 10).tolist():
            close = np.flatnonzero(buf[a + 1 : a + 2 + MAX_SPAN] == 0x7E)
            want = buf[a : a + int(close[0]) + 2].tobytes() if close.size else None
            assert chunk.frame_at(a + 100) == want
    assert chunk.frame_at(99) is None and chunk.frame_at(100 + n) is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 5, 20, 80, 300]), st.booleans()), max_size=25),
       st.integers(0, 12), st.sampled_from([1, 4, 7, 16, 100, 1000]), st.sampled_from([8, 50]))
def test_hexlog_blocks_are_whole_lines(lines: list[tuple[int, bool]], first_n: int,
                                       chunk: int, max_line: int) -> None:
    """The hex reader's blocks: the stream in order, cut after a newline (or at the end, or
    through a line longer than the line limit), with their text offsets and first line
    numbers; the first bytes given (``first``) may hold whole lines."""
    from hazrisk.jt808 import _reader_hexlog as R

    data = b"".join(b"x" * n + (b"\n" if nl else b"") for n, nl in lines)
    limit = max(max_line, chunk)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(R, "MAX_LINE", max_line)
        blocks = list(R._blocks(io.BytesIO(data[first_n:]), chunk, data[:first_n]))
    assert b"".join(b for b, *_ in blocks) == data
    at = 0
    for k, (block, offset, line_no, eof) in enumerate(blocks):
        assert offset == at and line_no == 1 + data[:at].count(b"\n")
        assert eof == (k == len(blocks) - 1)
        if not eof and not block.endswith(b"\n"):  # only through an overlong line
            assert b"\n" not in block and len(block) > limit
        at += len(block)
