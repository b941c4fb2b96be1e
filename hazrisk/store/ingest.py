"""``hazrisk ingest PATH...``: JT/T 808 dumps into the warehouse, one transaction per file.

- **Idempotent**: a file whose content hash (sha256 of its bytes) is already in
  ``meta.ingested_files`` is skipped, and the summary says so.
- **Atomic per file**: a file is written into ``store.*`` one transaction per chunk (so memory
  does not grow with the file), marked in ``meta.ingest_in_progress``; it becomes visible all
  at once when its ``meta.ingested_files`` row commits (the ``core``/``raw``/``quarantine``
  views show committed files only). A crash or kill mid-file leaves nothing visible; the next
  read-write connect deletes the unfinished rows (:func:`hazrisk.store.connect.recover`) and a
  rerun ingests the file exactly once.
- **Decoding** (:mod:`hazrisk.store.decode_worker`): a file from
  :data:`~hazrisk.store.decode_worker.WORKER_BYTES` is decoded and staged in a worker
  process, chunk by chunk, while this process writes the chunks before
  (:mod:`hazrisk.store.file_chunks`, on the writer thread, a transaction per chunk:
  :class:`~hazrisk.store.chunk_writer.ChunkWriter`); smaller files here. Reading:
  :mod:`hazrisk.jt808.reader`. **Files back to back**: once the worker has decoded a file's
  last chunk, the next file is started (its size, hash, id, marked in progress, on a second
  connection) and its first chunks asked of the worker while this file's last chunks and
  meta row are written (only a file that cannot be a copy of one ingested: none of the same
  size; else it is started in turn, hashed first).
- **Positions** deduplicated on (terminal, device time, coordinates) and resolved to vehicles:
  :mod:`hazrisk.store.positions`.
- A bad file (unreadable, truncated or corrupt gzip, no JT/T 808 frames at all) is rolled back
  with an error naming it, recorded in ``meta.ingest_errors``; the other files go on.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from hazrisk import __version__
from hazrisk.jt808 import BEIJING
from hazrisk.jt808.reader import DEFAULT_CHUNK
from hazrisk.sqlfiles import SqlFolder, transaction
from hazrisk.store.connect import discard_unfinished
from hazrisk.store.decode_worker import WORKER_BYTES, Decoding, Staging, start_worker
from hazrisk.store.file_chunks import ProgressHook, write_chunks
from hazrisk.store.ingest_report import FileSummary, IngestReport
from hazrisk.store.left_alone import record_left_alone
from hazrisk.store.resolve import Assigner
from hazrisk.store.sources import (
    BadDumpError,
    path_metadata,
    select_files,
    sha256_file,
)
from hazrisk.store.validity_flags import record_file as record_validity
from hazrisk.validity import Validity
from hazrisk.worker_process import WorkerError

#: The named statements of ``sql/ingest/files.sql``.
SQL = SqlFolder("hazrisk.store", "sql/ingest").statements("files")


# --------------------------------------------------------------------------------------------


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | os.PathLike[str]],
    *,
    chunk_bytes: int = DEFAULT_CHUNK,
    progress: ProgressHook | None = None,
    on_file: Callable[[FileSummary], None] | None = None,
    validity: Validity | None = None,
) -> IngestReport:
    """Ingest every dump named by ``paths`` (files, folders, globs); the quality flags under
    ``validity`` (default: the default rules', :mod:`hazrisk.validity`)."""
    sel = select_files(paths)
    report = IngestReport(left_alone=[str(p) for p in sel.left_alone], missing=sel.missing)
    record_left_alone(con, report.left_alone, "ingest")
    if any(_file_size_or_zero(p) >= WORKER_BYTES for p in sel.dumps):
        start_worker()  # it starts while this process looks at the first file
    con.execute(SQL["defer_checkpoints"])
    validity = validity or Validity.from_rules()
    dumps = sel.dumps
    done = False
    nxt: list[_Started] = []  # the next file, started while this one is written
    try:
        assigner = Assigner(con) if dumps else None  # the registry stays as it is: read once
        for i, path in enumerate(dumps):
            assert assigner is not None
            st = nxt.pop() if nxt else _start(
                con, path, validity=validity, assigner=assigner, chunk_bytes=chunk_bytes,
                progress=progress)
            assert st is not None  # (None only ahead)
            if isinstance(st, FileSummary):  # skipped or unreadable
                summary = st
            else:
                later = dumps[i + 1] if i + 1 < len(dumps) else None
                summary = _finish(con, st, progress, when_decoded=None if later is None else
                                  functools.partial(_start_next, con, later, st, nxt,
                                                    validity, assigner, chunk_bytes))
            report.files.append(summary)
            if on_file is not None:
                on_file(summary)
        done = True
    finally:
        for st in nxt:  # a run stopped by an error: the next file was not written
            st.drop(con)
        try:
            con.execute(SQL["checkpoint_now"])
        except duckdb.Error:
            if done:  # otherwise the error that stopped the run is the one to see
                raise
    return report


def _start_next(con: duckdb.DuckDBPyConnection, path: Path, now: _Started,
                out: list[_Started], validity: Validity, assigner: Assigner,
                chunk_bytes: int) -> None:
    """Start ``path`` while ``now``'s last chunks are written (the worker, done with ``now``,
    decodes its first chunks meanwhile): only a file the worker decodes that cannot be a copy
    of one ingested (no ingested file or ``now`` has its size); else, or on any error, it is
    started in turn as usual. On a second connection of the database (the writer uses this
    one)."""
    try:
        size = path.stat().st_size
        if size < WORKER_BYTES or size == now.size:
            return
        with con.cursor() as cur:
            st = _start(cur, path, validity=validity, assigner=assigner,
                        chunk_bytes=chunk_bytes, progress=None, ahead=True)
    except Exception:  # noqa: BLE001 - started in turn, where errors are reported
        return
    if not isinstance(st, _Started):
        return
    try:
        st.open().ask_ahead()
    except Exception:  # noqa: BLE001 - opened again in turn, where errors are reported
        st.decoding = None
    out.append(st)


def total_bytes(paths: Iterable[str | os.PathLike[str]]) -> int:
    """On-disk size of the dumps ``paths`` select (for a progress bar)."""
    total = 0
    for p in select_files(paths).dumps:
        with contextlib.suppress(OSError):
            total += p.stat().st_size
    return total


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    chunk_bytes: int = DEFAULT_CHUNK,
    progress: ProgressHook | None = None,
    validity: Validity | None = None,
    assigner: Assigner | None = None,
) -> FileSummary:
    """Ingest one dump file in one transaction (see the module docstring); ``assigner``: the
    registry's assignments (:class:`~hazrisk.store.resolve.Assigner`; read here if None)."""
    validity = validity or Validity.from_rules()
    started = _start(con, path, validity=validity, assigner=assigner or Assigner(con),
                     chunk_bytes=chunk_bytes, progress=progress)
    if isinstance(started, FileSummary):
        return started
    assert started is not None  # (None only ahead)
    return _finish(con, started, progress)


