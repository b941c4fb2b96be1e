"""The chunked dump reader: a dump in chunks, as columnar positions and heartbeats plus records.

:func:`iter_chunks` (or :func:`iter_raw_chunks` / :func:`iter_hexlog_chunks`) reads a
(decompressed) dump stream, raw capture or gateway hex log, chunk by chunk and yields one
:class:`DecodedChunk` per chunk:

- ``positions``: an Arrow table (:data:`~hazrisk.jt808.columnar.RECV_SCHEMA`) of every
  position of the chunk;
- ``heartbeats``: an Arrow table of the heartbeats the fast path took (offset, phone,
  serial, version; hex logs also the line's time and direction);
- ``records``: every other frame, rejected frame and garbage span as a :class:`Record`.

Every frame is decoded once:

1. the columnar decoder (:mod:`hazrisk.jt808.columnar`) decodes the ``ok`` 0x0200/0x0704
   frames with numpy; the fast path keeps the rows of the frames it can *cut out* of the
   stream: plain (not subpackaged) location frames, and in hex logs the lines holding exactly
   one such frame;
2. so are the heartbeats (0x0002 with an empty body; hex logs: those alone on their line),
   which the columnar decoder reads with the same framing, check code and header reading;
3. the rest (other messages, rejected frames, garbage, subpackages) is decoded by the codec
   (:func:`hazrisk.jt808.iter_records`); offsets (and line numbers) are those of the file,
   subpackages are reassembled across chunks and their positions built by the codec's own
   :func:`hazrisk.jt808.columnar.records_table`.

The records, positions and heartbeats are exactly those ``iter_records`` gives for the whole
stream (``tests/store/test_decode.py`` checks it differentially on random damaged streams,
at any chunk size). Memory stays a few times ``chunk_bytes``. The raw path and the hex-log
path: :mod:`hazrisk.jt808._reader_raw`, :mod:`hazrisk.jt808._reader_hexlog`.

:class:`Prefetch` reads a stream ahead on a thread (gzip decompression releases the GIL, so
it overlaps the decoding).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import IO, Any

from hazrisk.jt808._columnar_heartbeats import COLUMNS as HEARTBEAT_COLUMNS
from hazrisk.jt808._reader_base import DEFAULT_CHUNK, DecodedChunk
from hazrisk.jt808._reader_hexlog import iter_hexlog_chunks
from hazrisk.jt808._reader_raw import BARRIER, iter_raw_chunks
from hazrisk.jt808.stream import SNIFF, detect_format

__all__ = [
    "BARRIER",
    "DEFAULT_CHUNK",
    "HEARTBEAT_COLUMNS",
    "DecodedChunk",
    "Prefetch",
    "iter_chunks",
    "iter_hexlog_chunks",
    "iter_raw_chunks",
]


def iter_chunks(
    stream: IO[bytes], *, fmt: str = "auto", chunk_bytes: int = DEFAULT_CHUNK,
    first: bytes = b"", total: int | None = None, reuse_buffers: bool = False,
    ahead: int = 0, threads: int = 1,
) -> Generator[DecodedChunk, None, None]:
    """Decode a (decompressed) dump stream chunk by chunk.

    Parameters
    ----------
    stream
        Binary stream of the dump's bytes (already decompressed).
    fmt
        ``raw``, ``hexlog`` or ``auto`` (sniffed from ``first`` or the stream's first bytes,
        like :func:`hazrisk.jt808.iter_records`).
    chunk_bytes
        Bytes decoded at a time.
    first
        Bytes already read from ``stream`` (they come first).
    total
        The stream's length when known (raw, uncompressed): the last reads are then halved,
        so the last chunk is small.
    reuse_buffers
        Raw: read into three buffers used round-robin; a chunk's ``raw`` (and so its
        ``frame_at`` and ``frame_bytes``) is then valid only until two more chunks have been
        drawn.
    ahead
        Chunks decoded ahead on a thread (0: none, in the caller's thread): the decoding of
        the next chunks then overlaps the caller's work on this one (numpy, zlib and DuckDB
        release the GIL). Errors are raised in the caller's thread, at the chunk they stop.
    threads
        Hex logs: blocks decoded at once on threads (a raw chunk's end depends on its
        decoding: raw chunks are decoded one after the other).
    """
    if fmt not in ("auto", "raw", "hexlog"):
        raise ValueError(f"fmt must be auto, raw or hexlog, got {fmt!r}")
    if fmt == "auto":
        if len(first) < SNIFF:
            first += stream.read(SNIFF - len(first))
        fmt = detect_format(first)
    chunks = (iter_raw_chunks(stream, chunk_bytes=chunk_bytes, first=first, total=total,
                              reuse_buffers=reuse_buffers, ahead=ahead) if fmt == "raw"
              else iter_hexlog_chunks(stream, chunk_bytes=chunk_bytes, first=first,
                                      threads=threads))
    return _decode_ahead(chunks, ahead) if ahead > 0 else chunks


_END = object()


def _decode_ahead(
    chunks: Iterator[DecodedChunk], depth: int
) -> Generator[DecodedChunk, None, None]:
    """``chunks`` drawn on a thread, at most ``depth`` ready ahead of the caller."""
    ready: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(_END)
        except BaseException as exc:  # handed to the caller
            put(exc)

    worker = threading.Thread(target=run, name="hazrisk-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


class Prefetch:
    """A read-only stream that reads ``block`` bytes ahead of its reader on a thread.

    Reads of the wrapped stream (e.g. a ``GzipFile``: zlib releases the GIL while inflating)
    then overlap with the decoding. At most ``depth`` blocks are held. An exception of the
    wrapped stream is raised by the read that reaches it; :meth:`close` stops the thread (the
    wrapped stream stays open: its owner closes it).
    """

    def __init__(self, stream: IO[bytes], block: int = 4 << 20, depth: int = 2) -> None:
        self.stream = stream
        self.block = block
        self.blocks: queue.Queue[bytes | BaseException] = queue.Queue(depth)
        self.pending = memoryview(b"")
        self.done = False
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hazrisk-prefetch", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                b = self.stream.read(self.block)
                self._put(b)
                if not b:
                    return
        except BaseException as exc:  # handed to the reader
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> None:
        while not self.stop.is_set():
            try:
                self.blocks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _next(self) -> bool:
        if self.done:
            return False
        while True:
            try:
                item = self.blocks.get(timeout=0.1)
                break
            except queue.Empty:
                if self.stop.is_set() or not self.thread.is_alive() and self.blocks.empty():
                    self.done = True
                    return False
        if isinstance(item, BaseException):
            self.done = True
            raise item
        if not item:
            self.done = True
            return False
        self.pending = memoryview(item)
        return True

    def read(self, n: int = -1) -> bytes:
        parts: list[memoryview] = []
        want = n if n is not None and n >= 0 else None
        got = 0
        while want is None or got < want:
            if not self.pending and not self._next():
                break
            k = len(self.pending) if want is None else min(len(self.pending), want - got)
            parts.append(self.pending[:k])  # copied once, by the join
            self.pending = self.pending[k:]
            got += k
        return b"".join(parts)

    def readinto(self, view: Any) -> int:
        out = memoryview(view).cast("B")
        got = 0
        while got < len(out):
            if not self.pending and not self._next():
                break
            k = min(len(self.pending), len(out) - got)
            out[got : got + k] = self.pending[:k]
            self.pending = self.pending[k:]
            got += k
        return got

    def close(self) -> None:
        self.stop.set()
        self.thread.join()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
