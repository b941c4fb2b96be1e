"""Opening the warehouse for the warehouse subcommands (:mod:`hazrisk.store.cli`) and
the lines they print.

``ingest`` and ``registry import`` create a new warehouse file when ``--db`` names none (in an
existing folder: :func:`open_or_create`) and remove it again when they stored nothing
(:func:`remove_new_warehouse`); ``retain``, ``publish`` and ``export`` open only an existing
hazrisk warehouse (:func:`existing_warehouse`). A DuckDB file of another application is
refused before anything opens it for writing (:func:`check_warehouse`), and none of them
writes to a published snapshot.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import duckdb

from hazrisk.cliutil import open_warehouse, to_json, usage, wrap_text
from hazrisk.store.connect import StoreError


def out(text: str) -> None:
    """A line of the table format, wrapped to the terminal."""
    sys.stdout.write(wrap_text(text) + "\n")


def out_json(obj: Any) -> None:
    """A command's JSON result on stdout."""
    sys.stdout.write(to_json(obj) + "\n")


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (its type when it has none)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_or_create(path: str | None, **kwargs: Any) -> Any:
    """The warehouse to write to: an existing one (never a published snapshot, a folder or a
    file that is not DuckDB; :func:`hazrisk.cliutil.open_warehouse` rules), or a new file in
    an existing folder. ``kwargs`` go to :func:`hazrisk.store.connect.connect`."""
    from hazrisk.cliutil import is_published_snapshot, require_path
    from hazrisk.store.connect import connect

    if not path:
        usage("--db FILE is required")
    p = Path(path)
    if p.exists():
        require_path(p)
        if is_published_snapshot(p):
            usage(f"{p}: is a published snapshot (read-only); give the warehouse that ingest "
                  "writes")
        check_warehouse(p)
    elif not p.parent.is_dir():
        usage(f"{p.parent}: no such folder (the warehouse {p.name} would be created there)")
    try:
        return connect(str(p), **kwargs)
    except (StoreError, duckdb.Error) as exc:
        usage(f"{p}: cannot open as a hazrisk warehouse ({first_line(exc)})")


def check_warehouse(path: Path) -> None:
    """Refuse (exit 2) a DuckDB file that is not a hazrisk warehouse, before anything opens it
    for writing: the schema is never added to another application's database."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        usage(f"{path}: cannot open as a hazrisk warehouse ({first_line(exc)})")
    try:
        from hazrisk.sqlfiles import has_relation

        n = has_relation(con, "meta", "schema_migrations")
    finally:
        con.close()
    if not n:
        usage(f"{path}: a DuckDB file that is not a hazrisk warehouse (no meta.schema_migrations);"
              " not changed")


def existing_warehouse(path: str | None, *, read_only: bool, command: str) -> Any:
    """:func:`hazrisk.cliutil.open_warehouse` for an existing hazrisk warehouse only."""
    if path and Path(path).is_file():
        from hazrisk.cliutil import is_published_snapshot

        if not is_published_snapshot(Path(path)):
            check_warehouse(Path(path))
    return open_warehouse(path, read_only=read_only, command=command)


def remove_new_warehouse(path: Path) -> None:
    """Delete a warehouse file this command created and stored nothing in."""
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(OSError):
            p.unlink()
