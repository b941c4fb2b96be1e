"""``hazrisk report run|list|due`` and ``hazrisk lab``.

    hazrisk report run NAME --period P [-p key=value ...] [--snapshot FILE] [--schedule FILE]
    hazrisk report list [--as-of DATE] [--format table|csv|json]
    hazrisk report due [--as-of DATE] [--only NAME] [--dry-run] [--snapshot FILE]
    hazrisk lab [--print]

Exit codes (hazrisk.cliutil): 0 success / nothing failed; 1 a report failed or is being run
by another process; 2 usage (unknown report, bad period, missing snapshot or schedule).
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from hazrisk.cliutil import (
    EXIT_FAILED,
    EXIT_OK,
    add_format_argument,
    emit,
    output_format,
    table_columns,
    usage,
)

_LIST_COLUMNS = ("report", "cadence", "delay_days", "last_period", "last_status",
                 "next_period", "next_due")


def register(sub: Any) -> None:
    rep = sub.add_parser("report", help="scheduled notebook reports with lineage (报告)",
                         description="Run the parameterised notebooks in notebooks/ with "
                                     "papermill into reports/NAME/PERIOD/ (notebook, HTML "
                                     "without code, lineage.json), on demand or by schedule "
                                     "(conf/reports.toml).")
    rep.set_defaults(func=lambda a: (rep.print_help(), 2)[1], command_name="report")
    rsub = rep.add_subparsers(title="report commands", metavar="COMMAND")

    run = rsub.add_parser("run", help="run one report for one period",
                          description="Execute the report's notebook for PERIOD (YYYY-MM, "
                                      "YYYY-Qn, YYYY-Www, YYYY or A..B).")
    run.add_argument("name", help="report (schedule entry) or notebook name")
    run.add_argument("--period", required=True, metavar="P")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="notebook parameter (Python literal, else text); repeatable")
    _common(run)
    run.set_defaults(func=cmd_run, command_name="report run")

    lst = rsub.add_parser("list", help="the schedule with last run and next due",
                          description="Each scheduled report: cadence, delay, last attempt, "
                                      "last success, next period and its due day.")
    lst.add_argument("--as-of", metavar="DATE", help="today's date for 'next due' (default today)")
    _common(lst)
    add_format_argument(lst)
    lst.set_defaults(func=cmd_list, command_name="report list")

    due = rsub.add_parser("due", help="run every report whose period is due (cron)",
                          description="Run each scheduled report whose period has closed "
                                      "(plus its delay) and has not yet succeeded, once, even "
                                      "with two `due` started together; failed runs are retried "
                                      "next time. Exit 1 when any report failed.")
    due.add_argument("--as-of", metavar="DATE", help="today's date (default today)")
    due.add_argument("--only", action="append", metavar="NAME", help="only these reports")
    due.add_argument("--dry-run", action="store_true", help="list what is due, run nothing")
    _common(due)
    add_format_argument(due)
    due.set_defaults(func=cmd_due, command_name="report due")

    lab = sub.add_parser("lab", help="open the notebooks in JupyterLab (needs the lab extra)",
                         description="Start JupyterLab on notebooks/ (jupytext opens the .py "
                                     "notebooks). Install with pip install -e '.[lab]'.")
    lab.add_argument("--print", action="store_true", help="print the command, do not start it")
    lab.set_defaults(func=cmd_lab, command_name="lab")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--snapshot", metavar="FILE",
                   help="published snapshot (default: [settings] snapshot of the schedule)")
    p.add_argument("--schedule", metavar="FILE",
                   help="schedule file (default $HAZRISK_REPORTS_SCHEDULE, conf/reports.toml)")
    p.add_argument("--reports-dir", metavar="DIR",
                   help="where reports and the run ledger live (default: [settings] reports_dir)")


def _schedule(args: argparse.Namespace) -> Any:
    from hazrisk.reports.schedule import ScheduleError, load_schedule

    try:
        schedule = load_schedule(args.schedule)
    except ScheduleError as exc:
        usage(str(exc))
    if args.reports_dir:
        schedule = replace(schedule, reports_dir=Path(args.reports_dir).resolve())
    return schedule


def _snapshot(args: argparse.Namespace, schedule: Any) -> Path:
    from hazrisk.snapshot import SnapshotError, open_snapshot

    path = Path(args.snapshot) if args.snapshot else schedule.snapshot
    try:
        open_snapshot(path).close()
    except SnapshotError as exc:
        usage(str(exc))
    return path


def _as_of(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        usage(f"--as-of {text!r}: expected YYYY-MM-DD")


def parse_params(items: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; a value is a Python literal when it reads as one, else text.

    >>> parse_params(["provider=P01", "n=5", "flag=None"])
    {'provider': 'P01', 'n': 5, 'flag': None}
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            usage(f"-p {item!r}: expected KEY=VALUE with KEY a Python name")
        try:
            out[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            out[key] = raw
    return out


def cmd_run(args: argparse.Namespace) -> int:
    from hazrisk.period import Period, PeriodError
    from hazrisk.reports.runner import run_report
    from hazrisk.reports.schedule import ScheduleError

    schedule = _schedule(args)
    try:
        entry = schedule.entry(args.name)
        period = Period.parse(args.period)
    except (ScheduleError, PeriodError) as exc:
        usage(str(exc))
    if not schedule.notebook_path(entry).is_file():
        usage(f"{schedule.notebook_path(entry)}: no such notebook")
    snap = _snapshot(args, schedule)
    result = run_report(schedule, entry, period, snapshot=snap,
                        overrides=parse_params(args.param), trigger="run", rerun=True)
    return _report(result)


def _report(result: Any) -> int:
    if result.status == "succeeded":
        sys.stdout.write(f"{result.report} {result.period}: ok, {result.duration_s:.1f} s -> "
                         f"{result.output}/report.html\n")
        return EXIT_OK
    err = result.error or {}
    where = f" in cell {err['cell_index']}" if "cell_index" in err else ""
    sys.stderr.write(f"hazrisk report: {result.report} {result.period}: {result.status}{where}: "
                     f"{err.get('ename', '')} {err.get('evalue', '')}".rstrip()
                     + (f" (partial output: {result.output})" if result.output else "") + "\n")
    return EXIT_FAILED


def cmd_list(args: argparse.Namespace) -> int:
    from hazrisk.reports.due import schedule_status

    schedule = _schedule(args)
    rows = [s.to_json() for s in schedule_status(schedule, _as_of(args.as_of))]
    emit(rows, output_format(args), columns=table_columns(args, _LIST_COLUMNS))
    return EXIT_OK


def cmd_due(args: argparse.Namespace) -> int:
    from hazrisk.reports.due import run_due

    schedule = _schedule(args)
    snap = _snapshot(args, schedule)
    results = run_due(schedule, _as_of(args.as_of), snapshot=snap, only=args.only,
                      dry_run=args.dry_run)
    fmt = output_format(args)
    if fmt != "table":
        emit([r.to_json() for r in results], fmt)
    else:
        for r in results:
            if r.status in ("succeeded", "due", "waiting", "skipped", "busy"):
                note = {"succeeded": f"ok -> {r.output}", "due": "due (dry run)",
                        "waiting": "waiting: no data in the snapshot yet",
                        "skipped": "done already",
                        "busy": "being run by another process"}[r.status]
                sys.stdout.write(f"{r.report} {r.period}: {note}\n")
            else:
                _report(r)
        if not results:
            sys.stdout.write("nothing due 无待运行报告\n")
    return EXIT_FAILED if any(r.status == "failed" for r in results) else EXIT_OK


def cmd_lab(args: argparse.Namespace) -> int:
    from hazrisk.reports.schedule import load_schedule

    try:
        notebooks = load_schedule().notebooks_dir
    except Exception:  # noqa: BLE001 - the lab does not need a valid schedule
        notebooks = Path("notebooks")
    argv = [sys.executable, "-m", "jupyterlab", str(notebooks)]
    if args.print:
        sys.stdout.write(" ".join(argv) + "\n")
        return EXIT_OK
    import importlib.util

    if importlib.util.find_spec("jupyterlab") is None:
        usage("JupyterLab is not installed: pip install -e '.[lab]'")
    os.execv(sys.executable, argv)
    return EXIT_OK  # pragma: no cover
