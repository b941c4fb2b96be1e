"""The one command-line grammar every ``hazrisk`` subcommand speaks.

Every subcommand builds its options from these helpers so that dates, output formats, exit
codes and error messages mean the same thing everywhere:

- **Dates**: ``--period`` (``YYYY-MM``, ``YYYY-MM-DD``, ``A..B`` of days or months, or the
  days of ``YYYY-Qn``, ``YYYY-Www``, ``YYYY``: :class:`hazrisk.period.Period`) or
  ``--start/--end``; both inclusive Beijing days (:func:`add_period_arguments`, :func:`period_from_args`).
- **Output**: ``--format table|csv|json`` (``--json`` is an alias of ``--format json``);
  JSON indented by 2, UTF-8, ``ensure_ascii=False``; CSV with a UTF-8 BOM so that Excel on
  Chinese Windows opens it (``--csv-encoding`` to choose another); tables width-aware
  (:func:`emit`; the printing itself is :mod:`hazrisk.cli_output`, re-exported here).
- **Exit codes**: :data:`EXIT_OK` 0 success; :data:`EXIT_FAILED` 1 the work failed or found
  nothing it was asked for; :data:`EXIT_USAGE` 2 usage, or input that cannot be opened.
- **Errors**: raise :class:`CliError` (or call :func:`fail`); ``hazrisk.cli.main`` prints one
  line ``hazrisk <command>: <message>`` on stderr and returns its code. No traceback reaches
  a user (``HAZRISK_DEBUG=1`` shows it for developers).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, overload

from hazrisk.cli_output import (  # re-exported: the grammar's one import path
    display_width,
    emit,
    terminal_width,
    to_json,
    wrap_text,
    write_table,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from hazrisk.period import Period

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

FORMATS = ("table", "csv", "json")


class CliError(Exception):
    """An error for the user: one line, no traceback, a documented exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Stop the command with a one-line message and exit code (default 1: the work failed)."""
    raise CliError(message, code)


def usage(message: str) -> NoReturn:
    """Stop the command: wrong usage or input that cannot be opened (exit 2)."""
    raise CliError(message, EXIT_USAGE)


# --- options --------------------------------------------------------------------------------
def add_db_argument(p: argparse.ArgumentParser, *, required: bool = True,
                    help: str = "warehouse DuckDB file / 数据仓库文件") -> None:
    """``--db FILE``; checked by :func:`open_warehouse` (an argparse ``required`` would fire
    before nested subcommands such as ``explain`` could be reached)."""
    p.add_argument("--db", metavar="FILE", required=False, help=help + (" (required)" if required else ""))
    p.set_defaults(_db_required=required)


def add_period_arguments(p: argparse.ArgumentParser) -> None:
    """``--period`` or ``--start/--end``: inclusive Beijing days."""
    p.add_argument("--period", metavar="PERIOD",
                   help="统计期 a month YYYY-MM, a day YYYY-MM-DD, A..B (days or months, "
                        "inclusive), or the days of YYYY-Qn, YYYY-Www, YYYY")
    p.add_argument("--start", metavar="DATE", help="first Beijing day YYYY-MM-DD (with --end)")
    p.add_argument("--end", metavar="DATE", help="last Beijing day YYYY-MM-DD, inclusive")


@overload
def period_from_args(args: argparse.Namespace) -> Period: ...
@overload
def period_from_args(args: argparse.Namespace, *, required: Literal[True]) -> Period: ...
@overload
def period_from_args(args: argparse.Namespace, *, required: bool) -> Period | None: ...
def period_from_args(args: argparse.Namespace, *, required: bool = True) -> Period | None:
    """The period of ``--period`` or ``--start/--end``; ``None`` when neither is given and
    the period is optional. Raises :class:`CliError` (exit 2) on a bad or missing period."""
    from hazrisk.period import Period, PeriodError

    text = getattr(args, "period", None)
    start = getattr(args, "start", None)
    end = getattr(args, "end", None)
    try:
        if text and (start or end):
            usage("give --period or --start/--end, not both")
        if text:  # a quarter, week or year is its range of days here
            return Period.parse(str(text)).as_days()
        if start and end:
            return Period.between(str(start), str(end))
        if start or end:
            usage("--start and --end go together (both inclusive Beijing days)")
    except PeriodError as exc:
        usage(str(exc))
    if required:
        usage("give --period YYYY-MM (or a day, or A..B) or --start DATE --end DATE")
    return None


def add_format_argument(p: argparse.ArgumentParser, *, default: str = "table",
                        choices: Sequence[str] = FORMATS) -> None:
    """``--format table|csv|json`` and the ``--json`` alias."""
    p.add_argument("--format", choices=tuple(choices), default=None,
                   help=f"output format (default {default}); csv is UTF-8 with BOM for Excel")
    p.add_argument("--json", dest="_json_alias", action="store_true",
                   help="same as --format json")
    p.add_argument("--columns", metavar="A,B", default=None,
                   help="table: only these columns (csv/json always hold all)")
    p.set_defaults(_format_default=default)


def output_format(args: argparse.Namespace) -> str:
    """The chosen output format (``--json`` wins over the default, not over ``--format``)."""
    fmt = getattr(args, "format", None)
    if getattr(args, "_json_alias", False):
        if fmt not in (None, "json"):
            usage(f"--json contradicts --format {fmt}")
        return "json"
    return str(fmt or getattr(args, "_format_default", "table"))


# --- warehouse ------------------------------------------------------------------------------
def require_path(path: str | os.PathLike[str] | None, what: str = "--db") -> Path:
    if not path:
        usage(f"{what} FILE is required")
    p = Path(path)
    if not p.exists():
        usage(f"{p}: no such file")
    if p.is_dir():
        usage(f"{p}: is a folder, expected a DuckDB file")
    return p


def is_published_snapshot(path: Path) -> bool:
    """True when ``path`` is a snapshot written by ``hazrisk publish`` (read without locking
    or writing it)."""
    return _has_published_mark(path, "mart")


def is_restricted_publication(path: Path) -> bool:
    """True when ``path`` is the restricted publication ``hazrisk publish`` writes beside a
    snapshot (:mod:`hazrisk.store.restricted`; read without locking or writing it)."""
    return _has_published_mark(path, "restricted")


def _has_published_mark(path: Path, schema: str) -> bool:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False
    try:
        from hazrisk.sqlfiles import has_relation

        return has_relation(con, schema, "_published")
    finally:
        con.close()


def open_warehouse(path: str | os.PathLike[str] | None, *, read_only: bool = False,
                   command: str = "") -> duckdb.DuckDBPyConnection:
    """Open an existing warehouse: a missing file, a folder, a file that is not DuckDB or a
    published snapshot give a :class:`CliError` (exit 2); the file is never created."""
    import duckdb

    from hazrisk.store.connect import StoreError, connect

    p = require_path(path)
    if is_published_snapshot(p):
        usage(f"{p}: is a published snapshot (read-only); give the warehouse that ingest writes")
    if is_restricted_publication(p):
        usage(f"{p}: is a restricted publication (read-only); give the warehouse that ingest "
              "writes")
    try:
        return connect(str(p), read_only=read_only) if read_only else connect(str(p))
    except (duckdb.Error, StoreError) as exc:
        usage(f"{p}: cannot open as a hazrisk warehouse ({_first_line(exc)})")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def table_columns(args: argparse.Namespace, default: Sequence[str]) -> list[str]:
    """The columns a table shows: ``--columns`` when given, else ``default``."""
    chosen = getattr(args, "columns", None)
    if chosen:
        return [c.strip() for c in str(chosen).split(",") if c.strip()]
    return list(default)


# --- output folders -------------------------------------------------------------------------
def prepare_output_dir(path: str | os.PathLike[str], *, made_by_us: Callable[[Path], bool],
                       force: bool = False, command: str = "") -> Path:
    """Check that ``path`` may receive a command's output folder, and create it.

    Allowed without ``force``: a folder that does not exist yet, an empty folder, or one
    ``made_by_us`` recognises (a marker the command itself wrote). A file, a folder that
    cannot be created or written, or (without ``force``) a folder holding other things give
    a :class:`CliError` (exit 2). Nothing is deleted here.
    """
    p = Path(path)
    who = f"hazrisk {command}" if command else "hazrisk"
    if p.exists() and not p.is_dir():
        usage(f"{p}: is a file, expected an output folder")
    if p.is_dir() and not force and any(p.iterdir()) and not made_by_us(p):
        usage(f"{p}: folder is not empty and was not made by {who}; give a new or empty "
              "folder, or --force to write into it (other files are kept)")
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / f".hazrisk-write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        usage(f"{p}: cannot write here ({exc.strerror or exc})")
    return p


def write_atomic_text(path: Path, text: str) -> None:
    """Write a text file via a temporary sibling and rename (no half-written file)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


__all__ = [
    "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "FORMATS", "CliError", "add_db_argument",
    "add_format_argument", "add_period_arguments", "display_width", "emit", "fail",
    "is_published_snapshot", "is_restricted_publication", "open_warehouse", "output_format",
    "period_from_args", "prepare_output_dir", "require_path", "table_columns",
    "terminal_width", "to_json", "usage", "wrap_text", "write_atomic_text", "write_table",
]
