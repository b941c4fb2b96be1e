"""The chunked reader's hex-log path (see :mod:`hazrisk.jt808.reader`).

A block of whole lines is parsed once (:func:`~hazrisk.jt808._columnar_hexlog.parse_block`:
numpy for the usual line layouts, the scalar reader's pattern for the rest) and its payload
decoded by the columnar decoder. A line holding exactly one frame (its payload opens and
closes with the only two flags) is one record of the whole line for the codec's reader, so
the fast path takes it when it is a location frame the columnar decoder decoded, or a
well-formed heartbeat; every other line (other messages, rejected frames, garbage, lines with
several frames, subpackages) is decoded by the codec (:func:`hazrisk.jt808.iter_records`),
line by line as there. A chunk is cut after its last newline; the rest is carried on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import numpy as np
import pyarrow as pa

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808._columnar_decode import decode
from hazrisk.jt808._columnar_hexlog import DIRECTIONS, NAT, HexLines, line_bounds, parse_block
from hazrisk.jt808._reader_base import (
    DEFAULT_CHUNK,
    HEARTBEAT_LEN,
    DecodedChunk,
    heartbeat_mask,
    heartbeat_table,
    own_rows,
    read_all,
    read_size,
    reassembled,
    with_scalar_positions,
)
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import MAX_LINE, Reassembler, iter_records

_TS = pa.timestamp("us", tz="UTC")


def iter_hexlog_chunks(
    stream: IO[bytes], *, chunk_bytes: int = DEFAULT_CHUNK, first: bytes = b""
) -> Iterator[DecodedChunk]:
    """Decode a (decompressed) gateway hex log in blocks of whole lines."""
    carry = first
    offset = 0  # text offset of carry[0]
    line_no = 1  # number of carry's first line
    joiner = Reassembler()
    eof = False
    reads = 0
    while not eof:
        want = read_size(chunk_bytes, reads)
        reads += 1
        more = read_all(stream, want)
        eof = len(more) < want
        data = carry + more if carry else more
        cut = len(data) if eof else data.rfind(b"\n") + 1
        if cut == 0 and not eof and len(data) <= max(MAX_LINE, chunk_bytes):
            carry = data
            continue
        if cut == 0:
            cut = len(data)  # an overlong line: the codec's reader calls it garbage
        block = data[:cut]
        fast, records, n_fast, hb = _hexlog_block(block, offset, line_no)
        out = reassembled(records, joiner, offset + cut if eof else None)
        yield DecodedChunk(with_scalar_positions(fast, out), out, n_fast, offset + cut,
                           heartbeats=hb, text=(block, offset))
        line_no += block.count(b"\n")
        offset += cut
        carry = data[cut:]


def _hexlog_block(
    block: bytes, offset: int, line_no: int
) -> tuple[pa.Table | None, list[Record], int, pa.Table | None]:
    """(fast rows, scalar records, lines the fast path took, heartbeats) of whole lines."""
    lines = parse_block(block, offset, line_no)
    decoded = decode(F.as_u8(lines.payload), lines=lines)
    table = decoded.table
    line_starts, _ = line_bounds(np.frombuffer(block, np.uint8))
    one = _one_frame_lines(lines, decoded.flags)
    hb_rows, heartbeats = _heartbeats(lines, one)
    taken_rows = hb_rows
    fast = None
    if table.num_rows:
        # rows of frames alone on their line; not those of groups the columnar path reassembled
        keep_rows, u_off = own_rows(table)
        at = np.searchsorted(lines.tstart, u_off)
        at_ok = at < lines.tstart.size
        hit = np.zeros(u_off.size, bool)
        hit[at_ok] = lines.tstart[at[at_ok]] == u_off[at_ok]
        hit[hit] = one[at[hit]]
        offs = table.column("offset").to_numpy()
        keep = _member(offs, u_off[hit])
        if keep_rows is not None:
            keep &= keep_rows
        fast = table if keep.all() else table.filter(pa.array(keep))
        if not fast.num_rows:
            fast = None
        taken_rows = np.concatenate([at[hit], hb_rows])
    taken = lines.line_no[taken_rows] - line_no  # block line indices
    records = _scalar_lines(block, offset, line_no, line_starts, taken)
    return fast, records, int(taken.size), heartbeats


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted set (a binary search; no hashing of ``values``)."""
    if sorted_set.size == 0:
        return np.zeros(values.size, bool)
    i = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return sorted_set[i] == values


def _one_frame_lines(lines: HexLines, flags: np.ndarray) -> np.ndarray:
    """Per parsed line: its payload is one frame (opens and closes with the only two flags,
    something between)."""
    ps, pl = lines.pstart, lines.plen
    if ps.size == 0:
        return np.zeros(0, bool)
    n_flags = np.searchsorted(flags, ps + pl) - np.searchsorted(flags, ps)
    pay = F.as_u8(lines.payload)
    last = np.maximum(ps + pl - 1, 0)
    return (n_flags == 2) & (pl >= 3) & (pay[np.minimum(ps, pay.size - 1)] == F.FLAG) & (
        pay[np.minimum(last, pay.size - 1)] == F.FLAG)


