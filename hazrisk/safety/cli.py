"""``hazrisk detect`` and ``hazrisk safety``: compute and show the enterprise safety histories.

- ``hazrisk detect --db FILE [--start DATE --end DATE]`` (re)computes ``safety.violations``,
  ``safety.vehicle_days`` and the enterprise months for Beijing days start..end, inclusive (default:
  every day with data); idempotent for a range.
- ``hazrisk safety --db FILE (--period 2026-10 | --start DATE --end DATE) [--enterprise ID]
  [--format table|csv|json]``: the enterprise league table (JSON: one record per enterprise
  with its counts by rule).
- ``hazrisk safety history --db FILE --enterprise ID [--from PERIOD --to PERIOD]``: one
  enterprise's monthly history.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from typing import Any

import pandas as pd

from hazrisk.safety.sqlfiles import read_sql
from hazrisk.safety.store import next_month

_MIN_DAY_SHARE = 0.01  # of the median day's positions


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _period(text: str) -> str:
    try:
        date.fromisoformat(text + "-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a period (YYYY-MM): {text!r}") from None
    return text


def register(subparsers: Any) -> None:
    """Add ``detect`` and ``safety`` (with ``safety history``) to the ``hazrisk`` command."""
    det = subparsers.add_parser(
        "detect", help="detect enterprise violations and rebuild the safety histories",
        description="(Re)compute safety.violations (with handling), safety.vehicle_days, "
                    "safety.enterprise_months and safety.vehicle_months for Beijing days --start..--end, inclusive (default: "
                    "every day with data). Idempotent for a range.")
    det.add_argument("--db", required=True, metavar="FILE", help="warehouse DuckDB file")
    det.add_argument("--start", type=_date, metavar="DATE", help="first day (YYYY-MM-DD)")
    det.add_argument("--end", type=_date, metavar="DATE", help="last Beijing day, inclusive")
    det.add_argument("--conf", metavar="FILE", help="rules file over the defaults")
    det.add_argument("--json", action="store_true", help="print the run summary as JSON")
    det.add_argument("--no-progress", action="store_true", help="no progress bar")
    det.set_defaults(func=cmd_detect)

    saf = subparsers.add_parser(
        "safety", help="enterprise safety league table and histories (安全档案)",
        description="Enterprise safety results for a period or a date range, from the tables "
                    "`hazrisk detect` builds.")
    saf.add_argument("--db", metavar="FILE", help="warehouse DuckDB file")
    grp = saf.add_mutually_exclusive_group()
    grp.add_argument("--period", type=_period, metavar="YYYY-MM", help="a calendar month")
    grp.add_argument("--start", type=_date, metavar="DATE", help="first day (with --end)")
    saf.add_argument("--end", type=_date, metavar="DATE", help="last Beijing day, inclusive")
    saf.add_argument("--enterprise", metavar="ID", help="one enterprise only")
    saf.add_argument("--format", choices=("table", "csv", "json"), default="table")
    saf.set_defaults(func=cmd_safety)
    sub = saf.add_subparsers(title="safety commands", metavar="COMMAND")
    his = sub.add_parser("history", help="one enterprise's monthly safety history",
                         description="Monthly safety history of one enterprise "
                                     "(safety.enterprise_months).")
    his.add_argument("--db", required=True, metavar="FILE", help="warehouse DuckDB file")
    his.add_argument("--enterprise", required=True, metavar="ID")
    his.add_argument("--from", dest="period_from", type=_period, metavar="PERIOD")
    his.add_argument("--to", dest="period_to", type=_period, metavar="PERIOD")
    his.add_argument("--format", choices=("table", "csv", "json"), default="table")
    his.set_defaults(func=cmd_history)


def _err(msg: str) -> int:
    sys.stderr.write(f"hazrisk: {msg}\n")
    return 2


def cmd_detect(args: argparse.Namespace) -> int:
    from hazrisk.config import ConfigError, load_rules
    from hazrisk.safety.params import SafetyParams
    from hazrisk.safety.pipeline import detect
    from hazrisk.store.connect import StoreError, connect

    try:
        params = SafetyParams.from_rules(load_rules(args.conf))
        con = connect(args.db)
    except (ConfigError, StoreError, ValueError) as exc:
        return _err(str(exc))
    start, end = args.start, args.end
    if start is None or end is None:
        rows = con.execute(read_sql("data_range"), {"min_share": _MIN_DAY_SHARE}).fetchall()
        d0, d1 = rows[0] if rows else (None, None)
        if d0 is None:
            return _err(f"{args.db}: no positions of registered vehicles; nothing to detect")
        start = start or d0
        end = end or d1
    if end < start:
        return _err(f"empty range {start} .. {end}")
    end = end + timedelta(days=1)  # internal ranges are half-open
    bar = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(desc="safety", unit="fix", unit_scale=True, file=sys.stderr, leave=False)

    def progress(done: int, _total: int) -> None:
        if bar is not None:
            bar.n = done
            bar.refresh()

    report = detect(con, start, end, params=params, progress=progress)
    if bar is not None:
        bar.close()
    out = report.to_json()
    if args.json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    else:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.violations.items())) or "none"
        sys.stdout.write(
            f"safety {start} .. {end - timedelta(days=1)}: {report.vehicles} vehicles, "
            f"{report.positions:,} fixes, {out['violations_total']} violations ({counts}); "
            f"{report.vehicle_days} vehicle-days, {report.enterprise_months} enterprise-months, "
            f"{report.vehicle_months} vehicle-months; "
            f"{report.duration_s:.1f} s\n")
    return 0


def _open(path: str | None) -> Any:
    from hazrisk.store.connect import StoreError, connect

    if not path:
        raise StoreError("--db FILE is required")
    con = connect(path, read_only=True)
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'safety'").fetchall()}
    if "vehicle_days" not in tables:
        raise StoreError(f"{path}: no safety tables yet; run `hazrisk detect --db {path}`")
    return con


def _emit(df: pd.DataFrame, fmt: str, records: list[dict[str, Any]] | None = None) -> None:
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False, lineterminator="\n"))
    elif fmt == "json":
        sys.stdout.write(json.dumps(records if records is not None else _records(df),
                                    ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        if df.empty:
            sys.stdout.write("(no rows)\n")
            return
        show = df.drop(columns=[c for c in ("counts_by_rule_json",) if c in df.columns])
        with pd.option_context("display.width", 250, "display.max_columns", 60,
                               "display.max_colwidth", 24):
            sys.stdout.write(show.to_string(index=False) + "\n")


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(df.to_json(orient="records", force_ascii=False))
    for rec in out:
        if "counts_by_rule_json" in rec:
            rec["counts_by_rule"] = json.loads(rec.pop("counts_by_rule_json") or "{}")
    return out


def cmd_safety(args: argparse.Namespace) -> int:
    from hazrisk.store.connect import StoreError

    if args.period:
        d0 = date.fromisoformat(args.period + "-01")
        d1 = next_month(d0)
        label = {"period": args.period}
    elif args.start and args.end:
        d0, d1 = args.start, args.end + timedelta(days=1)  # --end is inclusive
        if d1 <= d0:
            return _err(f"empty range {args.start} .. {args.end}")
        label = {"start": d0.isoformat(), "end": args.end.isoformat()}
    else:
        return _err("safety: give --period YYYY-MM or --start DATE --end DATE")
    try:
        con = _open(args.db)
    except StoreError as exc:
        return _err(str(exc))
    df = con.sql(read_sql("report"), params={"d0": d0, "d1": d1,
                                             "enterprise": args.enterprise}).to_df()
    records = [{**label, **r} for r in _records(df)]
    _emit(df, args.format, records)
    return 0 if len(df) or args.enterprise is None else 1


def cmd_history(args: argparse.Namespace) -> int:
    from hazrisk.store.connect import StoreError

    try:
        con = _open(args.db)
    except StoreError as exc:
        return _err(str(exc))
    df = con.sql(read_sql("history"), params={
        "enterprise": args.enterprise, "p0": args.period_from, "p1": args.period_to}).to_df()
    records = [{"enterprise_id": args.enterprise, **r} for r in _records(df)]
    _emit(df, args.format, records)
    return 0 if len(df) else 1
