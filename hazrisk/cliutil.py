"""The one command-line grammar every ``hazrisk`` subcommand speaks.

Every subcommand builds its options from these helpers so that dates, output formats, exit
codes and error messages mean the same thing everywhere:

- **Dates**: ``--period`` (``YYYY-MM``, ``YYYY-MM-DD`` or ``A..B`` of days or months) or
  ``--start/--end``; both inclusive Beijing days (:func:`add_period_arguments`, :func:`period_from_args`).
- **Output**: ``--format table|csv|json`` (``--json`` is an alias of ``--format json``);
  JSON indented by 2, UTF-8, ``ensure_ascii=False``; CSV with a UTF-8 BOM so that Excel on
  Chinese Windows opens it (``--csv-encoding`` to choose another); tables width-aware
  (:func:`emit`).
- **Exit codes**: :data:`EXIT_OK` 0 success; :data:`EXIT_FAILED` 1 the work failed or found
  nothing it was asked for; :data:`EXIT_USAGE` 2 usage, or input that cannot be opened.
- **Errors**: raise :class:`CliError` (or call :func:`fail`); ``hazrisk.cli.main`` prints one
  line ``hazrisk <command>: <message>`` on stderr and returns its code. No traceback reaches
  a user (``HAZRISK_DEBUG=1`` shows it for developers).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NoReturn, overload

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from hazrisk.rates.period import Period

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
                   help="统计期 a month YYYY-MM, a day YYYY-MM-DD, or A..B (days or months, "
                        "inclusive)")
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
    from hazrisk.rates.period import Period, PeriodError

    text = getattr(args, "period", None)
    start = getattr(args, "start", None)
    end = getattr(args, "end", None)
    try:
        if text and (start or end):
            usage("give --period or --start/--end, not both")
        if text:
            return Period.parse(str(text))
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
        rows = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s "
            "AND table_name = '_published'", {"s": schema}).fetchall()
        return bool(rows and rows[0][0])
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


# --- output ---------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        try:
            return _plain(value.item())
        except (TypeError, ValueError):
            return value
    return value


def _records(rows: Any) -> list[dict[str, Any]]:
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a pandas DataFrame
        return [{str(k): _plain(v) for k, v in r.items()} for r in rows.to_dict("records")]
    return [{str(k): _plain(v) for k, v in dict(r).items()} for r in rows]


def to_json(obj: Any) -> str:
    """JSON as every command prints it: indent 2, UTF-8 text, dates ISO."""
    return json.dumps(obj, ensure_ascii=False, indent=2, default=lambda v: str(_plain(v)))


def display_width(text: str) -> int:
    """Terminal columns of ``text`` (East Asian wide and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text + " " * (width - display_width(text))
    out, used = "", 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out += ch
        used += w
    return out + "…" + " " * (width - used - 1)


_BEIJING_ISO = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?\+08:00$")


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and (m := _BEIJING_ISO.match(value)):
        return f"{m.group(1)} {m.group(2)}"  # tables show Beijing wall-clock time
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if key in ("rate", "ci_low", "ci_high", "coverage") or key.endswith("_share"):
            return f"{value * 100:.2f}%"
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def terminal_width() -> int:
    return shutil.get_terminal_size((120, 24)).columns


def emit(rows: Any, fmt: str, *, columns: Sequence[str] | None = None,
         out: IO[str] | None = None, width: int | None = None,
         csv_bom: bool = True) -> None:
    """Print records (a list of mappings or a DataFrame) as a table, CSV or JSON.

    The table shows ``columns`` (all keys when not given) and fits ``width`` (the terminal's):
    columns are narrowed, then trailing columns dropped with a note; csv/json hold every key.
    """
    out = out or sys.stdout
    recs = _records(rows)
    if fmt == "json":
        out.write(to_json(recs) + "\n")
        return
    keys: list[str] = list(columns) if columns else []
    for r in recs:
        for k in r:
            if k not in keys and not columns:
                keys.append(k)
    if fmt == "csv":
        all_keys = list(keys)
        for r in recs:
            all_keys.extend(k for k in r if k not in all_keys)
        if csv_bom:
            out.write("\ufeff")
        w = csv.DictWriter(out, fieldnames=all_keys, extrasaction="ignore", lineterminator="\r\n")
        w.writeheader()
        for r in recs:
            w.writerow({k: (json.dumps(v, ensure_ascii=False, default=str)
                            if isinstance(v, list | dict) else v) for k, v in r.items()})
        return
    write_table(recs, keys, out, width=width)


_MIN_COL = 6  # narrowest a column is cut to before columns are dropped
_SHORT = 10  # text this wide or narrower (ids, dates) is never cut


def _numeric(text: str) -> bool:
    t = text.strip().rstrip("%").replace(",", "")
    if not t:
        return True
    try:
        float(t)
    except ValueError:
        return False
    return True


def write_table(recs: Sequence[Mapping[str, Any]], keys: Sequence[str], out: IO[str], *,
                width: int | None = None) -> None:
    """An aligned table no wider than ``width`` display columns (the terminal's).

    Numbers are right-aligned and never cut: their long headers are narrowed first, then the
    widest text columns (cut with ``…``), then trailing columns are dropped with a note
    naming them. Chinese
    characters count two columns (:func:`display_width`).
    """
    width = width or terminal_width()
    if not recs:
        out.write("(no rows 无记录)\n")
        return
    cells = [[_cell(k, r.get(k)) for k in keys] for r in recs]
    numeric = [all(_numeric(row[i]) for row in cells) for i in range(len(keys))]
    data_w = [max(display_width(row[i]) for row in cells) for i in range(len(keys))]
    widths = [max(display_width(k), data_w[i]) for i, k in enumerate(keys)]
    # narrowest each column may become: numbers and short text (ids, dates, up to _SHORT
    # columns) their widest value; longer text _SHORT
    floor = [min(widths[i], max(data_w[i], _MIN_COL) if numeric[i]
                 else max(_MIN_COL, min(data_w[i], _SHORT)))
             for i in range(len(keys))]

    def total(n: int) -> int:
        return sum(widths[:n]) + 2 * (n - 1)

    shown = len(keys)
    while total(shown) > width:
        narrowable = [i for i in range(shown) if widths[i] > floor[i] and numeric[i]]
        narrowable = narrowable or [i for i in range(shown) if widths[i] > floor[i]]
        if narrowable:  # number headers first (no value is lost), then the widest text
            widest = max(narrowable, key=lambda i: widths[i])
            widths[widest] -= 1
        elif shown > 1:
            shown -= 1
        else:
            widths[0] = max(1, width)
            break

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values[:shown]):
            if numeric[i] and display_width(v) <= widths[i]:
                parts.append(" " * (widths[i] - display_width(v)) + v)
            else:
                parts.append(_fit(v, widths[i]))
        return "  ".join(parts).rstrip()

    out.write(line(list(keys)) + "\n")
    for row in cells:
        out.write(line(row) + "\n")
    if shown < len(keys):
        note = (f"(+{len(keys) - shown} 列未显示 columns not shown: {', '.join(keys[shown:])}; "
                "see --columns, --format csv|json)")
        out.write(wrap_text(note, width) + "\n")


def wrap_text(text: str, width: int | None = None) -> str:
    """``text`` wrapped line by line to ``width`` display columns (the terminal's by default);
    continuation lines are indented under their line's indent plus two. Long words such as
    paths are broken, so no line is wider than ``width``. Without ``width``, text is wrapped
    only for a terminal (or when ``COLUMNS`` is set), never in a pipe or log file."""
    if width is None:
        if not (os.environ.get("COLUMNS") or sys.stdout.isatty()):
            return text  # a pipe or a log file: keep each message on its line, greppable
        width = terminal_width()
    lines = []
    for line in text.splitlines() or [""]:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        wide = display_width(line) - len(line)  # textwrap counts characters, not columns
        lines.append(textwrap.fill(line, width=max(20, width - wide), subsequent_indent=indent)
                     if display_width(line) > width else line)
    return "\n".join(lines)


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
