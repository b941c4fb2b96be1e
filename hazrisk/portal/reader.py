"""Reading the published snapshot safely while ``hazrisk publish`` may replace it.

``hazrisk publish`` writes a new file beside the old one and renames it into place
(``os.replace``), so the path always names a complete snapshot. Each read here opens a fresh
in-memory DuckDB instance with the file attached READ_ONLY (:func:`hazrisk.snapshot.open_snapshot`;
a plain ``duckdb.connect(path)`` would hand back DuckDB's cached instance of the old file),
runs the query and closes. The file's
identity (inode, mtime, size) is taken before and after: when it changed in between, the read
is repeated, so every result is labelled with the snapshot it came from. A new snapshot
therefore shows up on the next read, without a restart, lock errors or half reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from hazrisk.snapshot import SnapshotError

T = TypeVar("T")

Version = tuple[int, int, int]


class SnapshotMissing(FileNotFoundError):
    """No published snapshot at the configured path."""


def version_of(path: Path) -> Version:
    """The identity of the file now at ``path``: (inode, mtime ns, size)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SnapshotMissing(f"{path}: 没有发布的快照 / no published snapshot "
                              "(run `hazrisk publish`)") from None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of :func:`hazrisk.snapshot.open_snapshot` (a fresh in-memory instance
    with the file attached read-only), closed on exit."""
    from hazrisk.snapshot import open_snapshot

    con = open_snapshot(path)
    try:
        yield con
    finally:
        con.close()


def read_consistent(path: Path, fn: Callable[[duckdb.DuckDBPyConnection], T],
                    attempts: int = 5) -> tuple[Version, T]:
    """``fn(con)`` on the snapshot, with the version it was read from."""
    last_error: Exception | None = None
    for _ in range(attempts):
        before = version_of(path)
        try:
            with connect(path) as con:
                result = fn(con)
        except (duckdb.IOException, SnapshotError) as exc:  # replaced between stat and open
            last_error = exc
            continue
        if version_of(path) == before:
            return before, result
    if last_error is not None:
        raise last_error
    raise RuntimeError(f"{path}: the snapshot kept changing during {attempts} reads")
