"""Open the warehouse: one DuckDB file, schema applied from ``sql/schema/NNN_*.sql``.

DuckDB allows one read-write process or many read-only ones. Ingest, registry import and
retention open the database read-write; readers use the published snapshot
(:mod:`hazrisk.store.publish`).

Times are ``TIMESTAMPTZ``; every connection sets ``TimeZone = 'Asia/Shanghai'`` so that days
are Beijing days (JT/T 808-2019 §4: BCD times are GMT+8).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

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
    base = resources.files("hazrisk.store").joinpath("sql", folder)
    out: list[SqlFile] = []
    for entry in base.iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            out.append(SqlFile(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    out.sort(key=lambda f: f.version)
    versions = [f.version for f in out]
    if len(set(versions)) != len(versions):
        raise StoreError(f"duplicate SQL file numbers in sql/{folder}: {versions}")
    return out


_NAME_RE = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)


@functools.cache
def sql_statements(file: str) -> dict[str, str]:
    """The named statements of ``sql/<file>`` (each introduced by a line ``-- name: <name>``;
    comments above a statement belong to it), by name."""
    text = resources.files("hazrisk.store").joinpath("sql", *file.split("/")).read_text(
        encoding="utf-8")
    parts = _NAME_RE.split(text)
    out: dict[str, str] = {}
    for i in range(1, len(parts), 2):
        if parts[i] in out:
            raise StoreError(f"sql/{file}: statement {parts[i]!r} defined twice")
        out[parts[i]] = parts[i + 1].strip().rstrip(";").strip()
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
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(files[0].text)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    done = {
        int(v)
        for (v,) in con.execute("SELECT version FROM meta.schema_migrations").fetchall()
    }
    for f in files:
        if f.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f.text)
            con.execute(
                "INSERT INTO meta.schema_migrations (version, name, sha256) VALUES ($v, $n, $s)",
                {"v": f.version, "n": f.name, "s": f.sha256},
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied_now.append(f.version)
    con.execute("BEGIN TRANSACTION")
    try:
        for f in view_files():
            con.execute(f.text)
        from hazrisk.store.mart_docs import apply_comments

        apply_comments(con)  # the views were just (re)created without their comments
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
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
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    if not read_only:
        apply_schema(con)
        recover(con)
    return con


#: Physical telematics tables (fixed whitelist), every row tagged with its source_file_id.
STORE_TABLES: tuple[str, ...] = (
    "store.positions", "store.alarms", "store.safety_events", "store.heartbeats",
    "store.registrations", "store.authentications", "store.param_answers",
    "store.text_messages", "store.multimedia", "store.raw_messages", "store.frames_rejected",
    "store.garbage_spans",
)


def delete_file_rows(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Remove every stored row of one file (an unfinished or failed ingest)."""
    for table in STORE_TABLES:
        con.execute(f"DELETE FROM {table} WHERE source_file_id = $f", {"f": file_id})


def recover(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Delete the rows of ingests that never finished (crash, kill); returns their file ids.

    Those rows were never visible (the views show committed files only); this reclaims them
    before the next writer uses the file ids again.
    """
    stale = [int(f) for (f,) in con.execute(
        "SELECT file_id FROM meta.ingest_in_progress ORDER BY file_id").fetchall()]
    for fid in stale:
        discard_unfinished(con, fid)
    return stale


def discard_unfinished(con: duckdb.DuckDBPyConnection, file_id: int) -> None:
    """Delete an unfinished file's stored rows and its ``meta.ingest_in_progress`` marker,
    in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        delete_file_rows(con, file_id)
        con.execute("DELETE FROM meta.ingest_in_progress WHERE file_id = $f", {"f": file_id})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def storage_table(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """The base table that holds the rows of a documented relation: ``schema.name`` itself
    when it is a table, else ``store.name`` (the ``core``/``raw``/``quarantine`` telematics
    relations are views over it showing committed files only; ``core.positions`` also joins
    its key tables). For loaders that write rows directly (benchmarks, test builders)."""
    schema, name = relation.split(".")
    for sch in (schema, "store"):
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s "
                       "AND table_name = $n", {"s": sch, "n": name}).fetchall()[0][0]:
            return f"{sch}.{name}"
    raise StoreError(f"no base table holds {relation}")
