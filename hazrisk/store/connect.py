"""Open the warehouse: one DuckDB file, schema applied from ``sql/schema/NNN_*.sql``.

DuckDB allows one read-write process or many read-only ones. Ingest, registry import and
retention open the database read-write; readers use the published snapshot
(:mod:`hazrisk.store.publish`).

Times are ``TIMESTAMPTZ``; every connection sets the session ``TimeZone`` to Beijing time
(conf ``[period] timezone``, :func:`hazrisk.sqlfiles.set_timezone`) so that days are Beijing
days (JT/T 808-2019 §4: BCD times are GMT+8). The SQL itself does not rely on the session
zone: it says ``core.local_day(t)`` (macros stored in the warehouse,
:func:`hazrisk.localtime.install_macros`, recreated from conf on every read-write connect).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hazrisk.localtime import install_macros
from hazrisk.sqlfiles import SqlFolder, set_timezone, transaction

_sql = SqlFolder("hazrisk.store")
_MIGRATION_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class StoreError(RuntimeError):
    """A warehouse operation that cannot proceed; the message names the file or table."""


@dataclass(frozen=True)
class SqlFile:
    version: int
    name: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _sql_files(folder: str) -> list[SqlFile]:
    files = SqlFolder("hazrisk.store", f"sql/{folder}")
    out: list[SqlFile] = []
    for name in files.names():
        m = _MIGRATION_RE.match(f"{name}.sql")
        if m:
            out.append(SqlFile(int(m.group(1)), m.group(2), files.text(name)))
    out.sort(key=lambda f: f.version)
    versions = [f.version for f in out]
    if len(set(versions)) != len(versions):
        raise StoreError(f"duplicate SQL file numbers in sql/{folder}: {versions}")
    return out


def schema_files() -> list[SqlFile]:
    """The numbered DDL files, in order."""
    return _sql_files("schema")


def view_files() -> list[SqlFile]:
    """The view/macro files, in order (recreated on every read-write connect)."""
    return _sql_files("views")


def apply_schema(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the DDL files not yet recorded in ``meta.schema_migrations``; (re)create views.

    Returns the versions applied now. Each file runs in its own transaction together with its
    bookkeeping row, so a failure leaves the database at the previous version.
    """
    applied_now: list[int] = []
    files = schema_files()
    # 000 creates meta.schema_migrations itself; it is idempotent (IF NOT EXISTS).
    with transaction(con):
        con.execute(files[0].text)
    done = {int(v) for (v,) in _sql.run(con, "connect", "applied_versions").fetchall()}
    for f in files:
        if f.version in done:
            continue
        with transaction(con):
            con.execute(f.text)
            _sql.run(con, "connect", "record_migration",
                     {"version": f.version, "name": f.name, "sha256": f.sha256})
        applied_now.append(f.version)
    with transaction(con):
        install_macros(con)  # core.local_day & co., which the views use
        for f in view_files():
            con.execute(f.text)
        from hazrisk.store.mart_docs import apply_comments

        apply_comments(con)  # the views were just (re)created without their comments
    return applied_now


def connect(
    path: str | os.PathLike[str] = ":memory:",
    *,
    read_only: bool = False,
    threads: int | None = None,
    memory_limit: str | None = None,
    lock_wait_s: float | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and when writable, create or migrate) the warehouse at ``path``.

    ``threads`` / ``memory_limit`` default to DuckDB's own unless ``HAZRISK_DUCKDB_THREADS``
    / ``HAZRISK_DUCKDB_MEMORY`` are set.

    DuckDB admits one writing process or many reading ones. A writer that finds the file
    locked by another process (say a ``publish`` copying the mart) waits up to
    ``lock_wait_s`` seconds (default ``$HAZRISK_LOCK_WAIT_S`` or 60) before giving up; a
    reader fails at once, so ``publish`` says plainly that an ingest is running.
    """
    target = str(path)
    if target != ":memory:":
        p = Path(target)
        if read_only and not p.exists():
            raise StoreError(f"{target}: no such database")
        if not read_only:
            p.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {}
    threads = threads or _env_int("HAZRISK_DUCKDB_THREADS")
    if threads:
        config["threads"] = threads
    memory_limit = memory_limit or os.environ.get("HAZRISK_DUCKDB_MEMORY")
    if memory_limit:
        config["memory_limit"] = memory_limit
    if lock_wait_s is None:
        lock_wait_s = 0.0 if read_only else float(os.environ.get("HAZRISK_LOCK_WAIT_S", "60"))
    deadline = time.monotonic() + lock_wait_s
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(target, read_only=read_only, config=config)
            break
        except duckdb.Error as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + delay > deadline:
                raise StoreError(f"{target}: cannot open database: {exc}") from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    set_timezone(con)
    if not read_only:
        apply_schema(con)
        recover(con)
    return con


#: Physical telematics tables, every row tagged with its source_file_id (each with its
#: ``forget_file_<name>`` statement in ``sql/connect.sql``).
STORE_TABLES: tuple[str, ...] = (
    "store.positions", "store.alarms", "store.safety_events", "store.heartbeats",
    "store.registrations", "store.authentications", "store.param_answers",
    "store.text_messages", "store.multimedia", "store.raw_messages", "store.frames_rejected",
    "store.garbage_spans",
)


def delete_file_rows(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Remove every stored row of one file (an unfinished or failed ingest)."""
    for table in STORE_TABLES:
        _sql.run(con, "connect", "forget_file_" + table.removeprefix("store."), {"f": file_id})


def recover(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Delete the rows of ingests that never finished (crash, kill); returns their file ids.

    Those rows were never visible (the views show committed files only); this reclaims them
    before the next writer uses the file ids again.
    """
    stale = [int(f) for (f,) in _sql.run(con, "connect", "unfinished_ingests").fetchall()]
    for fid in stale:
        discard_unfinished(con, fid)
    return stale


def discard_unfinished(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Delete an unfinished file's stored rows and its ``meta.ingest_in_progress`` marker,
    in one transaction."""
    with transaction(con):
        delete_file_rows(con, file_id)
        _sql.run(con, "connect", "forget_unfinished", {"file_id": file_id})


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None
