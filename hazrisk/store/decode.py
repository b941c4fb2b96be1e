"""Decoding a dump for ingest: the columnar fast path for positions, the scalar codec for the rest.

Every frame is decoded once. Per chunk of the (decompressed) stream:

1. :func:`hazrisk.jt808.columnar.decode_positions` (raw) or ``decode_hexlog`` (hex logs)
   decodes the ``ok`` 0x0200/0x0704 frames with numpy; the fast path keeps the rows of the
   frames it can *cut out* of the stream: plain (not subpackaged) location frames, and in hex
   logs the lines holding exactly one such frame;
2. well-formed unescaped heartbeats at the start of a raw region are taken vectorised too;
3. the rest (other messages, rejected frames, garbage, subpackages) is decoded by
   :func:`hazrisk.jt808.iter_records`: raw regions are joined with a small valid *barrier*
   frame standing in for each run of cut frames (the splitter's decisions next to a frame span
   only depend on "a consistent frame follows", which the barrier reproduces), hex-log lines
   are independent anyway. Offsets (and line numbers) are mapped back, barriers dropped,
   subpackages reassembled across chunks, and their positions built by the codec's own
   :func:`hazrisk.jt808.columnar.records_table`.

The records are exactly those ``iter_records`` gives for the whole file (a differential test,
``tests/store/test_decode.py``, checks it on random damaged streams). The columnar decoder
also reassembles subpackage groups that complete inside one call; its ``reassembled`` column
marks those rows, which are dropped here (the scalar pass supplies them once, across chunks).

A raw chunk is cut after its last cut-out frame (the splitter holds no state there), a hex-log
chunk after its last newline; the rest is carried on, so memory stays a few times
``chunk_bytes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
import pyarrow as pa

from hazrisk.jt808 import Record, encode_message, iter_records
from hazrisk.jt808._columnar_decode import decode
from hazrisk.jt808.columnar import RECV_SCHEMA, decode_hexlog, records_table
from hazrisk.jt808.framing import MAX_SPAN
from hazrisk.jt808.stream import Reassembler, parse_log_time
from hazrisk.store.allocator import DEFAULT_CHUNK

_BARRIER_PHONE = "000000000000"
BARRIER = encode_message(0x0002, {}, phone=_BARRIER_PHONE, serial=0)
_LOOKAHEAD = 2 * MAX_SPAN + 2
_POS_MSGS = (0x0200, 0x0704)


@dataclass
class DecodedChunk:
    """What one chunk of a dump decoded to.

    ``positions``: rows (columnar schema + ``recv_time``) of every position of the chunk, the
    fast path's and those of scalar records, ordered by (offset, pos_index); ``records``:
    every scalar record (not the fast path's frames), offsets in the file, in order;
    ``frames_fast``: frames taken by the fast path (positions and heartbeats);
    ``heartbeats``: the fast path's heartbeats (offset, phone, serial, version);
    ``raw``: ``(buffer, base offset)`` of a raw chunk, to fetch frame bytes.
    """

    positions: pa.Table | None
    records: list[Record]
    frames_fast: int
    bytes_done: int
    raw: tuple[np.ndarray, int] | None = None  # uint8 view of the chunk, its offset
    heartbeats: pa.Table | None = None
    text: tuple[bytes, int] | None = None  # hex-log block and its text offset

    def frame_at(self, offset: int) -> bytes | None:
        """The escaped frame (flags included) that starts at ``offset`` (a fast-path row's)."""
        if self.raw is not None:
            buf, base = self.raw
            a = offset - base
            if 0 <= a < len(buf):
                close = np.flatnonzero(buf[a + 1 : a + 2 + MAX_SPAN] == 0x7E)
                return buf[a : a + int(close[0]) + 2].tobytes() if close.size else None
            return None
        if self.text is not None:
            block, base = self.text
            a = offset - base
            end = block.find(b"\n", a)
            m = _ONE_FRAME_LINES.match(block, a, len(block) if end < 0 else end + 1)
            return bytes.fromhex(m.group(4).decode()) if m else None
        return None

    def frame_bytes(self, offset: int, length: int) -> bytes | None:
        if self.raw is None:
            return None
        buf, base = self.raw
        a = offset - base
        if a < 0 or a + length > len(buf):
            return None
        return buf[a : a + length].tobytes()


def _reassembled(records: list[Record], joiner: Reassembler, end: int | None) -> list[Record]:
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


def _read_size(chunk_bytes: int, reads: int, remaining: int | None = None) -> int:
    """The next read: a quarter chunk first (the database writer starts on the first rows
    sooner), and when the end is near (``remaining`` known) halves of what is left, so the
    last chunk, written after decoding has finished, is small too."""
    if reads == 0:
        return max(chunk_bytes // 4, min(chunk_bytes, 1 << 20))
    if remaining is not None and chunk_bytes // 4 < remaining <= chunk_bytes + chunk_bytes // 4:
        return max(remaining // 2, 1)
    return chunk_bytes


class _ReadRing:
    """Read buffers reused round-robin: a chunk is read straight into one (no per-chunk
    allocation, no ``carry + more`` copy), with spare room after the bytes for the columnar
    decoder's working buffer (its unescaped appendix; no copy of the chunk either). Three
    buffers: the chunk being decoded, the one the database writer may still be reading
    (``DecodedChunk.raw``), and one spare (the writer finishes chunk k before chunk k+2 is
    read: ``ingest._Writer`` waits while more than one chunk is queued)."""

    SLOTS = 3
    ROOM = 1.25  # room for the unescaped copies of escaped frames (+ padding)

    def __init__(self, reuse: bool) -> None:
        self.slots: list[np.ndarray | None] = [None] * self.SLOTS
        self.reuse = reuse
        self.k = 0

    def next(self, n: int) -> np.ndarray:
        need = int(n * self.ROOM) + 4096
        if not self.reuse:
            return np.empty(need, np.uint8)
        i = self.k % self.SLOTS
        self.k += 1
        arr = self.slots[i]
        if arr is None or arr.size < need:
            arr = np.empty(need, np.uint8)
            self.slots[i] = arr
        return arr


def _readinto(fh: IO[bytes], out: np.ndarray) -> int:
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


def _read(fh: IO[bytes], n: int) -> bytes:
    parts = []
    got = 0
    while got < n:
        b = fh.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _with_scalar_positions(fast: pa.Table | None, records: list[Record]) -> pa.Table | None:
    """The chunk's positions: fast rows plus the codec's rows for scalar ``ok`` position
    records (reassembled messages, frames in mixed lines), ordered by (offset, pos_index)."""
    pos_recs = [r for r in records if r.status == "ok" and r.msg_id in _POS_MSGS
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


# --------------------------------------------------------------------------------------------
# Raw captures
# --------------------------------------------------------------------------------------------


def iter_raw_chunks(
    stream: IO[bytes], *, chunk_bytes: int = DEFAULT_CHUNK, first: bytes = b"",
    total: int | None = None, reuse_buffers: bool = False,
) -> Iterator[DecodedChunk]:
    """Decode a raw (decompressed) byte stream chunk by chunk (see the module docstring).
    ``total``: the stream's length when known (an uncompressed file), to end on short reads.
    ``reuse_buffers``: read into three buffers used round-robin (:class:`_ReadRing`); a
    chunk's ``raw`` is then valid only until two more chunks have been drawn (ingest's writer
    is never further behind)."""
    carry = first
    got = len(first)  # bytes read from the stream
    pos = 0  # file offset of carry[0]
    joiner = Reassembler()
    max_carry = 4 * chunk_bytes
    eof = False
    reads = 0
    ring = _ReadRing(reuse_buffers)
    while not eof:
        want = _read_size(chunk_bytes, reads, None if total is None else total - got)
        reads += 1
        space = ring.next(len(carry) + want)
        space[: len(carry)] = np.frombuffer(carry, np.uint8)
        n_more = _readinto(stream, space[len(carry) : len(carry) + want])
        got += n_more
        eof = n_more < want
        buf = space[: len(carry) + n_more]
        if not buf.size:
            done = joiner.finish(pos)
            if done:
                yield DecodedChunk(_with_scalar_positions(None, done), done, 0, pos)
            break
        decoded = decode(buf, pos, capacity=space)
        table = decoded.table
        starts, ends, keep = _frame_spans(buf, table, pos, decoded.flags)
        if keep is not None:
            table = table.filter(pa.array(keep))
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
        records, hb = _records_between(buf[:cut], starts, ends, pos, final_tail=eof)
        out = _reassembled(records, joiner, pos + len(buf) if eof else None)
        yield DecodedChunk(
            positions=_with_scalar_positions(table, out),
            records=out,
            frames_fast=int(starts.size) + (hb.num_rows if hb is not None else 0),
            bytes_done=pos + cut,
            raw=(buf[:cut], pos),
            heartbeats=hb,
        )
        carry = buf[cut:].tobytes()
        pos += cut


def _own_rows(table: pa.Table) -> tuple[np.ndarray | None, np.ndarray]:
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


def _frame_spans(
    buf: np.ndarray, table: pa.Table, pos: int, flags: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``[start, end)`` in ``buf`` of the plain location frames the columnar path decoded
    (sorted, unique), and a row mask dropping rows of reassembled subpackages (None: all kept)."""
    if table.num_rows == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, None
    keep, u_off = _own_rows(table)
    u_off = u_off - pos
    if flags is None:  # the decoder's, when it gives them
        flags = np.flatnonzero(buf == 0x7E)
    at = np.searchsorted(flags, u_off, side="right")
    plain = at < flags.size  # the frame starts here and closes in the buffer (always)
    starts = u_off[plain]
    close = flags[at[plain]]
    return starts, (close + 1).astype(np.int64), keep


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


def _records_between(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, pos: int, *, final_tail: bool
) -> tuple[list[Record], pa.Table | None]:
    """Scalar records of ``buf`` outside the fast-path frames (offsets in the file), and the
    heartbeats peeled off the region starts."""
    region_starts = np.concatenate([[0], ends]).astype(np.int64)
    region_ends = np.concatenate([starts, [len(buf)]]).astype(np.int64)
    followed = np.concatenate([np.ones(starts.size, bool), [not final_tail]])
    nonempty = region_ends > region_starts
    rs, re_, followed = region_starts[nonempty], region_ends[nonempty], followed[nonempty]
    rs, hb = _peel_heartbeats(buf, rs, re_, pos)
    nonempty = re_ > rs
    rs, re_, followed = rs[nonempty], re_[nonempty], followed[nonempty]
    if rs.size == 0:
        return [], hb
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
    filtered = b"".join(pieces)
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
    return out, hb


# Heartbeats (0x0002, empty body) are the commonest frames after positions. A region between
# fast-path frames starts where the splitter holds no state; when its first bytes are an
# unescaped, well-formed heartbeat (2013: 15 bytes, 2019: 20 bytes, check code right, BCD phone
# valid), the splitter makes exactly that frame and the codec decodes it ok with an empty body,
# so it is taken here (and the region restarts after it). Anything else goes to the codec.
_HB_LEN = {2013: 15, 2019: 20}
_DIGIT_OK = np.zeros(256, bool)
for _hi in range(10):
    for _lo in range(10):
        _DIGIT_OK[_hi * 16 + _lo] = True


def _peel_heartbeats(
    ub: np.ndarray, rs: np.ndarray, re_: np.ndarray, pos: int
) -> tuple[np.ndarray, pa.Table | None]:
    rs = rs.copy()
    found: list[tuple[np.ndarray, int]] = []  # (frame starts, version)
    n = ub.size
    padded = np.concatenate([ub, np.zeros(24, np.uint8)])
    active = np.flatnonzero(re_ - rs >= _HB_LEN[2013])
    while active.size:
        a = rs[active]
        matched = np.zeros(active.size, bool)
        for version, length in _HB_LEN.items():
            ok = (re_[active] - a >= length) & ~matched
            if not ok.any():
                continue
            win = padded[a[:, None] + np.arange(length)]
            props = 0x40 if version == 2019 else 0x00
            phone = win[:, 6:16] if version == 2019 else win[:, 5:11]
            inner = win[:, 1 : length - 1]
            ok &= (win[:, 0] == 0x7E) & (win[:, length - 1] == 0x7E)
            ok &= ~((inner == 0x7E) | (inner == 0x7D)).any(axis=1)
            ok &= (win[:, 1] == 0x00) & (win[:, 2] == 0x02)
            ok &= (win[:, 3] == props) & (win[:, 4] == 0x00)
            ok &= _DIGIT_OK[phone].all(axis=1)
            ok &= np.bitwise_xor.reduce(inner, axis=1) == 0
            ok &= a + length <= n
            if ok.any():
                found.append((a[ok], version))
                rs[active[ok]] += length
                matched |= ok
        active = active[matched]
        active = active[re_[active] - rs[active] >= _HB_LEN[2013]]
    if not found:
        return rs, None
    offs = np.concatenate([f[0] for f in found])
    versions = np.concatenate([np.full(f[0].size, f[1], np.int16) for f in found])
    phones: list[pa.Array] = []
    serials = np.zeros(offs.size, np.int64)
    k = 0
    for starts_, version in found:
        if version == 2019:
            ph = padded[starts_[:, None] + np.arange(6, 16)]
            ser = padded[starts_ + 16].astype(np.int64) << 8 | padded[starts_ + 17]
        else:
            ph = padded[starts_[:, None] + np.arange(5, 11)]
            ser = padded[starts_ + 11].astype(np.int64) << 8 | padded[starts_ + 12]
        phones.append(_bcd_strings(ph))
        serials[k : k + starts_.size] = ser
        k += starts_.size
    order = np.argsort(offs, kind="stable")
    table = pa.table({
        "offset": pa.array(offs[order] + pos, pa.int64()),
        "phone": pa.concat_arrays(phones).take(pa.array(order)),
        "serial": pa.array(serials[order], pa.int32()),
        "version": pa.array(versions[order], pa.int16()),
    })
    return rs, table


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", np.uint8)


def _bcd_strings(bcd: np.ndarray) -> pa.Array:
    """Rows of BCD bytes (n, w) as strings of 2w lower-case hex digits (``bytes.hex()``)."""
    n, w = bcd.shape
    digits = np.empty((n, 2 * w), np.uint8)
    digits[:, 0::2] = _HEX_DIGITS[bcd >> 4]
    digits[:, 1::2] = _HEX_DIGITS[bcd & 0x0F]
    offsets = np.arange(0, 2 * w * n + 1, 2 * w, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(digits.reshape(-1)))


# --------------------------------------------------------------------------------------------
# Gateway hex logs
# --------------------------------------------------------------------------------------------

#: A hex-log line holding exactly one frame (two flags, nothing else): the codec's reader makes
#: one record of the whole line for it. A subset of the reader's own line pattern.
_ONE_FRAME_LINES = re.compile(
    rb"(?m)^[ \t]*(?:(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?)"
    rb"(?P<zone>Z|[+-]\d{2}:?\d{2})?[ \t]+)?(?:(?P<dir>RECV|SEND|recv|send)[ \t:]+)?"
    rb"(7[eE](?:(?!7[eE])[0-9A-Fa-f]{2})+7[eE])[ \t]*\r?$"
)
#: Fast-path heartbeat lines: the frame's hex is ``7E 0002 0000 ...`` (2013, 15 bytes) or
#: ``7E 0002 4000 ...`` (2019, 20 bytes) and the time, if any, has no zone and <= 6 decimals.
_HB_HEX = {30: b"00020000", 40: b"00024000"}
MAX_LINE = 1 << 22


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
        want = _read_size(chunk_bytes, reads)
        reads += 1
        more = _read(stream, want)
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
        out = _reassembled(records, joiner, offset + cut if eof else None)
        yield DecodedChunk(_with_scalar_positions(fast, out), out, n_fast, offset + cut,
                           heartbeats=hb, text=(block, offset))
        line_no += block.count(b"\n")
        offset += cut
        carry = data[cut:]


def _hexlog_block(
    block: bytes, offset: int, line_no: int
) -> tuple[pa.Table | None, list[Record], int, pa.Table | None]:
    """(fast rows, scalar records, lines the fast path took) for whole lines of text."""
    table = decode_hexlog(block, base_offset=offset, first_line=line_no)
    nl = np.flatnonzero(np.frombuffer(block, np.uint8) == 0x0A)
    line_starts = np.concatenate([[0], nl + 1]).astype(np.int64)
    if line_starts[-1] == len(block):
        line_starts = line_starts[:-1]
    line_ends = np.append(line_starts[1:], len(block))
    # single-frame lines (one C-level scan), and which of them are fragments
    matches = list(_ONE_FRAME_LINES.finditer(block))
    one_start = np.fromiter((m.start() for m in matches), np.int64, len(matches))
    hex_at = np.fromiter((m.start(4) for m in matches), np.int64, len(matches))
    text = np.frombuffer(block + b"\0" * 8, np.uint8)
    props_hi = text[hex_at + 6]
    frag_one = np.isin(props_hi, np.frombuffer(b"2367ABEFabef", np.uint8))
    plain_one = one_start[~frag_one]
    hb_lines, heartbeats = _hexlog_heartbeats(block, matches, line_starts, line_ends, offset)
    if table.num_rows == 0:
        records = _scalar_lines(block, offset, line_no, line_starts,
                                hb_lines if hb_lines.size else None)
        return None, records, int(hb_lines.size), heartbeats
    # rows of frames alone on their line; not those of groups the columnar path reassembled
    own_rows, u_off = _own_rows(table)
    offs = table.column("offset").to_numpy()
    u_off = u_off - offset
    own = np.isin(u_off, plain_one)
    keep = np.isin(offs - offset, u_off[own])
    if own_rows is not None:
        keep &= own_rows
    fast = table if keep.all() else table.filter(pa.array(keep))
    taken = np.union1d(np.searchsorted(line_starts, u_off[own]), hb_lines)
    records = _scalar_lines(block, offset, line_no, line_starts, taken)
    return (fast if fast.num_rows else None), records, int(taken.size), heartbeats


def _hexlog_heartbeats(
    block: bytes, matches: list[re.Match[bytes]], line_starts: np.ndarray,
    line_ends: np.ndarray, offset: int,
) -> tuple[np.ndarray, pa.Table | None]:
    """Line indices and rows of the heartbeat lines the fast path takes (see ``_HB_HEX``);
    the same checks as the raw path's heartbeats, the codec's record fields."""
    picked: list[tuple[int, bytes, int, re.Match[bytes]]] = []  # (line start, frame, version, m)
    for m in matches:
        h0, h1 = m.span(4)
        kind = _HB_HEX.get(h1 - h0)
        if kind is None or block[h0 + 2 : h0 + 10] != kind or m.group("zone"):
            continue
        ts = m.group("ts")
        if ts is not None and len(ts) > 26:
            continue
        picked.append((m.start(), bytes.fromhex(block[h0:h1].decode()), h1 - h0, m))
    if not picked:
        return np.zeros(0, np.int64), None
    rows: list[tuple[int, str, int, int, bytes | None, str | None]] = []
    for start, frame, hexlen, m in picked:
        inner = frame[1:-1]
        if b"\x7d" in inner:
            continue
        x = 0
        for b in inner:
            x ^= b
        if x:
            continue
        version = 2019 if hexlen == 40 else 2013
        ph = inner[5:15] if version == 2019 else inner[4:10]
        if not all(_DIGIT_OK[b] for b in ph):
            continue
        ser = inner[15:17] if version == 2019 else inner[10:12]
        d = m.group("dir")
        rows.append((start, ph.hex(), int.from_bytes(ser, "big"), version, m.group("ts"),
                     d.decode().upper() if d else None))
    if not rows:
        return np.zeros(0, np.int64), None
    starts = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    lines = np.searchsorted(line_starts, starts)
    table = pa.table({
        "offset": pa.array(starts + offset, pa.int64()),
        "phone": pa.array([r[1] for r in rows], pa.string()),
        "serial": pa.array([r[2] for r in rows], pa.int32()),
        "version": pa.array([r[3] for r in rows], pa.int16()),
        "recv_time": pa.array([parse_log_time(r[4]) for r in rows],
                              pa.timestamp("us", tz="UTC")),
        "direction": pa.array([r[5] for r in rows], pa.string()),
        "length": pa.array(line_ends[lines] - starts, pa.int64()),
    })
    return lines.astype(np.int64), table


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
    out = []
    for rec in iter_records(text, fmt="hexlog", reassemble=False):
        k = max(int(np.searchsorted(starts, rec.offset, side="right")) - 1, 0)
        rec.offset = offset + int(orig[k]) + (rec.offset - int(starts[k]))
        if rec.line is not None:
            rec.line = line_no + int(kept[min(rec.line - 1, kept.size - 1)])
        out.append(rec)
    return out