@dataclass
class _Started:
    """A file marked in progress under its id, its decoding opened (see :func:`_start`)."""

    path: Path
    size: int
    summary: FileSummary
    sha: str
    hashing: Future[tuple[str, int]] | None
    started: datetime
    t0: float
    staging: Staging
    chunk_bytes: int
    decoding: Decoding | None = None

    def open(self) -> Decoding:
        if self.decoding is None:
            self.decoding = Decoding(self.path, self.staging, chunk_bytes=self.chunk_bytes,
                                     in_worker=self.size >= WORKER_BYTES)
        return self.decoding

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Give the file up (nothing of it was written): its decoding and its mark."""
        if self.decoding is not None:
            with contextlib.suppress(Exception):
                self.decoding.close()
        with contextlib.suppress(Exception):
            _abort(con, self.staging.file_id)
        if self.hashing is not None:
            with contextlib.suppress(BaseException):
                self.hashing.result()


def _start(con: duckdb.DuckDBPyConnection, path: Path, *, validity: Validity,
           assigner: Assigner, chunk_bytes: int, progress: ProgressHook | None,
           ahead: bool = False) -> _Started | FileSummary | None:
    """A file's first steps: its size, its hash first if a file of that size was ingested
    (then maybe skipped), an id, marked in progress. A :class:`FileSummary` when it ends
    there (skipped, unreadable). ``ahead``: for the next file while this one is written
    (:func:`ingest_paths`): None instead of anything but a file to decode."""
    summary = FileSummary(str(path))
    t0 = time.perf_counter()
    hashing: Future[tuple[str, int]] | None = None
    try:
        size = _file_size(path)
        if _size_seen(con, size):  # may be a file already ingested: hash first
            if ahead:
                return None
            sha, size = sha256_file(path)
        else:  # cannot be (same content, same size): hash while decoding
            hashing = _HASHER.submit(sha256_file, path)
            sha = PENDING_SHA
    except BadDumpError as exc:
        if ahead:
            return None
        summary.error = str(exc)
        _record_error(con, path, None, summary.error)
        return summary
    if hashing is None:
        summary.sha256 = sha
        skipped = _skip_if_done(con, summary, sha)
        if skipped:
            if progress:
                progress(size, 0)
            return summary
    _, day = path_metadata(path)
    noon = (datetime(day.year, day.month, day.day, 12, tzinfo=BEIJING)
            if day is not None else None)
    started = datetime.now().astimezone()  # nothing can fail once the file is marked
    (file_id,) = con.execute(SQL["next_file_id"]).fetchall()[0]
    summary.file_id = int(file_id)
    con.execute(
        SQL["mark_in_progress"],
        {"f": summary.file_id, "p": str(path), "s": sha, "t": started, "pid": os.getpid()},
    )
    return _Started(path, size, summary, sha, hashing, started, t0,
                    Staging(summary.file_id, assigner, noon, validity), chunk_bytes)


def _finish(con: duckdb.DuckDBPyConnection, st: _Started, progress: ProgressHook | None,
            when_decoded: Callable[[], None] | None = None) -> FileSummary:
    """Decode and write a started file, then commit its meta row (it becomes visible);
    ``when_decoded``: called once the worker has decoded the file's last chunk."""
    summary, path, hashing, sha = st.summary, st.path, st.hashing, st.sha
    assert summary.file_id is not None
    validity = st.staging.validity
    try:
        write_chunks(con, path, st.open(), st.size, summary, progress, when_decoded)
        if hashing is not None:
            sha, hashed_size = hashing.result()
            hashing = None
            summary.sha256 = sha
            if hashed_size != st.size:
                raise BadDumpError(f"{path}: changed while being ingested "
                                   f"({st.size:,} bytes, then {hashed_size:,})")
        summary.seconds = time.perf_counter() - st.t0
        with transaction(con):  # the file becomes visible, all at once
            _write_meta(con, path, sha, st.size, summary, st.started)
            record_validity(con, summary.file_id, validity)
            con.execute(SQL["unmark_in_progress"], {"f": summary.file_id})
    except (BadDumpError, OSError, EOFError, WorkerError) as exc:
        # (a worker process that died: this file fails, the next one gets a new worker)
        _abort(con, summary.file_id)
        summary.error = str(exc) if isinstance(exc, BadDumpError) else f"{path}: {exc}"
        _record_error(con, path, summary.sha256, summary.error)
    except BaseException:
        with contextlib.suppress(Exception):
            _abort(con, summary.file_id)
        raise
    finally:
        if hashing is not None:
            with contextlib.suppress(BaseException):
                hashing.result()
    summary.seconds = time.perf_counter() - st.t0
    return summary


