"""``hazrisk detect`` and ``hazrisk safety``: compute and show the enterprise safety histories.

- ``hazrisk detect --db FILE [--period P | --start DATE --end DATE]`` (re)computes
  ``safety.violations``, ``safety.vehicle_days`` and the enterprise months for the Beijing
  days of the period, inclusive (default: every day with data); idempotent for a range.
  ``--engine spark --export DIR`` runs the trajectory detectors per vehicle group on Spark
  over the Parquet export (:mod:`hazrisk.spark`), storing the same tables.
- ``hazrisk safety --db FILE (--period 2026-10 | --start DATE --end DATE) [--enterprise ID]``:
  the enterprise league table (JSON: one record per enterprise with its counts by rule).
- ``hazrisk safety history --db FILE --enterprise ID [--period 2026-07..2026-12]``: one
  enterprise's monthly history (the months the period touches; default all).

Options, dates, formats and exit codes follow :mod:`hazrisk.cliutil`.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from datetime import timedelta
from typing import Any

from hazrisk.cliutil import (
    add_db_argument,
    add_format_argument,
    add_period_arguments,
    emit,
    fail,
    open_warehouse,
    output_format,
    period_from_args,
    table_columns,
    terminal_width,
    to_json,
    usage,
)
from hazrisk.safety.data_range import data_range
from hazrisk.safety.sqlfiles import bound, read_sql
from hazrisk.spark.options import add_engine_arguments, engine_from_args

_LEAGUE_COLUMNS = ("enterprise_id", "enterprise_name", "city", "vehicles_online", "km",
                   "n_violations", "violations_per_100km", "speeding_score_province",
                   "fatigue_score_province", "handling_rate")
_HISTORY_COLUMNS = ("period", "vehicles_online", "km", "n_violations", "n_speeding",
                    "n_fatigue", "n_night_ban", "speeding_per_100km", "speeding_score_province",
                    "fatigue_score_province", "handling_rate")
_DETECT_COLUMNS = ("period", "start", "end", "vehicles", "positions", "violations_total",
                   "vehicle_days", "enterprise_months", "vehicle_months", "duration_s")


def register(subparsers: Any) -> None:
    """Add ``detect`` and ``safety`` (with ``safety history``) to the ``hazrisk`` command."""
    det = subparsers.add_parser(
        "detect", help="detect enterprise violations and rebuild the safety histories",
        description="(Re)compute safety.violations (with handling), safety.vehicle_days, "
                    "safety.enterprise_months and safety.vehicle_months for the Beijing days "
                    "of the period, inclusive (default: every day with data). Idempotent for "
                    "a range.")
    add_db_argument(det)
    add_period_arguments(det)
    add_format_argument(det)
    det.add_argument("--conf", metavar="FILE", help="rules file over the defaults")
    det.add_argument("--no-progress", action="store_true",
                     help="no progress bar (it is shown on a terminal only)")
    add_engine_arguments(det)
    det.set_defaults(func=cmd_detect, command_name="detect")

    saf = subparsers.add_parser(
        "safety", help="enterprise safety league table and histories (安全档案)",
        description="Enterprise safety results for a period, from the tables `hazrisk detect` "
                    "builds.")
    add_db_argument(saf)
    add_period_arguments(saf)
    saf.add_argument("--enterprise", metavar="ID", help="one enterprise only")
    add_format_argument(saf)
    saf.set_defaults(func=cmd_safety, command_name="safety")
    sub = saf.add_subparsers(title="safety commands", metavar="COMMAND")
    his = sub.add_parser("history", help="one enterprise's monthly safety history",
                         description="Monthly safety history of one enterprise "
                                     "(safety.enterprise_months): the months the period "
                                     "touches, all months when no period is given.")
    add_db_argument(his)
    his.add_argument("--enterprise", required=True, metavar="ID")
    add_period_arguments(his)
    add_format_argument(his)
    his.set_defaults(func=cmd_history, command_name="safety history")


def cmd_detect(args: argparse.Namespace) -> int:
    from hazrisk.config import ConfigError, load_rules
    from hazrisk.safety.params import SafetyParams

    period = period_from_args(args, required=False)
    fmt = output_format(args)
    try:
        params = SafetyParams.from_rules(load_rules(args.conf))
    except (ConfigError, ValueError) as exc:
        usage(str(exc))
    engine = engine_from_args(args)
    con = open_warehouse(args.db) if engine is None else _open_output(engine, args.db)
    try:
        if period is None:  # the days with data (one rule: hazrisk/safety/data_range.py)
            span = data_range(con, None if engine is None else engine.day_counts(con),
                              min_share=params.data_day_min_share)
            if span is None:
                where = args.db if engine is None else engine.source.root
                fail(f"{where}: no positions of registered vehicles; nothing to detect")
            start, end = span
        else:
            start, end = period.start, period.end
        if engine is not None:  # hazrisk.spark: positions from the export, same storing
            from hazrisk.spark.detect import detect_spark
            from hazrisk.spark.inputs import has_driver_reports

            report = detect_spark(engine.session, con, engine.source, start,
                                  end + timedelta(days=1), params=params, groups=engine.groups)
            if not engine.positions_here and not has_driver_reports(con):
                sys.stderr.write(
                    f"hazrisk detect: warning: {args.db}: a results warehouse; the export "
                    "carries no 0x0702 driver-identity reports (a masked export leaves them "
                    "out), so no violation is linked to its driver on duty "
                    "(safety.violations.driver_id stays empty)\n")
        else:
            report = _detect_here(args, con, start, end, params)
    finally:
        con.close()
    out: dict[str, Any] = report.to_json()
    out["end"] = end.isoformat()  # inclusive, as given
    label = period.label if period is not None else f"{start.isoformat()}..{end.isoformat()}"
    out = {"period": label, **out}
    if fmt == "json":
        sys.stdout.write(to_json(out) + "\n")
    elif fmt == "csv":
        emit([out], "csv", columns=_DETECT_COLUMNS)
    else:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.violations.items())) or "none"
        text = (f"safety {start} .. {end}: {report.vehicles} vehicles, "
                f"{report.positions:,} fixes, {out['violations_total']} violations ({counts}); "
                f"{report.vehicle_days} vehicle-days, {report.enterprise_months} "
                f"enterprise-months, {report.vehicle_months} vehicle-months; "
                f"{report.duration_s:.1f} s")
        sys.stdout.write(textwrap.fill(text, width=terminal_width(),
                                       subsequent_indent="  ") + "\n")
    return 0


def _open_output(engine: Any, path: str | None) -> Any:
    """``--db`` of a Spark run (the warehouse, or a results warehouse whose copies of the
    export's small inputs are refreshed first: :mod:`hazrisk.spark.inputs`)."""
    from hazrisk.sqlfiles import transaction

    con = engine.open(path)
    try:
        with transaction(con):
            engine.refresh_inputs()
    except BaseException:
        con.close()
        raise
    return con


def _detect_here(args: argparse.Namespace, con: Any, start: Any, end: Any,
                 params: Any) -> Any:
    """The DuckDB engine (with a progress bar on a terminal)."""
    from hazrisk.safety.pipeline import detect

    bar = None
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(desc="safety", unit="fix", unit_scale=True, file=sys.stderr,
                   leave=False, disable=None)  # None: shown on a terminal only

    def progress(done: int, _total: int) -> None:
        if bar is not None:
            bar.n = done
            bar.refresh()

    try:
        return detect(con, start, end + timedelta(days=1), params=params,
                      progress=progress)  # the pipeline's ranges are half-open
    finally:
        if bar is not None:
            bar.close()


def _open(path: str | None) -> Any:
    from hazrisk.rates.compute import has_table

    con = open_warehouse(path, read_only=True)
    if not has_table(con, "safety", "vehicle_days"):
        con.close()
        fail(f"{path}: no safety tables yet; run `hazrisk detect --db {path}`")
    return con


def _query(con: Any, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description or []]
    out = []
    for row in cur.fetchall():
        rec = dict(zip(cols, row, strict=True))
        if "counts_by_rule_json" in rec:
            rec["counts_by_rule"] = json.loads(rec.pop("counts_by_rule_json") or "{}")
        out.append(rec)
    return out


def _check_enterprise(con: Any, enterprise: str) -> None:
    if not con.execute(read_sql("enterprise_known"), {"enterprise": enterprise}).fetchall()[0][0]:
        fail(f"unknown enterprise {enterprise!r} (not in the registry nor in the histories)")


def cmd_safety(args: argparse.Namespace) -> int:
    period = period_from_args(args)
    fmt = output_format(args)
    con = _open(args.db)
    try:
        if args.enterprise:
            _check_enterprise(con, args.enterprise)
        recs = _query(con, read_sql("report"), bound("report", {
            "d0": period.start, "d1": period.end + timedelta(days=1),
            "enterprise": args.enterprise}))
    finally:
        con.close()
    label = {"period": period.label, "start": period.start.isoformat(),
             "end": period.end.isoformat()}
    emit([{**label, **r} for r in recs], fmt, columns=table_columns(args, _LEAGUE_COLUMNS))
    if not recs:
        fail((f"enterprise {args.enterprise!r}: " if args.enterprise else "")
             + f"no safety data in {period.label} (run `hazrisk detect --period {period.label}`"
             " when the warehouse holds positions of it)")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    period = period_from_args(args, required=False)
    fmt = output_format(args)
    con = _open(args.db)
    try:
        _check_enterprise(con, args.enterprise)
        recs = _query(con, read_sql("history"), {
            "enterprise": args.enterprise,
            "p0": f"{period.start:%Y-%m}" if period else None,
            "p1": f"{period.end:%Y-%m}" if period else None})
    finally:
        con.close()
    emit([{"enterprise_id": args.enterprise, **r} for r in recs], fmt,
         columns=table_columns(args, _HISTORY_COLUMNS))
    if not recs:
        fail(f"enterprise {args.enterprise!r}: no monthly history"
             + (f" in {period.label}" if period else ""))
    return 0
