"""``hazrisk rates`` and ``hazrisk devices``: provider rates, ranking, device KPIs, drill-down.

    hazrisk rates --db FILE (--period 2026-10 | --start DATE --end DATE) [--provider ID]
                  [--format table|csv|json] [--ranking] [--conf FILE]
    hazrisk rates explain --db FILE --metric ID --provider ID (--period ... | --start --end)
    hazrisk devices --db FILE (--period ... | --start --end) [--maker ID] [--format ...]
    hazrisk devices explain --db FILE --metric ID --maker ID [--model M] (--period ...)

Results are also stored in the warehouse (``rates.*`` tables, ``mart.provider_rates``,
``mart.provider_ranking``, ``mart.device_kpis``), so ``hazrisk publish`` ships them.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hazrisk.config import ConfigError, load_rules
from hazrisk.rates.period import Period, PeriodError
from hazrisk.rates.registry import DEVICE_METRICS, PROVIDER_METRICS

Record = dict[str, Any]

_RATE_COLUMNS = ("provider", "number", "metric", "name_zh", "numerator", "denominator",
                 "rate", "ci_low", "ci_high", "score", "national_score")
_RANK_COLUMNS = ("rank", "provider_id", "provider_name", "score", "national_score",
                 "national_rank", "prev_period", "score_change", "rank_change")
_DEVICE_COLUMNS = ("maker_id", "device_model", "number", "metric", "name_zh", "numerator",
                   "denominator", "rate", "ci_low", "ci_high")
_EXPLAIN_COLUMNS = ("party_id", "vehicle_id", "label", "day", "time", "pos_seq", "checks",
                    "detail")


def _add_common(p: argparse.ArgumentParser) -> None:
    # not argparse-required: the parent parser would demand it before `explain`
    p.add_argument("--db", metavar="FILE", help="warehouse DuckDB file (required)")
    p.add_argument("--period", metavar="PERIOD",
                   help="calendar month YYYY-MM (default unit), a day YYYY-MM-DD, or A..B")
    p.add_argument("--start", metavar="DATE", help="first Beijing date (with --end)")
    p.add_argument("--end", metavar="DATE", help="last Beijing date, inclusive")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--conf", metavar="FILE",
                   help="rules override file (default: $HAZRISK_CONF, then conf/rules.toml)")


def register(subparsers: Any) -> None:
    """Add ``rates`` and ``devices`` (each with ``explain``) to the ``hazrisk`` command."""
    rates = subparsers.add_parser(
        "rates", help="provider technical rates, national indicators and ranking",
        description="Compute the seven provider rates, the national indicators and the "
                    "composite score for a period (stored in rates.* / mart.*).")
    _add_common(rates)
    rates.add_argument("--provider", metavar="ID", help="show this provider only")
    rates.add_argument("--ranking", action="store_true",
                       help="show the composite ranking instead of the rates")
    rates.set_defaults(func=run_rates)
    rsub = rates.add_subparsers(title="drill-down", metavar="explain")
    rx = rsub.add_parser("explain", help="failing vehicles/records of one rate",
                         description="List the failing vehicles or records behind a rate, "
                                     "with the failing check named.")
    _add_common(rx)
    rx.add_argument("--metric", required=True, choices=PROVIDER_METRICS)
    rx.add_argument("--provider", required=True, metavar="ID")
    rx.add_argument("--limit", type=int, default=100, help="rows shown (default 100)")
    rx.set_defaults(func=run_explain)

    dev = subparsers.add_parser(
        "devices", help="device-maker KPIs (24 h repair rate, data preservation)",
        description="Compute the device-maker KPIs per maker and model for a period.")
    _add_common(dev)
    dev.add_argument("--maker", metavar="ID", help="show this maker only")
    dev.set_defaults(func=run_devices)
    dsub = dev.add_subparsers(title="drill-down", metavar="explain")
    dx = dsub.add_parser("explain", help="failing tickets/outages of one KPI")
    _add_common(dx)
    dx.add_argument("--metric", required=True, choices=DEVICE_METRICS)
    dx.add_argument("--maker", required=True, metavar="ID")
    dx.add_argument("--model", metavar="MODEL", help="one device model only")
    dx.add_argument("--limit", type=int, default=100)
    dx.set_defaults(func=run_device_explain)


def _period(args: argparse.Namespace) -> Period:
    if args.period and (args.start or args.end):
        raise PeriodError("give --period or --start/--end, not both")
    if args.period:
        return Period.parse(args.period)
    if args.start and args.end:
        return Period.between(args.start, args.end)
    raise PeriodError("give --period YYYY-MM or --start DATE --end DATE")


def _open(args: argparse.Namespace) -> Any:
    from hazrisk.store.connect import connect

    if not args.db:
        raise FileNotFoundError("--db FILE is required")
    if not Path(args.db).exists():
        raise FileNotFoundError(f"{args.db}: no such database")
    return connect(args.db)


def _run(args: argparse.Namespace, work: Any) -> int:
    try:
        period = _period(args)
        rules = load_rules(args.conf) if args.conf else load_rules()
        con = _open(args)
    except (PeriodError, ConfigError, FileNotFoundError) as exc:
        sys.stderr.write(f"hazrisk {args.command_name}: {exc}\n")
        return 2
    try:
        rows, columns = work(con, period, rules)
    except (ValueError, KeyError) as exc:
        sys.stderr.write(f"hazrisk {args.command_name}: {exc}\n")
        return 2
    finally:
        con.close()
    write(rows, columns, args.format, sys.stdout)
    return 0


def run_rates(args: argparse.Namespace) -> int:
    from hazrisk.rates.compute import compute_rates, ranking

    args.command_name = "rates"

    def work(con: Any, period: Period, rules: Any) -> tuple[list[Record], Sequence[str]]:
        rows = compute_rates(con, period, rules, provider=args.provider)
        if args.ranking:
            ranked = ranking(con, period)
            return ([r for r in ranked if args.provider in (None, r["provider_id"])],
                    _RANK_COLUMNS)
        return rows, _RATE_COLUMNS

    return _run(args, work)


def run_explain(args: argparse.Namespace) -> int:
    from hazrisk.rates.explain import explain

    args.command_name = "rates explain"

    def work(con: Any, period: Period, rules: Any) -> tuple[list[Record], Sequence[str]]:
        rows = explain(con, args.metric, period, provider=args.provider, rules=rules,
                       limit=args.limit)
        return rows, _EXPLAIN_COLUMNS

    return _run(args, work)


def run_devices(args: argparse.Namespace) -> int:
    from hazrisk.rates.compute import compute_devices

    args.command_name = "devices"

    def work(con: Any, period: Period, rules: Any) -> tuple[list[Record], Sequence[str]]:
        return compute_devices(con, period, rules, maker=args.maker), _DEVICE_COLUMNS

    return _run(args, work)


def run_device_explain(args: argparse.Namespace) -> int:
    from hazrisk.rates.explain import explain

    args.command_name = "devices explain"

    def work(con: Any, period: Period, rules: Any) -> tuple[list[Record], Sequence[str]]:
        rows = explain(con, args.metric, period, maker=args.maker, model=args.model,
                       rules=rules, limit=args.limit)
        return rows, _EXPLAIN_COLUMNS

    return _run(args, work)


# output ------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key in ("rate", "ci_low", "ci_high", "coverage") and isinstance(value, float):
        return f"{value * 100:.2f}%"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(_plain(value))


def write(rows: list[Record], columns: Sequence[str], fmt: str, out: Any) -> None:
    """Write records as an aligned table, CSV (all keys) or JSON (list of records)."""
    if fmt == "json":
        out.write(json.dumps([{k: _plain(v) for k, v in r.items()} for r in rows],
                             ensure_ascii=False, indent=2, default=str))
        out.write("\n")
        return
    if fmt == "csv":
        keys = list(rows[0]) if rows else list(columns)
        w = csv.DictWriter(out, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (json.dumps(v, ensure_ascii=False, default=str)
                            if isinstance(v, list | dict) else _plain(v))
                        for k, v in r.items()})
        return
    cols = [c for c in columns if any(c in r for r in rows)] or list(columns)
    cells = [[_cell(c, r.get(c)) for c in cols] for r in rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(cols)]
    out.write("  ".join(_pad(c, w) for c, w in zip(cols, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    if not rows:
        out.write("(no rows)\n")


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
