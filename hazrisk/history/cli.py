"""``hazrisk history import DIR --db W``: load archived vehicle-month histories."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hazrisk.cliutil import (
    EXIT_FAILED,
    EXIT_OK,
    add_db_argument,
    add_format_argument,
    emit,
    open_warehouse,
    output_format,
    to_json,
    usage,
    wrap_text,
)


def register(subparsers: Any) -> None:
    """Add ``history import`` to the ``hazrisk`` command."""
    hist = subparsers.add_parser(
        "history", help="vehicle-month safety histories archived by an existing platform",
        description="历史安全档案 / archived vehicle-month safety histories.")
    sub = hist.add_subparsers(dest="history_command")
    imp = sub.add_parser(
        "import", help="load vehicle-month history CSV files (README 'Vehicle-month history "
                       "files') into safety.vehicle_months, marked source 'archive'",
        description="Load every *.csv of DIR/history (or DIR, or the file DIR): UTF-8 or "
                    "GBK/GB18030, validated row by row (rejects kept in "
                    "quarantine.history_rejects with file, row, column, reason). Detection wins "
                    "where both cover a vehicle-month; the difference is reported. The same "
                    "file content again is skipped.")
    imp.add_argument("dir", metavar="DIR", help="folder (or file) with the history CSV files")
    add_db_argument(imp)
    add_format_argument(imp)
    imp.set_defaults(func=cmd_import, command_name="history import")
    hist.set_defaults(func=lambda args: usage("give a subcommand: history import DIR --db W"),
                      command_name="history")


def cmd_import(args: argparse.Namespace) -> int:
    from hazrisk.history.archive import find_history_files, import_history_file

    target = Path(args.dir)
    if not target.exists():
        usage(f"{target}: no such file or folder")
    fmt = output_format(args)
    files, left = find_history_files(target)
    con = open_warehouse(args.db, command="history import")
    try:
        reports = [import_history_file(con, p) for p in files]
        if left:
            from hazrisk.store.left_alone import record_left_alone

            record_left_alone(con, left, "history import")
    finally:
        con.close()
    if fmt == "json":
        sys.stdout.write(to_json({"files": [r.to_json() for r in reports],
                                  "left_alone": left}) + "\n")
    else:
        rows = [{"file": r.path, "status": r.status, "encoding": r.encoding,
                 "rows": r.rows_read, "loaded": r.rows_loaded, "rejected": r.rows_rejected,
                 "months": "..".join(r.months) if r.months else "",
                 "archive_used": r.archive_rows_used,
                 "detected_overlap": r.overlap.get("vehicle_months", 0)} for r in reports]
        emit(rows, fmt)
        if fmt == "table":
            _details(reports, left)
    if not files:
        sys.stderr.write(f"hazrisk history import: no .csv file in {target}\n")
        return EXIT_FAILED
    return EXIT_FAILED if any(r.status == "failed" for r in reports) else EXIT_OK


class _Wrapped:
    """stdout with each line wrapped to the terminal (continuations indented)."""

    def write(self, text: str) -> None:
        for line in text.splitlines():
            sys.stdout.write(wrap_text(line) + "\n")


def _details(reports: list[Any], left: list[str]) -> None:
    out = _Wrapped()
    for r in reports:
        if r.error:
            out.write(f"failed: {r.error}\n")
        for w in r.warnings:
            out.write(f"warning: {w}\n")
        for p in r.problems[:50]:
            out.write(f"rejected: {p.message()}\n")
        if len(r.problems) > 50:
            out.write(f"... {len(r.problems) - 50} more in quarantine.history_rejects\n")
        measures = r.overlap.get("measures", {})
        if measures:
            out.write(f"{r.path}: detection wins on {r.overlap['vehicle_months']} vehicle-months "
                      "also in the archive (detected - archive; safety.vehicle_month_differences):\n")
            for m, d in measures.items():
                out.write(f"  {m}: detected {d['detected']:g}, archive {d['archive']:g}, "
                          f"diff {d['diff']:+g}, mean |diff| {d['mean_abs_diff']:g} "
                          f"over {d['n']}\n")
    if left:
        out.write(f"left alone ({len(left)} files that are not .csv): {', '.join(left[:10])}\n")
