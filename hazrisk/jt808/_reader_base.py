"""What the chunked reader (:mod:`hazrisk.jt808.reader`) shares between its raw and hex-log
paths: the chunk it yields, reads, and the merge of the fast rows with the codec's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

import numpy as np
import pyarrow as pa

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808._columnar_records import records_table
from hazrisk.jt808._columnar_schema import RECV_SCHEMA
from hazrisk.jt808.framing import MAX_SPAN
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import HEX_LINE, Reassembler

POSITION_MSGS = (0x0200, 0x0704)
#: Bytes decoded at a time by default: the chunk, its flag masks and working copies stay under
#: glibc's largest mmap threshold, so they are reused from the heap when the process tunes its
#: allocator (:mod:`hazrisk.store.allocator`; 30 MB beat 32 MB and 24 MB on the benchmark).
DEFAULT_CHUNK = 30 << 20

_TS = pa.timestamp("us", tz="UTC")


@dataclass
class DecodedChunk:
    """What one chunk of a dump decoded to.

    ``positions``: rows (:data:`~hazrisk.jt808.columnar.RECV_SCHEMA`) of every position of the
    chunk, the fast path's and those of scalar records, ordered by (offset, pos_index);
    ``records``: every scalar record (not the fast path's frames), offsets in the file, in
    order; ``frames_fast``: frames taken by the fast path (positions and heartbeats);
    ``heartbeats``: the fast path's heartbeats (columns
    :data:`hazrisk.jt808._columnar_heartbeats.COLUMNS`);
    ``bytes_done``: (decompressed) bytes of the stream decoded so far; ``raw``: ``(buffer,
    base offset)`` of a raw chunk, ``text``: ``(block, base offset)`` of a hex-log chunk (to
    fetch frame bytes).
    """

    positions: pa.Table | None
    records: list[Record]
    frames_fast: int
    bytes_done: int
    raw: tuple[np.ndarray, int] | None = None  # uint8 view of a raw chunk, its offset
    heartbeats: pa.Table | None = None
    text: tuple[bytes, int] | None = None  # hex-log block and its text offset

    def frame_at(self, offset: int) -> bytes | None:
        """The escaped frame (flags included) that starts at ``offset`` (a fast-path row's)."""
        if self.raw is not None:
            buf, base = self.raw
            a = offset - base
            if not 0 <= a < len(buf):
                return None
            stop = min(a + 2 + MAX_SPAN, len(buf))
            lo, step = a + 1, 1024  # frames are short: look near first, then farther
            while lo < stop:
                hi = min(lo + step, stop)
                close = np.flatnonzero(buf[lo:hi] == F.FLAG)
                if close.size:
                    return buf[a : lo + int(close[0]) + 1].tobytes()
                lo, step = hi, step * 8
            return None
        if self.text is not None:  # a one-frame line: its hex is the frame
            block, base = self.text
            a = offset - base
            if not 0 <= a < len(block):
                return None
            end = block.find(b"\n", a)
            m = HEX_LINE.fullmatch(block, a, len(block) if end < 0 else end + 1)
            return bytes.fromhex(m.group("hex").decode("ascii")) if m else None
        return None

    def frame_bytes(self, offset: int, length: int) -> bytes | None:
        """``length`` bytes of a raw stream from ``offset`` (garbage heads, rejected frames)."""
        if self.raw is None:
            return None
        buf, base = self.raw
        a = offset - base
        if a < 0 or a + length > len(buf):
            return None
        return buf[a : a + length].tobytes()


def reassembled(records: list[Record], joiner: Reassembler, end: int | None) -> list[Record]:
    """``records`` with each completed subpackage group's message after its last part; at
    the end of the stream (``end``: its length) the incomplete groups too."""
    out: list[Record] = []
    for rec in records:
        out.append(rec)
        if rec.subpackage is not None:
            out.extend(joiner.feed(rec))
    if end is not None:
        out.extend(joiner.finish(end))
    return out


#: The first read of a stream; each next one 4x larger, up to the chunk size.
FIRST_READ = 1 << 20


def read_size(chunk_bytes: int, reads: int, remaining: int | None = None) -> int:
    """The next read: growing from :data:`FIRST_READ`, 4x a read, to ``chunk_bytes`` (1, 4,
    16, 30 MiB: the database writer starts on the first rows after ~0.05 s of decoding, not
    after a whole chunk's, and each chunk is decoded while the one before is written), and
    when the end is near (``remaining`` known) halves of what is left, so the last chunk,
    written after decoding has finished, is small too."""
    ramp = FIRST_READ << (2 * min(reads, 8))
    if ramp < chunk_bytes:
        return ramp
    if remaining is not None and chunk_bytes // 4 < remaining <= chunk_bytes + chunk_bytes // 4:
        return max(remaining // 2, 1)
    return chunk_bytes


def readinto(fh: IO[bytes], out: np.ndarray) -> int:
    """Fill ``out`` from ``fh`` (short only at the end of the stream); bytes read."""
    view = out.data.cast("B")
    got = 0
    readinto = getattr(fh, "readinto", None)
    while got < len(view):
        if readinto is not None:
            k = readinto(view[got:])
        else:
            b = fh.read(len(view) - got)
            k = len(b)
            view[got : got + k] = b
        if not k:
            break
        got += k
    return got


def read_all(fh: IO[bytes], n: int) -> bytes:
    parts = []
    got = 0
    while got < n:
        b = fh.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def with_scalar_positions(fast: pa.Table | None, records: list[Record]) -> pa.Table | None:
    """The chunk's positions: fast rows plus the codec's rows for scalar ``ok`` position
    records (reassembled messages, frames in mixed lines), ordered by (offset, pos_index)."""
    pos_recs = [r for r in records if r.status == "ok" and r.msg_id in POSITION_MSGS
                and (r.subpackage is None or r.reassembled_from is not None)]
    parts = []
    if fast is not None and fast.num_rows:
        if "recv_time" not in fast.column_names:
            fast = fast.append_column("recv_time", pa.nulls(fast.num_rows, RECV_SCHEMA.field(
                "recv_time").type))
        parts.append(fast.select(RECV_SCHEMA.names).cast(RECV_SCHEMA))
    if pos_recs:
        parts.append(records_table(pos_recs, with_recv=True))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    both = pa.concat_tables(parts)
    order = np.lexsort((both.column("pos_index").to_numpy(), both.column("offset").to_numpy()))
    return both.take(pa.array(order))


def own_rows(table: pa.Table) -> tuple[np.ndarray | None, np.ndarray]:
    """Mask of the rows of frames of their own (None: all), i.e. not of a subpackage group the
    columnar path reassembled (its ``reassembled`` column: the scalar pass supplies those rows
    once, across chunks), and the sorted unique offsets of those frames."""
    re_ = np.asarray(table.column("reassembled").to_numpy(zero_copy_only=False), bool)
    offs = table.column("offset").to_numpy()
    keep = None
    if re_.any():
        keep = ~re_
        offs = offs[keep]
    if offs.size == 0:
        return keep, np.zeros(0, np.int64)
    first = np.ones(offs.size, bool)
    first[1:] = offs[1:] != offs[:-1]
    return keep, offs[first].astype(np.int64)
