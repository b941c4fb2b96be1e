"""``hazrisk rates`` and ``hazrisk devices``: provider rates, ranking, device KPIs, drill-down.

    hazrisk rates --db FILE (--period 2026-10 | --start DATE --end DATE) [--provider ID]
                  [--ranking] [--no-store] [--format table|csv|json] [--conf FILE]
                  [--engine duckdb|spark --export DIR [--spark-master URL]]
    hazrisk rates explain --db FILE --metric ID --provider ID (--period ... | --start --end)
    hazrisk devices --db FILE (--period ... | --start --end) [--maker ID] [--no-store]
    hazrisk devices explain --db FILE --metric ID --maker ID [--model M] (--period ...)

Results are stored on purpose: ``rates`` and ``devices`` are official runs (stored, replacing
the same period, published by ``hazrisk publish`` through ``mart.*``) unless ``--no-store``
(a preview: computed in a transaction that is rolled back, nothing written). The drill-downs
never write. Options, dates, formats and exit codes follow :mod:`hazrisk.cliutil`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
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
    usage,
)
from hazrisk.config import ConfigError, Rules, load_rules
from hazrisk.period import Period
from hazrisk.rates.metrics import DEVICE_METRICS, PROVIDER_METRICS
from hazrisk.spark.options import (
    add_engine_arguments,
    add_engine_refusal,
    engine_from_args,
    refuse_engine,
)

Record = dict[str, Any]
Work = Callable[[Any, Period, Rules], list[Record]]

_RATE_COLUMNS = ("provider", "number", "metric", "name_zh", "numerator", "denominator",
                 "rate", "ci_low", "ci_high", "score", "national_score")
_RANK_COLUMNS = ("rank", "provider_id", "provider_name", "score", "national_score",
                 "national_rank", "prev_period", "score_change", "rank_change")
_DEVICE_COLUMNS = ("maker_id", "device_model", "number", "metric", "name_zh", "numerator",
                   "denominator", "rate", "ci_low", "ci_high")
_EXPLAIN_COLUMNS = ("party_id", "vehicle_id", "label", "day", "time", "pos_seq", "checks",
                    "detail")


def _add_common(p: argparse.ArgumentParser) -> None:
    add_db_argument(p)
    add_period_arguments(p)
    add_format_argument(p)
    p.add_argument("--conf", metavar="FILE",
                   help="rules override file (default: $HAZRISK_CONF, then conf/rules.toml)")


def _add_limit(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=100, metavar="N",
                   help="rows shown, at least 1 (default 100); `total` counts them all")


def register(subparsers: Any) -> None:
    """Add ``rates`` and ``devices`` (each with ``explain``) to the ``hazrisk`` command."""
    rates = subparsers.add_parser(
        "rates", help="provider technical rates, national indicators and ranking",
        description="Compute the seven provider rates, the national indicators and the "
                    "composite score for a period. An official run: stored (replacing the "
                    "same period) and published; --no-store previews without writing.")
    _add_common(rates)
    rates.add_argument("--provider", metavar="ID", help="show this provider only")
    rates.add_argument("--ranking", action="store_true",
                       help="show the composite ranking instead of the rates")
    rates.add_argument("--no-store", action="store_true",
                       help="preview: compute and show, store nothing (not published)")
    add_engine_arguments(rates)
    rates.set_defaults(func=run_rates, command_name="rates")
    rsub = rates.add_subparsers(title="drill-down", metavar="explain")
    rx = rsub.add_parser("explain", help="failing vehicles/records of one rate",
                         description="List the failing vehicles or records behind a rate, "
                                     "with the failing check named (writes nothing).")
    _add_common(rx)
    rx.add_argument("--metric", required=True, choices=PROVIDER_METRICS, metavar="ID",
                    help="metric id: " + ", ".join(PROVIDER_METRICS))
    rx.add_argument("--provider", required=True, metavar="ID")
    _add_limit(rx)
    add_engine_refusal(rx)
    rx.set_defaults(func=run_explain, command_name="rates explain")

    dev = subparsers.add_parser(
        "devices", help="device-maker KPIs (24 h repair rate, data preservation)",
        description="Compute the device-maker KPIs per maker and model for a period. An "
                    "official run: stored and published; --no-store previews without writing.")
    _add_common(dev)
    dev.add_argument("--maker", metavar="ID", help="show this maker only")
    dev.add_argument("--no-store", action="store_true",
                     help="preview: compute and show, store nothing (not published)")
    dev.set_defaults(func=run_devices, command_name="devices")
    dsub = dev.add_subparsers(title="drill-down", metavar="explain")
    dx = dsub.add_parser("explain", help="failing tickets/outages of one KPI",
                         description="List the fault tickets or outages behind a device KPI "
                                     "(writes nothing).")
    _add_common(dx)
    dx.add_argument("--metric", required=True, choices=DEVICE_METRICS, metavar="ID",
                    help="metric id: " + ", ".join(DEVICE_METRICS))
    dx.add_argument("--maker", required=True, metavar="ID")
    dx.add_argument("--model", metavar="MODEL", help="one device model only")
    _add_limit(dx)
    dx.set_defaults(func=run_device_explain, command_name="devices explain")


def _run(args: argparse.Namespace, work: Work, columns: Sequence[str], *,
         store: bool, opener: Callable[[str], Any] | None = None) -> int:
    """Parse the common options, open the warehouse (``opener``, default
    :func:`~hazrisk.cliutil.open_warehouse`), run ``work`` and print its rows.

    ``store=False``: the work runs in a transaction that is rolled back (nothing written).
    """
    import duckdb

    period = period_from_args(args)
    fmt = output_format(args)
    if getattr(args, "limit", 1) < 1:
        usage(f"--limit must be at least 1, not {args.limit}")
    try:
        rules = load_rules(args.conf) if args.conf else load_rules()
    except ConfigError as exc:
        usage(str(exc))
    from hazrisk.sqlfiles import transaction

    con = (opener or open_warehouse)(args.db)
    try:
        if store:
            rows = work(con, period, rules)
        else:
            with transaction(con, keep=False):  # a preview: rolled back
                rows = work(con, period, rules)
    except duckdb.Error as exc:
        fail(f"{args.db}: {str(exc).strip().splitlines()[0]}")
    finally:
        con.close()
    echo = {"period": period.label, "start": period.start.isoformat(),
            "end": period.end.isoformat()}  # the period as given, both ends inclusive
    emit([{**echo, **r} for r in rows], fmt, columns=table_columns(args, columns))
    return 0


def _ids(con: Any, statement: str, params: dict[str, Any] | None = None) -> list[str]:
    """Ids listed by a statement of ``sql/cli.sql``."""
    from hazrisk.sqlfiles import SqlFolder

    return [str(next(iter(r.values())))
            for r in SqlFolder("hazrisk.rates").query(con, "cli", statement, params)]


def _unknown(kind: str, given: str, known: Sequence[str]) -> None:
    shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
    fail(f"unknown {kind} {given!r}" + (f"; known: {shown}" if known else "; none registered"))


def _check_provider(con: Any, provider: str | None, period: Period) -> None:
    """Before any work: the provider is registered or has stored results of the period."""
    from hazrisk.rates.compute import has_table

    if provider is None:
        return
    known = set(_ids(con, "known_providers"))
    if provider not in known and has_table(con, "rates", "provider_rates"):
        known |= set(_ids(con, "stored_providers", {"period": period.label}))
    if provider not in known:
        _unknown("provider", provider, sorted(known))


def _check_maker(con: Any, maker: str | None) -> None:
    """Before any work: the device maker is registered (or named by a vehicle)."""
    if maker is not None and maker not in (known := _ids(con, "known_makers")):
        _unknown("device maker", maker, known)


def run_rates(args: argparse.Namespace) -> int:
    from hazrisk.rates.compute import compute_rates, ranking

    engine = engine_from_args(args)

    def work(con: Any, period: Period, rules: Rules) -> list[Record]:
        if engine is not None:  # a results warehouse: its copies of the export's inputs
            engine.refresh_inputs()
        _check_provider(con, args.provider, period)
        if engine is None:
            rows = compute_rates(con, period, rules, official=not args.no_store)
        else:  # hazrisk.spark: the day partials per vehicle group, the period from them
            from hazrisk.spark.rates import rates_spark

            rows, _ = rates_spark(engine.session, con, engine.source, period, rules,
                                  official=not args.no_store, groups=engine.groups,
                                  positions_here=engine.positions_here)
        if args.ranking:
            return [r for r in ranking(con, period) if args.provider in (None, r["provider_id"])]
        return [r for r in rows if args.provider in (None, r["provider_id"])]

    return _run(args, work, _RANK_COLUMNS if args.ranking else _RATE_COLUMNS,
                store=not args.no_store, opener=engine.open if engine else None)


def run_explain(args: argparse.Namespace) -> int:
    from hazrisk.rates.explain import explain

    refuse_engine(args, "the drill-downs")

    def work(con: Any, period: Period, rules: Rules) -> list[Record]:
        _check_provider(con, args.provider, period)
        return explain(con, args.metric, period, provider=args.provider, rules=rules,
                       limit=args.limit)

    return _run(args, work, _EXPLAIN_COLUMNS, store=False)


def run_devices(args: argparse.Namespace) -> int:
    from hazrisk.rates.compute import compute_devices

    def work(con: Any, period: Period, rules: Rules) -> list[Record]:
        _check_maker(con, args.maker)
        rows = compute_devices(con, period, rules, official=not args.no_store)
        return [r for r in rows if args.maker in (None, r["maker_id"])]

    return _run(args, work, _DEVICE_COLUMNS, store=not args.no_store)


def run_device_explain(args: argparse.Namespace) -> int:
    from hazrisk.rates.explain import explain

    def work(con: Any, period: Period, rules: Rules) -> list[Record]:
        _check_maker(con, args.maker)
        return explain(con, args.metric, period, maker=args.maker, model=args.model,
                       rules=rules, limit=args.limit)

    return _run(args, work, _EXPLAIN_COLUMNS, store=False)
