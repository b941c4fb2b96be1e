"""``hazrisk daily``: one Beijing day through ingest, detection and the rate partials.

``hazrisk daily --db W --day 2026-10-01 [--dumps DIR] [--conf FILE] [--format ...]``

1. ingests the dumps under ``DIR`` (files already ingested are skipped);
2. detects violations and rebuilds the safety vehicle-days (the safety partials) of the day, of
   the day before (whose steps and events running past midnight end in this day's data: a
   day's safety partials are final once the next day is in) and of the days around any other
   day a newly ingested file carries positions for (:func:`detect_days`; a late file re-derives
   those days only); the enterprise and vehicle months they touch are re-aggregated from the
   stored vehicle-days;
3. computes the rate partials (:mod:`hazrisk.rates.partials`) of the day and of the days the
   new files made stale.

Steps 2 and 3 run at the same time: the rate partials are DuckDB's work on its own worker
threads (on a second connection of the same database, :class:`RatesBeside`) while detection is
numpy and shapely in this thread, so together they use both cores. Neither reads what the other
writes; the rate partials commit only once detection succeeded (a failed detection leaves the
rates as they were, as when the steps ran one after the other).

DuckDB's memory is capped at ``[daily] memory_limit_gb`` (sorts spill to disk; one cap for
both connections), detection holds ``[daily] detect_batch_positions`` fixes at a time and the
rate partials sort ``[daily] rates_batch_positions`` rows at a time, so the peak memory does
not grow with the fleet or the period. A month-end evaluation (``hazrisk rates`` / ``hazrisk
safety`` over the month) then reads the stored partials only.

Python: :func:`run_daily`.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from hazrisk.cliutil import (
    CliError,
    add_db_argument,
    add_format_argument,
    emit,
    fail,
    open_warehouse,
    output_format,
    usage,
)
from hazrisk.config import ConfigError, Rules, load_rules
from hazrisk.sqlfiles import SqlFolder, set_timezone, transaction

_COLUMNS = ("day", "days", "stage", "positions", "violations", "vehicle_days", "rate_units",
            "batches", "seconds", "cpu_s")
#: A detect row covers ``days`` days from ``day`` (consecutive days are detected as one range).
#: cpu_s of a stage is the process's CPU seconds while it ran alone (ingest); detection and the
#: rate partials run side by side, so their CPU is only known together: the "total" row.


@dataclass
class DailyReport:
    """What a daily run did: one row per day and stage."""

    day: date
    files_ingested: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


def memory_limit(rules: Rules) -> str:
    """The DuckDB ``memory_limit`` of the daily run (``[daily] memory_limit_gb``)."""
    return f"{float(rules.daily.memory_limit_gb):g}GB"


def touched_days(con: duckdb.DuckDBPyConnection, after_file_id: int) -> list[date]:
    """Beijing days with positions from files ingested after ``after_file_id``."""
    rows = SqlFolder("hazrisk.rates").query(con, "partials.sql", "files_days",
                                            {"after": after_file_id})
    return [r["day"] for r in rows]


def detect_days(con: duckdb.DuckDBPyConnection, day: date, touched: list[date]) -> list[date]:
    """The days to (re-)detect when ``touched`` days got new positions, up to ``day``.

    New positions of a day X change the safety partials of X, of X - 1 (its steps, stretches
    and events running past midnight end in X: detection reads 24 h after a day) and of
    X + 1, X + 2 (detection reads 26 h before a day); only days with positions are detected.
    For the daily run of ``day`` alone: ``day - 1`` (now final) and ``day``.
    """
    from hazrisk.safety.sqlfiles import read_sql

    want = sorted({x + timedelta(days=k) for x in touched for k in (-1, 0, 1, 2)
                   if x + timedelta(days=k) <= day})
    sql = read_sql("days_with_positions")
    return [d for d in want
            if con.execute(sql, {"d0": d, "d1": d + timedelta(days=1)}).fetchall()[0][0]]


def day_ranges(days: list[date]) -> list[tuple[date, int]]:
    """Sorted ``days`` as runs of consecutive days: (first day, number of days).

    Detection runs once per run of days: a range reads its context (26 h before, 24 h after)
    once, where day by day each day reads the next and the previous as context again (a day
    alone reads 26 + 24 + 24 h of fixes, the day before and the day 2 x 74 h, the two as one
    range 98 h); the result is the same (an event belongs to the day of its start; the sample
    test of ``hazrisk daily`` compares daily runs with one detection of the whole range).

    >>> day_ranges([date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5)])
    [(datetime.date(2026, 10, 1), 2), (datetime.date(2026, 10, 5), 1)]
    """
    out: list[tuple[date, int]] = []
    for d in days:
        if out and out[-1][0] + timedelta(days=out[-1][1]) == d:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((d, 1))
    return out


def _max_file_id(con: duckdb.DuckDBPyConnection) -> int:
    row = SqlFolder("hazrisk.rates").run(con, "partials.sql", "max_file_id").fetchone()
    return int(row[0]) if row else -1


class RatesBeside:
    """The rate partials of the days up to ``end`` (:func:`ensure_partials`, ``since`` as
    there), computed in a thread on a second connection (``con.cursor()``: the same database,
    its own transaction) while the caller detects. :meth:`finish` commits them (``keep``) or
    rolls them back, and returns the runs; an error in the thread is raised there."""

    def __init__(self, con: duckdb.DuckDBPyConnection, end: date, since: date,
                 rules: Rules) -> None:
        self._con = con.cursor()
        set_timezone(self._con)
        self._args = (end, since, rules)
        self._decided = threading.Event()
        self._keep = False
        self.runs: list[Any] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="hazrisk-rates", daemon=True)

    def start(self) -> RatesBeside:
        self._thread.start()
        return self

    def _work(self) -> None:
        from hazrisk.rates.partials import ensure_partials

        end, since, rules = self._args
        try:
            with transaction(self._con):
                self.runs = ensure_partials(self._con, end, rules, since=since)
                self._decided.wait()
                if not self._keep:
                    raise _Abandoned
        except _Abandoned:
            self.runs = []
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by finish()
            self._error = exc

    def finish(self, *, keep: bool) -> list[Any]:
        """Commit (``keep``) or roll back the partials once they are computed; the runs."""
        self._keep = keep
        self._decided.set()
        self._thread.join()
        self._con.close()
        if self._error is not None:
            raise self._error
        return self.runs


class _Abandoned(Exception):
    """Detection failed: the rate partials computed beside it are rolled back."""


def run_daily(con: duckdb.DuckDBPyConnection, day: date, *, dumps: Path | None = None,
              rules: Rules | None = None) -> DailyReport:
    """Ingest ``dumps`` (optional), then detect and compute the rate partials of ``day`` and
    of the days that newly ingested files touch (side by side). Returns what was done."""
    from hazrisk.rates.compute import install
    from hazrisk.safety.params import SafetyParams
    from hazrisk.safety.pipeline import Geography, detect
    from hazrisk.safety.tables import ensure_schema
    from hazrisk.store.ingest import ingest_paths
    from hazrisk.validity import Validity

    rules = rules or load_rules()
    report = DailyReport(day)
    before = _max_file_id(con)
    if dumps is not None:
        tic, cpu = time.perf_counter(), time.process_time()
        ing = ingest_paths(con, [dumps], validity=Validity.from_rules(rules))
        if ing.failed or ing.missing:
            bad = [f.path for f in ing.failed] + ing.missing
            raise CliError(f"ingest failed for {', '.join(bad)}; nothing detected", 1)
        report.files_ingested = sum(1 for f in ing.files if not f.skipped)
        report.rows.append({"day": day, "stage": "ingest",
                            "positions": sum(f.positions_stored for f in ing.files),
                            "seconds": round(time.perf_counter() - tic, 3),
                            "cpu_s": round(time.process_time() - cpu, 3)})
    install(con, rules)  # the rates schema and macros (touched_days uses them)
    days = sorted({day, *touched_days(con, before)})
    params = SafetyParams.from_rules(rules)
    ensure_schema(con)  # detection's tables exist before the two connections write
    tic, cpu = time.perf_counter(), time.process_time()
    run_id = uuid.uuid4().hex  # safety.runs: one row per detected range, sharing this id
    rates = RatesBeside(con, max(days), min(days), rules).start()
    try:
        geo = None  # roads and fences, loaded once for the days detected (route corridors kept)
        for d, n in day_ranges(detect_days(con, day, days)):
            t_d = time.perf_counter()
            geo = geo or Geography.load(con)
            det = detect(con, d, d + timedelta(days=n), params=params,
                         batch_positions=int(rules.daily.detect_batch_positions), geo=geo,
                         run_id=run_id, command="daily")
            report.rows.append({"day": d, "days": n, "stage": "detect",
                                "positions": det.positions,
                                "violations": sum(det.violations.values()),
                                "vehicle_days": det.vehicle_days, "batches": det.batches,
                                "seconds": round(time.perf_counter() - t_d, 3)})
    except BaseException:
        with suppress(Exception):  # detection's error is the one to report
            rates.finish(keep=False)
        raise
    runs = rates.finish(keep=True)
    for run in runs:
        units = SqlFolder("hazrisk.rates").run(con, "partials.sql", "day_units",
                                               {"day": run.day}).fetchone()
        report.rows.append({"day": run.day, "stage": "rates", "positions": run.records,
                            "rate_units": int(units[0]) if units else 0,
                            "batches": run.batches, "seconds": round(run.duration_s, 3)})
    report.rows.append({"day": day, "stage": "total",
                        "seconds": round(time.perf_counter() - tic, 3),
                        "cpu_s": round(time.process_time() - cpu, 3)})
    return report


def register(subparsers: Any) -> None:
    """Add ``daily`` to the ``hazrisk`` command."""
    p = subparsers.add_parser(
        "daily", help="one Beijing day: ingest, detect, rate partials",
        description="Ingest the day's dumps (--dumps), detect violations and rebuild the "
                    "safety vehicle-days, and compute the rate partials of the day and of any "
                    "other day a newly ingested file touches (a late file re-derives its own "
                    "days only). Memory is bounded by [daily] in the rules file.")
    add_db_argument(p)
    p.add_argument("--day", required=True, metavar="YYYY-MM-DD", help="the Beijing day")
    p.add_argument("--dumps", metavar="DIR", help="dump files or folder to ingest first")
    p.add_argument("--conf", metavar="FILE", help="rules file over the defaults")
    add_format_argument(p)
    p.set_defaults(func=cmd_daily, command_name="daily")


def cmd_daily(args: argparse.Namespace) -> int:
    from hazrisk.store.connect import connect

    fmt = output_format(args)
    try:
        day = date.fromisoformat(args.day.strip())
    except ValueError:
        usage(f"--day {args.day!r}: expected a date YYYY-MM-DD")
    try:
        rules = load_rules(args.conf)
    except ConfigError as exc:
        usage(str(exc))
    dumps = Path(args.dumps) if args.dumps else None
    if dumps is not None and not dumps.exists():
        usage(f"--dumps {dumps}: no such file or folder")
    open_warehouse(args.db).close()  # the checks of every command (exists, not a snapshot)
    con = connect(str(args.db), memory_limit=memory_limit(rules))
    try:
        report = run_daily(con, day, dumps=dumps, rules=rules)
    except duckdb.Error as exc:
        fail(f"{args.db}: {str(exc).splitlines()[0]}")
    finally:
        con.close()
    rows = [{c: r.get(c) for c in _COLUMNS} for r in report.rows]
    emit(rows, fmt, columns=_COLUMNS)
    return 0
