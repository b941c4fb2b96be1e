"""A dump decoded and staged in a worker process while the ingesting process writes.

Decoding (gzip, hex text, the columnar decoder, the codec's share), staging and writing
(duplicate checks, DuckDB appends) share an ingest's CPU; in one process they share one
interpreter lock. Here a file of :data:`WORKER_BYTES` or more is decoded in the worker
process of :mod:`hazrisk.worker_process` (a plain subprocess reading jobs from its stdin; it
ends with its parent), chunk by chunk, while this process writes the chunks before. All that
needs no database is done there too, so neither the dump's bytes nor the codec's records
cross, only Arrow tables ready to append:

- ``positions``: staged (:func:`~hazrisk.store.positions.stage_table`: row numbers, validity
  bits, vehicles resolved by the registry's assignments (:class:`Staging` carries them),
  in-chunk duplicates, append order);
- ``tables``: the rows of the records (:class:`~hazrisk.store.messages.RecordRows`: raw
  messages, rejected frames with their kept bytes, garbage spans, heartbeats, typed tables);
  the file's frame counts come with :class:`End`;
- ``items``: the full active-safety items (0x64-0x67) of the positions that carry them, from
  the codec's records or decoded from the chunk's bytes
  (:mod:`hazrisk.jt808.safety_items`).

A smaller file is decoded in this process by the same functions (:func:`open_file`,
:func:`next_chunk`): one code path. The worker holds one file's state at a time; opening a
file closes the previous one (an ingest that stopped mid-file leaves nothing behind).
"""

from __future__ import annotations

import contextlib
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.jt808 import detect_format
from hazrisk.jt808.columnar import SAFETY_ITEM_IDS
from hazrisk.jt808.reader import DEFAULT_CHUNK, DecodedChunk, Prefetch, iter_chunks
from hazrisk.jt808.record import Record
from hazrisk.jt808.safety_items import chunk_safety_items
from hazrisk.store.messages import RecordRows, is_position_record
from hazrisk.store.positions import safety_bits, stage_table
from hazrisk.store.resolve import Assigner
from hazrisk.store.sources import open_stream
from hazrisk.validity import Validity
from hazrisk.worker_process import Done, run

#: Files from this size on (on disk) are decoded in the worker process; smaller ones are not
#: worth the hop.
WORKER_BYTES = 4 << 20
#: Chunks asked of the worker ahead of the one being written (it decodes while we write).
AHEAD = 2
#: Chunks asked at once of a file started while the one before is still being written
#: (:meth:`Decoding.ask_ahead`): its first reads are small (1, 4, 16 MiB: ramping up), and
#: with only :data:`AHEAD` of them the worker sat idle until the writer had finished the
#: file before.
AHEAD_OF_TURN = 4
SNIFF_BYTES = 1 << 16
#: Hex-log blocks decoded at once (the compiled kernels release the GIL: a province-day log
#: decodes ~1.2x faster alone on two threads for ~8 % more CPU; the worker, which also
#: stages, is the busier process, so it takes the core the writer leaves; raw chunks are
#: decoded one after the other).
THREADS = 2
#: Active-safety items (0x64-0x67) per position: (source offset, pos_index) -> {item id:
#: decoded item}.
Items = dict[tuple[int, int], dict[int, dict[str, Any]]]


@dataclass
class Staging:
    """What staging a file's positions needs of the warehouse, taken before decoding: the
    file's id, the registry's assignments (:class:`~hazrisk.store.resolve.Assigner`), the
    time of rows without one (noon of the dump's day) and the validity bounds."""

    file_id: int
    assigner: Assigner
    fallback_time: datetime | None
    validity: Validity


@dataclass
class Chunk:
    """One decoded chunk as the writer needs it: staged positions, record tables, items."""

    positions: pa.Table | None  # staged (stage_table), None when the chunk has none
    tables: list[tuple[str, pa.Table]]  # (store table, rows) of the chunk's records
    frames: int  # frames decoded (progress)
    disk: int  # bytes of the file on disk read so far (progress)
    items: Items = field(default_factory=dict)

    def items_for(self, keys: list[tuple[int, int]]) -> Items:
        """The items of these positions (``append_positions``' lookup)."""
        return {k: self.items[k] for k in keys if k in self.items}


