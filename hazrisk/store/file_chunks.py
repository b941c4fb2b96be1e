"""A file's decoded chunks written: one transaction per chunk, on the writer thread.

The chunks come staged from where the file was decoded (:mod:`hazrisk.store.decode_worker`);
here their record tables are appended (:func:`~hazrisk.store.messages.insert_rows`), their
positions deduplicated against the store and appended
(:func:`~hazrisk.store.positions.append_positions`), each chunk one transaction of
:class:`~hazrisk.store.chunk_writer.ChunkWriter`; a gzip stream that broke off is
quarantined, and the file's counts go into its :class:`~hazrisk.store.ingest_report.FileSummary`.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.sqlfiles import SqlFolder, transaction
from hazrisk.store.chunk_writer import ChunkWriter
from hazrisk.store.decode_worker import Decoding
from hazrisk.store.ingest_report import FileSummary
from hazrisk.store.messages import insert_rows
from hazrisk.store.positions import HELD, ChunkResult, append_positions, insert_staged
from hazrisk.store.row_groups import RowGroupCarry
from hazrisk.store.sources import BadDumpError

#: The named statements of ``sql/ingest/files.sql``.
SQL = SqlFolder("hazrisk.store", "sql/ingest").statements("files")
ProgressHook = Callable[[int, int], None]  # (bytes on disk done, frames done) increments


def write_chunks(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    decoding: Decoding,
    size: int,
    summary: FileSummary,
    progress: ProgressHook | None,
    when_decoded: Callable[[], None] | None,
) -> None:
    """Store a file's decoded chunks, one transaction per chunk (memory does not grow with the
    file: DuckDB keeps a transaction's appends in memory until it commits), and its counts in
    ``summary``. Each chunk appends whole row groups of each table, the rest is held for the
    next (:mod:`hazrisk.store.row_groups`), and a last transaction appends what is held.
    Nothing shows through the views until the caller commits the file's meta row.
    ``when_decoded``: called once the last chunk has been decoded (before the last chunks
    are written)."""
    assert summary.file_id is not None
    with decoding:
        summary.compressed = decoding.gz
        summary.format = decoding.format
        with ChunkWriter() as writer:
            reported = 0
            terminals: dict[str, int] = {}  # phone -> term_key, for this file's chunks
            carry = RowGroupCarry()  # (used on the writer thread only)
            for chunk in decoding:
                writer.begin(con)
                for table, rows in chunk.tables:
                    writer.submit(functools.partial(_insert_job, con, carry, table, rows))
                if chunk.positions is not None:
                    writer.submit(functools.partial(
                        _append_job, con, summary, chunk.positions, chunk.items_for,
                        terminals, carry))
                writer.commit()
                if progress:
                    progress(max(chunk.disk - reported, 0), chunk.frames)
                    reported = max(chunk.disk, reported)
            if when_decoded is not None:  # while the last chunks are written
                when_decoded()
            writer.begin(con)  # the rows held back, in the file's last transaction
            writer.submit(functools.partial(_drain_job, con, carry))
            writer.commit()
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
                lookup: Any, terminals: dict[str, int], carry: RowGroupCarry) -> None:
    _add(summary, append_positions(con, staged, items_for=lookup, terminals=terminals,
                                   carry=carry))


def _insert_job(con: duckdb.DuckDBPyConnection, carry: RowGroupCarry, table: str,
                rows: pa.Table) -> None:
    """A record table's rows of a chunk: whole row groups now, the rest held."""
    now = carry.split(table, rows)
    if now.num_rows:
        insert_rows(con, table, now)


def _drain_job(con: duckdb.DuckDBPyConnection, carry: RowGroupCarry) -> None:
    """Append everything the file's chunks held back."""
    for table, rows in carry.drain():
        if table == HELD:
            insert_staged(con, rows)
        else:
            insert_rows(con, table, rows)


def _add(summary: FileSummary, res: ChunkResult) -> None:
    summary.positions += res.decoded
    summary.positions_stored += res.stored
    summary.alarms += res.alarms
    summary.safety_events += res.safety_events
