"""The chunked reader's hex-log path (see :mod:`hazrisk.jt808.reader`).

A block of whole lines is parsed once (:func:`~hazrisk.jt808._columnar_hexlog.parse_block`:
one compiled pass for the usual line layouts, the scalar reader's pattern for the rest) and
its payload decoded by the columnar decoder. A line holding exactly one frame (its payload
opens and closes with the only two flags) is one record of the whole line for the codec's
reader, so the fast path takes it when it is a location frame or a heartbeat the columnar
decoder decoded; every other line (other messages, rejected frames, garbage, lines with
several frames, subpackages) is decoded by the codec (:func:`hazrisk.jt808.iter_records`),
line by line as there. A chunk is cut after its last newline; the rest is carried on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

import numpy as np
import pyarrow as pa

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808._columnar_decode import decode
from hazrisk.jt808._columnar_hexlog import HexLines, kernels, parse_block
from hazrisk.jt808._reader_base import (
    DEFAULT_CHUNK,
    DecodedChunk,
    own_rows,
    read_all,
    read_size,
    reassembled,
    with_scalar_positions,
)
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import MAX_LINE, Reassembler, iter_records

_TS = pa.timestamp("us", tz="UTC")

#: What :func:`_hexlog_block` gives: fast rows, the codec's records, lines the fast path
#: took, heartbeats.
_Block = tuple[pa.Table | None, list[Record], int, pa.Table | None]


def iter_hexlog_chunks(
    stream: IO[bytes], *, chunk_bytes: int = DEFAULT_CHUNK, first: bytes = b"",
    threads: int = 1,
) -> Generator[DecodedChunk, None, None]:
    """Decode a (decompressed) gateway hex log in blocks of whole lines; ``threads`` > 1:
    that many blocks decoded at once on threads (the compiled kernels and numpy release the
    GIL in their loops; a block needs only its text offset and first line number, known
    before it is decoded)."""
    if threads > 1:
        yield from _threaded(stream, chunk_bytes, first, threads)
        return
    joiner = Reassembler()
    for block, offset, line_no, eof in _blocks(stream, chunk_bytes, first):
        yield _chunk(block, offset, eof, joiner, *_hexlog_block(block, offset, line_no))


def _blocks(stream: IO[bytes], chunk_bytes: int, first: bytes
            ) -> Generator[tuple[bytes, int, int, bool], None, None]:
    """(block of whole lines, its text offset, its first line number, last) of the stream."""
    carry = first
    offset = 0
    line_no = 1
    eof = False
    reads = 0
    while not eof:
        want = read_size(chunk_bytes, reads)
        reads += 1
        more = read_all(stream, want)
        eof = len(more) < want
        block, carry = _cut(carry, more, eof, max(MAX_LINE, chunk_bytes))
        if block is None:
            continue
        yield block, offset, line_no, eof
        line_no += kernels().count_lines(F.as_u8(block))
        offset += len(block)


def _cut(carry: bytes, more: bytes, eof: bool, limit: int) -> tuple[bytes | None, bytes]:
    """(the block up to the last newline of ``carry + more``, or None while there is none
    and the line is within ``limit``; what is carried on). The block is copied once (a
    join of the carried part and the new bytes, not a concatenation then a slice)."""
    if eof:
        return _join(carry, more, len(more)), b""
    cut = more.rfind(b"\n") + 1
    if cut:
        return _join(carry, more, cut), more[cut:]
    cut = carry.rfind(b"\n") + 1  # only the first bytes given can hold a newline
    if cut:
        return carry[:cut], carry[cut:] + more
    if len(carry) + len(more) <= limit:
        return None, carry + more
    return _join(carry, more, len(more)), b""  # an overlong line: the codec calls it garbage


def _join(carry: bytes, more: bytes, cut: int) -> bytes:
    if not carry and cut == len(more):
        return more
    return b"".join((carry, memoryview(more)[:cut]))


def _threaded(stream: IO[bytes], chunk_bytes: int, first: bytes, threads: int
              ) -> Generator[DecodedChunk, None, None]:
    """:func:`iter_hexlog_chunks` with ``threads`` blocks decoded at once; the chunks in order."""
    joiner = Reassembler()
    inflight: deque[tuple[Future[_Block], bytes, int, bool]] = deque()

    def ready() -> DecodedChunk:
        fut, block, offset, eof = inflight.popleft()
        return _chunk(block, offset, eof, joiner, *fut.result())

    with ThreadPoolExecutor(threads, thread_name_prefix="hazrisk-hexlog") as pool:
        try:
            for block, offset, line_no, eof in _blocks(stream, chunk_bytes, first):
                inflight.append((pool.submit(_hexlog_block, block, offset, line_no),
                                 block, offset, eof))
                if len(inflight) >= threads:
                    yield ready()
            while inflight:
                yield ready()
        finally:
            for fut, *_ in inflight:
                fut.cancel()


def _chunk(block: bytes, offset: int, eof: bool, joiner: Reassembler, fast: pa.Table | None,
           records: list[Record], n_fast: int, heartbeats: pa.Table | None) -> DecodedChunk:
    """The chunk of a decoded block (:func:`_hexlog_block`): its codec records in order,
    subpackages reassembled, and its positions."""
    end = offset + len(block)
    records = reassembled(records, joiner, end if eof else None)
    return DecodedChunk(with_scalar_positions(fast, records), records, n_fast, end,
                        heartbeats=heartbeats, text=(block, offset))


def _hexlog_block(block: bytes, offset: int, line_no: int) -> _Block:
    """(fast rows, the codec's records, lines the fast path took, heartbeats) of whole
    lines."""
    lines = parse_block(block, offset, line_no)
    line_starts = lines.block_lines
    decoded = decode(F.as_u8(lines.payload), lines=lines)
    table = decoded.table
    flags = decoded.flags if decoded.flags is not None else np.zeros(0, np.int64)
    one = _one_frame_lines(lines, flags)
    hb_rows, heartbeats = _line_heartbeats(lines, one, decoded.heartbeats)
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
    records = decode_lines(*_other_lines(block, offset, line_no, line_starts, taken))
    return fast, records, int(taken.size), heartbeats


def _line_heartbeats(
    lines: HexLines, one: np.ndarray, hb: pa.Table | None
) -> tuple[np.ndarray, pa.Table | None]:
    """The heartbeats alone on their line (parsed-line indices, rows): the codec's reader
    makes one record of the whole line for each."""
    if hb is None:
        return np.zeros(0, np.int64), None
    offs = hb.column("offset").to_numpy()
    at = np.minimum(np.searchsorted(lines.tstart, offs), lines.tstart.size - 1)
    alone = (lines.tstart[at] == offs) & one[at]
    if not alone.any():
        return np.zeros(0, np.int64), None
    return at[alone], (hb if alone.all() else hb.filter(pa.array(alone)))


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin`` for a sorted set (a binary search; no hashing of ``values``)."""
    if sorted_set.size == 0:
        return np.zeros(values.size, bool)
    i = np.minimum(np.searchsorted(sorted_set, values), sorted_set.size - 1)
    return sorted_set[i] == values


def _one_frame_lines(lines: HexLines, flags: np.ndarray) -> np.ndarray:
    """Per parsed line: its payload is one frame (opens and closes with the only two flags,
    something between)."""
    return kernels().one_frame_lines(F.as_u8(lines.payload), lines.pstart, lines.plen,
                             np.ascontiguousarray(flags, np.int64))


def _other_lines(block: bytes, offset: int, line_no: int, line_starts: np.ndarray,
                 taken: np.ndarray | None
                 ) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """The block's lines except the ``taken`` ones (line indices), joined, and where they
    were (the input of :func:`decode_lines`)."""
    if taken is None or taken.size == 0:
        text = block
        kept = np.arange(line_starts.size)
    else:
        mask = np.ones(line_starts.size, bool)
        mask[taken] = False
        kept = np.flatnonzero(mask)
        if kept.size == 0:
            return b"", kept, kept, kept, offset, line_no
        bounds = np.append(line_starts, len(block))
        text = b"".join(block[bounds[i] : bounds[i + 1]] for i in kept.tolist())
    lens = np.diff(np.append(line_starts, len(block)))[kept]
    starts = np.cumsum(lens) - lens  # of each kept line in ``text``
    return text, kept, starts, line_starts[kept], offset, line_no


def decode_lines(text: bytes, kept: np.ndarray, starts: np.ndarray, orig: np.ndarray,
                 offset: int, line_no: int) -> list[Record]:
    """Codec records of the joined lines (:func:`_other_lines`), offsets and line numbers in
    the file."""
    if not text:
        return []
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
