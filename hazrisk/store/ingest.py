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
  :data:`~hazrisk.store.decode_worker.WORKER_BYTES` is decoded in a worker process, chunk by
  chunk, while this process writes the chunks before (decoding and writing each cost about
  half of the CPU; in one process they shared one interpreter lock); smaller files here.
  Reading: :mod:`hazrisk.jt808.reader` (columnar positions and heartbeats, the codec's records
  for everything else, each frame decoded once; gzip read ahead on a thread). The database
  jobs run on the writer thread, a transaction per chunk
  (:class:`~hazrisk.store.chunk_writer.ChunkWriter`). This module only writes.
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
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk import __version__
from hazrisk.jt808 import BEIJING
from hazrisk.jt808.reader import DEFAULT_CHUNK
from hazrisk.sqlfiles import SqlFolder, transaction
from hazrisk.store.chunk_writer import ChunkWriter
from hazrisk.store.connect import discard_unfinished
from hazrisk.store.decode_worker import WORKER_BYTES, Decoding, Staging, start_worker
from hazrisk.store.ingest_report import FileSummary, IngestReport
from hazrisk.store.left_alone import record_left_alone
from hazrisk.store.messages import insert_rows
from hazrisk.store.positions import ChunkResult, append_positions
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
ProgressHook = Callable[[int, int], None]  # (bytes on disk done, frames done) increments


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
    done = False
    assigner: Assigner | None = None
    try:
        for path in sel.dumps:
            if assigner is None:  # the registry does not change during a run: read once
                assigner = Assigner(con)
            summary = ingest_file(con, path, chunk_bytes=chunk_bytes, progress=progress,
                                  validity=validity, assigner=assigner)
            report.files.append(summary)
            if on_file is not None:
                on_file(summary)
        done = True
    finally:
        try:
            con.execute(SQL["checkpoint_now"])
        except duckdb.Error:
            if done:  # otherwise the error that stopped the run is the one to see
                raise
    return report


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
    summary = FileSummary(str(path))
    t0 = time.perf_counter()
    hashing: Future[tuple[str, int]] | None = None
    try:
        size = _file_size(path)
        if _size_seen(con, size):  # may be a file already ingested: hash first
            sha, size = sha256_file(path)
        else:  # cannot be (same content, same size): hash while decoding
            hashing = _HASHER.submit(sha256_file, path)
            sha = PENDING_SHA
    except BadDumpError as exc:
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
    started = datetime.now().astimezone()
    (file_id,) = con.execute(SQL["next_file_id"]).fetchall()[0]
    summary.file_id = int(file_id)
    con.execute(
        SQL["mark_in_progress"],
        {"f": summary.file_id, "p": str(path), "s": sha, "t": started, "pid": os.getpid()},
    )
    try:
        _ingest_chunks(con, path, size, summary, chunk_bytes, progress, validity,
                       assigner or Assigner(con))
        if hashing is not None:
            sha, hashed_size = hashing.result()
            hashing = None
            summary.sha256 = sha
            if hashed_size != size:
                raise BadDumpError(f"{path}: changed while being ingested "
                                   f"({size:,} bytes, then {hashed_size:,})")
        summary.seconds = time.perf_counter() - t0
        with transaction(con):  # the file becomes visible, all at once
            _write_meta(con, path, sha, size, summary, started)
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
    summary.seconds = time.perf_counter() - t0
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


def _ingest_chunks(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    size: int,
    summary: FileSummary,
    chunk_bytes: int,
    progress: ProgressHook | None,
    validity: Validity,
    assigner: Assigner,
) -> None:
    """Decode and store a file, one transaction per chunk (memory does not grow with the
    file: DuckDB keeps a transaction's appends in memory until it commits). Nothing shows
    through the views until the caller commits the file's meta row."""
    assert summary.file_id is not None
    _, day = path_metadata(path)
    noon = (datetime(day.year, day.month, day.day, 12, tzinfo=BEIJING)
            if day is not None else None)
    staging = Staging(summary.file_id, assigner, noon, validity)
    with Decoding(path, staging, chunk_bytes=chunk_bytes,
                  in_worker=size >= WORKER_BYTES) as decoding:
        summary.compressed = decoding.gz
        summary.format = decoding.format
        with ChunkWriter() as writer:
            reported = 0
            terminals: dict[str, int] = {}  # phone -> term_key, for this file's chunks
            for chunk in decoding:
                writer.begin(con)
                for table, rows in chunk.tables:
                    writer.submit(functools.partial(insert_rows, con, table, rows))
                if chunk.positions is not None:
                    writer.submit(functools.partial(
                        _append_job, con, summary, chunk.positions, chunk.items_for,
                        terminals))
                writer.commit()
                if progress:
                    progress(max(chunk.disk - reported, 0), chunk.frames)
                    reported = max(chunk.disk, reported)
        if progress and size > reported:
            progress(size - reported, 0)
    end = decoding.end
    assert end is not None
    if end.bad_gzip:
        raise BadDumpError(f"{path}: truncated or corrupt gzip ({end.bad_gzip})")
    rejected = Counter(end.rejected)
    if end.broken:  # a gzip that broke off: keep what was read,
        _quarantine_unreadable(con, summary.file_id, end.produced)  # quarantine the rest
        rejected["bad_gzip"] += 1
        summary.warnings.append(f"{path}: {end.broken} (quarantined as bad_gzip)")
    summary.frames_ok = end.frames_ok
    summary.rejected = dict(rejected)
    summary.garbage_bytes = end.garbage_bytes
    summary.tables = dict(end.table_rows)
    summary.tables["garbage_spans"] = end.garbage_spans
    summary.duplicates = summary.positions - summary.positions_stored
    if size > 0 and summary.frames_ok == 0:
        raise BadDumpError(
            f"{path}: no valid JT/T 808 frame found in {size:,} bytes "
            f"({sum(rejected.values()):,} rejected candidates, "
            f"{end.garbage_bytes:,} garbage bytes): wrong format? expected a raw capture "
            "or a gateway hex log, optionally gzip")
    summary.unknown_terminals = [
        p for (p,) in con.execute(
            SQL["unknown_terminals"],
            {"f": summary.file_id},
        ).fetchall()
    ]


def _quarantine_unreadable(con: duckdb.DuckDBPyConnection, file_id: int, offset: int) -> None:
    """One ``bad_gzip`` rejected-frame row where a compressed stream became unreadable (length
    0: no decompressed byte belongs to it); like every row of the file it shows once the
    file commits."""
    with transaction(con):
        con.execute(SQL["quarantine_unreadable"], {"f": file_id, "o": offset})


def _append_job(con: duckdb.DuckDBPyConnection, summary: FileSummary, staged: pa.Table,
                lookup: Any, terminals: dict[str, int]) -> None:
    _add(summary, append_positions(con, staged, items_for=lookup, terminals=terminals))


def _add(summary: FileSummary, res: ChunkResult) -> None:
    summary.positions += res.decoded
    summary.positions_stored += res.stored
    summary.alarms += res.alarms
    summary.safety_events += res.safety_events


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