#: ``meta.ingest_in_progress.sha256`` of a file whose hash is still being computed.
PENDING_SHA = "(hashing)"
#: Hashes files in the background (hashlib releases the GIL on large blocks).
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hazrisk-sha256")


def _file_size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # named by ingest_file when it gets there


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise BadDumpError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _size_seen(con: duckdb.DuckDBPyConnection, size: int) -> bool:
    """Whether an ingested file has this size (only then can the content be the same: the
    hash is needed before deciding to skip; otherwise it is computed while decoding)."""
    return bool(con.execute(SQL["size_seen"], {"s": size}).fetchall()[0][0])


def _skip_if_done(con: duckdb.DuckDBPyConnection, summary: FileSummary, sha: str) -> bool:
    done = con.execute(SQL["ingested_with_sha"], {"s": sha}).fetchall()
    if not done:
        return False
    # Nothing is ingested by this run: the counts stay 0 (they are in meta.ingested_files).
    fid, first_path, when = done[0][:3]
    summary.skipped = True
    summary.file_id = int(fid)
    summary.skip_reason = (
        f"already ingested (same sha256 as {first_path}, file_id {fid}, "
        f"{when:%Y-%m-%d %H:%M})"
    )
    return True


def _abort(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Undo an unfinished file: its stored rows, its marker (its open chunk transaction was
    rolled back when the writer stopped: :class:`~hazrisk.store.chunk_writer.ChunkWriter`)."""
    discard_unfinished(con, file_id)


def _record_error(con: duckdb.DuckDBPyConnection, path: Path, sha: str | None, error: str) -> None:
    con.execute(
        SQL["record_error"],
        {"p": str(path), "s": sha, "e": error},
    )


def _write_meta(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    sha: str,
    size: int,
    s: FileSummary,
    started: datetime,
) -> None:
    provider, day = path_metadata(path)
    finished = datetime.now().astimezone()
    con.execute(
        SQL["insert_ingested_file"],
        {
            "file_id": s.file_id, "path": str(path.resolve()), "sha": sha, "size": size,
            "format": s.format or "raw", "compressed": s.compressed, "provider": provider,
            "day": day, "frames_ok": s.frames_ok, "frames_rejected": sum(s.rejected.values()),
            "garbage_bytes": s.garbage_bytes, "garbage_spans": s.tables.get("garbage_spans", 0),
            "positions": s.positions, "positions_stored": s.positions_stored,
            "duplicates": s.duplicates, "unknown": len(s.unknown_terminals),
            "started": started, "finished": finished, "duration": s.seconds,
            "version": __version__,
        },
    )
    for reason, n in sorted(s.rejected.items()):
        con.execute(
            SQL["insert_file_rejects"],
            {"f": s.file_id, "r": reason, "n": n},
        )