@dataclass
class End:
    """The file is decoded: whether its gzip stream broke off (and after how many bytes),
    and the file's record counts (:class:`~hazrisk.store.messages.RecordRows`)."""

    broken: str | None
    produced: int
    frames_ok: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    garbage_bytes: int = 0
    garbage_spans: int = 0
    bad_gzip: str | None = None
    table_rows: Counter[str] = field(default_factory=Counter)


# --- in the decoding process ----------------------------------------------------------------

_STATE: dict[str, Any] = {}


def open_file(path: str, staging: Staging,
              chunk_bytes: int = DEFAULT_CHUNK) -> tuple[str, bool]:
    """Start decoding ``path`` (closing a file left open) and staging it for ``staging``:
    its format and whether gzip."""
    close_file()
    p = Path(path)
    size = p.stat().st_size
    stack = contextlib.ExitStack()
    try:
        stream, gz = open_stream(p)
        stack.enter_context(stream)
        source: Any = stack.enter_context(Prefetch(stream)) if gz else stream
        first = source.read(SNIFF_BYTES)
        fmt = detect_format(first)
        if len(first) > chunk_bytes:  # a small chunk size is honoured from the first chunk
            source, first = _Replay(first, source), b""
        chunks = stack.enter_context(contextlib.closing(iter_chunks(
            source, fmt=fmt, chunk_bytes=chunk_bytes, first=first,
            total=None if gz else size, reuse_buffers=True, ahead=1, threads=THREADS)))
    except BaseException:
        stack.close()
        raise
    _STATE.update(stack=stack, chunks=chunks, stream=stream, gz=gz, size=size,
                  staging=staging, rows=RecordRows(staging.file_id), seq=0)
    return fmt, gz


class _Replay:
    """The bytes read to sniff the format, then the rest of the stream (``read`` only)."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self.head = memoryview(head)
        self.stream = stream

    def read(self, n: int = -1) -> bytes:
        if not self.head:
            return bytes(self.stream.read(n))
        if n is None or n < 0:
            out = self.head.tobytes() + self.stream.read()
            self.head = memoryview(b"")
            return out
        out = self.head[:n].tobytes()
        self.head = self.head[len(out):]
        return out


def next_chunk() -> Chunk | End:
    """The next chunk of the open file, or :class:`End` (also when no file is open)."""
    chunks = _STATE.get("chunks")
    if chunks is None:
        return End(None, 0)
    try:
        chunk = next(chunks, None)
    except BaseException:
        close_file()
        raise
    stream = _STATE["stream"]
    rows: RecordRows = _STATE["rows"]
    if chunk is None:
        end = End(getattr(stream, "broken", None), int(getattr(stream, "produced", 0)),
                  rows.frames_ok, rows.rejected, rows.garbage_bytes, rows.garbage_spans,
                  rows.bad_gzip, rows.table_rows)
        close_file()
        return end
    size = _STATE["size"]
    if _STATE["gz"]:
        tell = getattr(stream, "compressed_tell", None)
        disk = min(int(tell()), size) if tell is not None else 0
    else:
        disk = min(chunk.bytes_done, size)
    try:
        return _staged(chunk, rows, disk)
    except BaseException:
        close_file()
        raise


def _staged(chunk: DecodedChunk, rows: RecordRows, disk: int) -> Chunk:
    """The chunk's records as rows, its positions staged."""
    for rec in chunk.records:
        rows.add(rec, chunk.frame_bytes)
    rows.frames_ok += chunk.frames_fast
    if chunk.heartbeats is not None and chunk.heartbeats.num_rows:
        rows.add_heartbeats(_phones_encoded(chunk.heartbeats))
    table = chunk.positions
    staged = None
    if table is not None and table.num_rows:
        st: Staging = _STATE["staging"]
        staged = stage_table(table, file_id=st.file_id, first_row=_STATE["seq"],
                             assigner=st.assigner, fallback_time=st.fallback_time,
                             validity=st.validity)
        _STATE["seq"] += table.num_rows
    return Chunk(staged, rows.tables(), chunk.frames_fast + len(chunk.records), disk,
                 items=_items(chunk))


