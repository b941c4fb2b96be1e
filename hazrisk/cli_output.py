"""How every ``hazrisk`` command prints records: JSON, CSV for Excel, width-aware tables.

Part of the command-line grammar (:mod:`hazrisk.cliutil`, which re-exports these names):
JSON indented by 2, UTF-8, ``ensure_ascii=False``, dates ISO (:func:`to_json`); CSV with a
UTF-8 BOM so that Excel on Chinese Windows opens it; tables no wider than the terminal, Chinese
characters counting two columns (:func:`display_width`, :func:`write_table`), Beijing times
shown as wall-clock time, shares as percentages; messages wrapped to the terminal
(:func:`wrap_text`).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import shutil
import sys
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any


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