def _heartbeats(lines: HexLines, one: np.ndarray) -> tuple[np.ndarray, pa.Table | None]:
    """Parsed-line indices and rows of the one-frame lines that are well-formed heartbeats
    (the same test as the raw path's; escaped ones unescaped first)."""
    pay = np.concatenate([F.as_u8(lines.payload), np.zeros(24, np.uint8)])
    parts: list[tuple[np.ndarray, pa.Table]] = []
    found: list[tuple[np.ndarray, int]] = []
    rows: list[np.ndarray] = []
    for version, length in HEARTBEAT_LEN.items():
        cand = np.flatnonzero(one & (lines.plen == length))
        if not cand.size:
            continue
        a = lines.pstart[cand]
        ok = heartbeat_mask(pay, a, version, pay.size)
        if ok.any():
            found.append((a[ok], version))
            rows.append(cand[ok])
    if found:
        idx = np.concatenate(rows)
        order, table = heartbeat_table(pay, found, lines.tstart[idx])
        parts.append((idx[order], table))
    escaped = _escaped_heartbeats(lines, one, pay)
    if escaped is not None:
        parts.append(escaped)
    if not parts:
        return np.zeros(0, np.int64), None
    idx = np.concatenate([p[0] for p in parts])
    table = pa.concat_tables([p[1] for p in parts])
    if len(parts) > 1:
        order = np.argsort(idx, kind="stable")
        idx, table = idx[order], table.take(pa.array(order))
    us = lines.recv_us[idx]
    dirs = np.array(DIRECTIONS, object)[lines.dir_code[idx]]
    table = table.append_column("recv_time", pa.array(us, _TS, mask=us == NAT))
    table = table.append_column("direction", pa.array(dirs, pa.string()))
    return idx, table


_ESC_PAIRS = (b"\x7d\x01", b"\x7d\x02")


def _escaped_heartbeats(
    lines: HexLines, one: np.ndarray, pay: np.ndarray
) -> tuple[np.ndarray, pa.Table] | None:
    """Heartbeat lines whose frame holds escapes (a serial, phone or check code byte 0x7D or
    0x7E: a few in a hundred): unescaped one by one (valid escapes only), then the same test."""
    longest = 2 * max(HEARTBEAT_LEN.values())
    ps, pl = lines.pstart, lines.plen
    cand = np.flatnonzero(one & (pl > min(HEARTBEAT_LEN.values())) & (pl <= longest)
                          & (pay[ps + 1] == 0x00) & (pay[ps + 2] == 0x02))
    frames: list[bytes] = []
    kept: list[int] = []
    for k, a, n in zip(cand.tolist(), ps[cand].tolist(), pl[cand].tolist(), strict=True):
        inner = pay[a + 1 : a + n - 1].tobytes()
        esc = inner.count(b"\x7d")
        if not esc or esc != inner.count(_ESC_PAIRS[0]) + inner.count(_ESC_PAIRS[1]):
            continue  # no escape (tested above), or a bad one (the codec rejects it)
        plain = inner.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")
        frames.append(b"\x7e" + plain + b"\x7e")
        kept.append(k)
    if not frames:
        return None
    lens = np.array([len(f) for f in frames], np.int64)
    ub = np.frombuffer(b"".join(frames) + bytes(24), np.uint8)
    starts = np.cumsum(lens) - lens
    idx = np.array(kept, np.int64)
    found: list[tuple[np.ndarray, int]] = []
    rows: list[np.ndarray] = []
    for version, length in HEARTBEAT_LEN.items():
        at = np.flatnonzero(lens == length)
        ok = heartbeat_mask(ub, starts[at], version, ub.size, escaped=True)
        if ok.any():
            found.append((starts[at][ok], version))
            rows.append(idx[at][ok])
    if not found:
        return None
    idx = np.concatenate(rows)
    order, table = heartbeat_table(ub, found, lines.tstart[idx])
    return idx[order], table


def _scalar_lines(block: bytes, offset: int, line_no: int, line_starts: np.ndarray,
                  taken: np.ndarray | None) -> list[Record]:
    """Codec records of the block's lines except the ``taken`` ones (line indices)."""
    if taken is None or taken.size == 0:
        text = block
        kept = np.arange(line_starts.size)
    else:
        mask = np.ones(line_starts.size, bool)
        mask[taken] = False
        kept = np.flatnonzero(mask)
        if kept.size == 0:
            return []
        bounds = np.append(line_starts, len(block))
        text = b"".join(block[bounds[i] : bounds[i + 1]] for i in kept.tolist())
    lens = np.diff(np.append(line_starts, len(block)))[kept]
    starts = np.cumsum(lens) - lens  # of each kept line in ``text``
    orig = line_starts[kept]
    out = list(iter_records(text, fmt="hexlog", reassemble=False))
    if out:  # offsets and line numbers in ``text`` -> in the file, in one vectorised step
        offs = np.fromiter((r.offset for r in out), np.int64, len(out))
        k = np.maximum(np.searchsorted(starts, offs, side="right") - 1, 0)
        new = (offset + orig[k] + (offs - starts[k])).tolist()
        for rec, o in zip(out, new, strict=True):
            rec.offset = o
            if rec.line is not None:
                rec.line = line_no + int(kept[min(rec.line - 1, kept.size - 1)])
    return out