def _phones_encoded(table: pa.Table | None) -> pa.Table | None:
    """``table`` with its ``phone`` column dictionary-encoded (as staging encodes it): a
    sixth less to send, a third less to unpickle."""
    if table is None or "phone" not in table.column_names:
        return table
    i = table.schema.get_field_index("phone")
    if pa.types.is_dictionary(table.schema.field(i).type):
        return table
    return table.set_column(i, "phone", pc.dictionary_encode(table.column("phone")))


def close_file() -> None:
    stack = _STATE.pop("stack", None)
    _STATE.clear()
    if stack is not None:
        with contextlib.suppress(Exception):
            stack.close()


def _items(chunk: DecodedChunk) -> Items:
    """The active-safety items of the chunk's positions with active-safety bits: from the
    codec's records, else decoded from the chunk's bytes
    (:func:`~hazrisk.jt808.safety_items.chunk_safety_items`, a fast-path row)."""
    table = chunk.positions
    if table is None or not table.num_rows:
        return {}
    rows = np.flatnonzero(safety_bits(table))
    if rows.size == 0:
        return {}
    take = pa.array(rows)
    offs = table.column("offset").take(take).to_pylist()
    idxs = table.column("pos_index").take(take).to_pylist()
    wanted = set(zip(offs, idxs, strict=True))
    at = set(offs)
    out: Items = {}
    for rec in chunk.records:
        if rec.offset in at and is_position_record(rec):
            for i, p in _fixes(rec):
                if (rec.offset, i) in wanted:
                    out[(rec.offset, i)] = _item_map(p)
    out.update(chunk_safety_items(chunk, sorted(wanted - out.keys())))
    return out


def _fixes(rec: Record) -> list[tuple[int, dict[str, Any]]]:
    body = rec.body or {}
    if rec.msg_id == 0x0200:
        return [(0, body)]
    return [(i, p) for i, p in enumerate(body.get("positions") or []) if isinstance(p, dict)]


def _item_map(position: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """A decoded position's active-safety items by id; a repeated id (keyed ``"0x64#2"``)
    counts once, the first occurrence, as in the columnar table."""
    items = position.get("items") or {}
    out = {}
    for key, value in items.items():
        if "#" not in key and isinstance(value, dict) and int(key, 16) in SAFETY_ITEM_IDS:
            out[int(key, 16)] = value
    return out


# --- in the ingesting process ---------------------------------------------------------------


def start_worker() -> None:
    """Have the worker process start now, importing the decoder (Python, numpy, pyarrow, the
    compiled kernels: ~0.5 s), while this process prepares the first file; its answer is not
    waited for (a worker that fails to start fails the first file that needs it)."""
    with contextlib.suppress(Exception):
        run(warm_up, in_process=True)


def warm_up() -> None:
    """Nothing: importing this module (to run it) is the work."""


class Decoding:
    """The chunks of one file, decoded in the worker process (``in_worker``) or here.

    :attr:`format` and :attr:`gz` are known once constructed; iterate for the chunks;
    :attr:`end` is set after the last one. Errors of the decoding (a bad dump, an unreadable
    file) are raised here as they were raised there.
    """

    def __init__(self, path: Path, staging: Staging, *, chunk_bytes: int = DEFAULT_CHUNK,
                 in_worker: bool = True) -> None:
        self.in_worker = in_worker
        self.format, self.gz = run(open_file, str(path), staging, chunk_bytes,
                                   in_process=in_worker).result()
        self.end: End | None = None
        self.pending: deque[Future[Chunk | End] | Done[Chunk | End]] = deque()

    def close(self) -> None:
        """Let the decoding go (the file's state where it ran is closed)."""
        if self.end is None:
            run(close_file, in_process=self.in_worker)

    def __enter__(self) -> Decoding:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ask_ahead(self) -> None:
        """Ask the worker for the first chunks now (it decodes them while this process
        finishes the file before); inline, nothing is decoded before it is needed."""
        while self.in_worker and len(self.pending) < AHEAD_OF_TURN:
            self.pending.append(run(next_chunk, in_process=True))

    def __iter__(self) -> Iterator[Chunk]:
        pending = self.pending
        while True:
            while len(pending) < (AHEAD if self.in_worker else 1):
                pending.append(run(next_chunk, in_process=self.in_worker))
            got = pending.popleft().result()
            if isinstance(got, End):
                self.end = got
                return
            yield got
