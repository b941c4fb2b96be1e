"""The chunked reader's raw-capture path (see :mod:`hazrisk.jt808.reader`).

A raw chunk is decoded by the columnar decoder; the plain location frames and the heartbeats
it decoded are *cut out* of the stream, and the rest of each region between them decoded by the codec (:func:`hazrisk.jt808.iter_records`), the
regions joined with a small valid *barrier* frame standing in for each run of cut frames (the
splitter's decisions next to a frame span only depend on "a consistent frame follows", which
the barrier reproduces). The chunk is cut after its last cut-out frame (the splitter holds no
state there); the rest is carried on.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import IO, Any

import numpy as np
import pyarrow.compute as pc

from hazrisk.jt808._columnar_decode import decode
from hazrisk.jt808._reader_base import (
    DEFAULT_CHUNK,
    DecodedChunk,
    read_size,
    readinto,
    reassembled,
    with_scalar_positions,
)
from hazrisk.jt808.codec import encode_message
from hazrisk.jt808.framing import MAX_SPAN
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import Reassembler, iter_records

_BARRIER_PHONE = "000000000000"
BARRIER = encode_message(0x0002, {}, phone=_BARRIER_PHONE, serial=0)
_LOOKAHEAD = 2 * MAX_SPAN + 2


class _ReadRing:
    """Read buffers reused round-robin: a chunk is read straight into one (no per-chunk
    allocation, no ``carry + more`` copy), with spare room after the bytes for the columnar
    decoder's working buffer (its unescaped appendix; no copy of the chunk either). Three
    buffers: the chunk being decoded, the chunk yielded last (its caller may still read its
    ``DecodedChunk.raw``) and one spare, so a chunk's bytes stay valid until two more chunks
    have been drawn; two more for each chunk decoded ahead on a thread."""

    SLOTS = 3
    ROOM = 1.25  # room for the unescaped copies of escaped frames (+ padding)

    def __init__(self, reuse: bool, ahead: int = 0) -> None:
        self.n = self.SLOTS + 2 * ahead  # chunks decoded ahead hold slots too
        self.slots: list[np.ndarray | None] = [None] * self.n
        self.reuse = reuse
        self.k = 0

    def next(self, n: int) -> np.ndarray:
        need = int(n * self.ROOM) + 4096
        if not self.reuse:
            return np.empty(need, np.uint8)
        i = self.k % self.n
        self.k += 1
        arr = self.slots[i]
        if arr is None or arr.size < need:
            arr = np.empty(need, np.uint8)
            self.slots[i] = arr
        return arr


def iter_raw_chunks(
    stream: IO[bytes], *, chunk_bytes: int = DEFAULT_CHUNK, first: bytes = b"",
    total: int | None = None, reuse_buffers: bool = False, ahead: int = 0,
) -> Generator[DecodedChunk, None, None]:
    """Decode a raw (decompressed) byte stream chunk by chunk (see the module docstring).
    ``total``: the stream's length when known (an uncompressed file), to end on short reads.
    ``reuse_buffers``: read into three buffers used round-robin (:class:`_ReadRing`); a
    chunk's ``raw`` is then valid only until two more chunks have been drawn (the ingest's
    decoding takes what it keeps of a chunk's bytes before drawing the next); ``ahead``: chunks the caller decodes ahead on a thread
    (:func:`~hazrisk.jt808.reader.iter_chunks`), each holding buffers of the ring too."""
    carry = first
    got = len(first)  # bytes read from the stream
    pos = 0  # file offset of carry[0]
    joiner = Reassembler()
    max_carry = 4 * chunk_bytes
    eof = False
    reads = 0
    ring = _ReadRing(reuse_buffers, ahead)
    while not eof:
        want = read_size(chunk_bytes, reads, None if total is None else total - got)
        reads += 1
        space = ring.next(len(carry) + want)
        space[: len(carry)] = np.frombuffer(carry, np.uint8)
        n_more = readinto(stream, space[len(carry) : len(carry) + want])
        got += n_more
        eof = n_more < want
        buf = space[: len(carry) + n_more]
        if not buf.size:
            done = joiner.finish(pos)
            if done:
                yield DecodedChunk(with_scalar_positions(None, done), done, 0, pos)
            break
        decoded = decode(buf, pos, capacity=space)
        table = decoded.table
        hb = decoded.heartbeats
        assert decoded.spans is not None
        starts, ends = decoded.spans
        reassembled_rows = table.column("reassembled")
        if pc.any(reassembled_rows).as_py():
            # not the rows of groups the columnar path reassembled (the codec's pass gives them)
            table = table.filter(pc.invert(reassembled_rows))
        if eof:
            cut = len(buf)
        elif ends.size:
            cut = int(ends[-1])
        elif len(buf) > max_carry:
            cut = _scalar_cut(buf.tobytes())
        else:
            cut = 0
        if cut == 0 and not eof:
            carry = buf.tobytes()
            continue
        records = reassembled(
            decode_regions(*_regions(buf[:cut], starts, ends, pos, final_tail=eof)),
            joiner, pos + len(buf) if eof else None)
        yield DecodedChunk(positions=with_scalar_positions(table, records), records=records,
                           frames_fast=int(starts.size), bytes_done=pos + cut, heartbeats=hb,
                           raw=(buf[:cut], pos))
        carry = buf[cut:].tobytes()
        pos += cut


def _scalar_cut(buf: bytes) -> int:
    """End of the last ``ok`` frame far enough from the end of ``buf`` (0 if none)."""
    limit = len(buf) - _LOOKAHEAD
    cut = 0
    for rec in iter_records(buf, fmt="raw", reassemble=False):
        end = rec.offset + rec.length
        if end > limit:
            break
        if rec.status == "ok" and rec.length > 0:
            cut = end
    return cut


def _regions(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, pos: int, *, final_tail: bool
) -> tuple[bytes, set[int], list[int], list[int], int]:
    """The regions of ``buf`` outside the fast-path frames joined by barriers (the input of
    :func:`decode_regions`: the filtered bytes, the barriers' offsets in them, each region's
    start in them and in ``buf``, ``buf``'s offset in the file)."""
    region_starts = np.concatenate([[0], ends]).astype(np.int64)
    region_ends = np.concatenate([starts, [len(buf)]]).astype(np.int64)
    followed = np.concatenate([np.ones(starts.size, bool), [not final_tail]])
    nonempty = region_ends > region_starts
    rs, re_, followed = region_starts[nonempty], region_ends[nonempty], followed[nonempty]
    pieces: list[Any] = []  # bytes and uint8 arrays (buffer protocol)
    filt_start: list[int] = []
    orig_start: list[int] = []
    barriers: set[int] = set()
    at = 0
    for a, b, f in zip(rs.tolist(), re_.tolist(), followed.tolist(), strict=True):
        pieces.append(buf[a:b])
        filt_start.append(at)
        orig_start.append(a)
        at += b - a
        if f:
            pieces.append(BARRIER)
            barriers.add(at)
            at += len(BARRIER)
    return b"".join(pieces), barriers, filt_start, orig_start, pos


def decode_regions(filtered: bytes, barriers: set[int], filt_start: list[int],
                   orig_start: list[int], pos: int) -> list[Record]:
    """The codec's records of the filtered regions (:func:`_regions`), barriers dropped,
    offsets in the file."""
    if not filtered:
        return []
    out: list[Record] = []
    for rec in iter_records(filtered, fmt="raw", reassemble=False):
        if rec.offset in barriers:
            if not (rec.status == "ok" and rec.length == len(BARRIER)
                    and rec.phone == _BARRIER_PHONE):
                raise AssertionError(f"barrier frame decoded as {rec.status}/{rec.reason}")
            continue
        out.append(rec)
    if out:  # offsets in ``filtered`` -> in the file, in one vectorised step
        offs = np.fromiter((r.offset for r in out), np.int64, len(out))
        k = np.searchsorted(np.asarray(filt_start, np.int64), offs, side="right") - 1
        shift = pos + np.asarray(orig_start, np.int64) - np.asarray(filt_start, np.int64)
        for rec, new in zip(out, (offs + shift[k]).tolist(), strict=True):
            rec.offset = new
    return out
