"""Warehouse subcommands: ``ingest``, ``registry import``, ``retain``, ``publish``, ``export``.

All speak the grammar of :mod:`hazrisk.cliutil`: ``--format table|csv|json`` (``--json``),
exit codes 0 / 1 (the work failed) / 2 (usage or input that cannot be opened), one-line
errors naming the path and the cause. ``ingest`` and ``registry import`` create a new
warehouse file when ``--db`` names none (in an existing folder); ``retain``, ``publish`` and
``export`` open only an existing warehouse (:mod:`hazrisk.store.warehouse_cli`). None of them
writes to a published snapshot. ``ingest`` itself is :mod:`hazrisk.store.ingest_cli`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from hazrisk.cliutil import (
    EXIT_OK,
    add_db_argument,
    add_format_argument,
    emit,
    fail,
    output_format,
    usage,
)
from hazrisk.store.connect import StoreError
from hazrisk.store.ingest_cli import cmd_ingest
from hazrisk.store.warehouse_cli import (
    existing_warehouse,
    open_or_create,
    out,
    out_json,
    remove_new_warehouse,
)


def register(subparsers: Any) -> None:
    """Add the warehouse subcommands to the ``hazrisk`` parser."""
    p = subparsers.add_parser(
        "ingest",
        help="decode JT/T 808 dumps into the DuckDB warehouse",
        description=(
            "Decode dumps (raw captures or gateway hex logs, gzip or not; files, folders, "
            "globs) into the warehouse. One transaction per file; files already ingested "
            "(same sha256) are skipped. In folders only dump files (.bin .raw .dat .log .hex "
            ".txt and .gz of them) are taken; other files are listed as left alone. A new "
            "warehouse file is created when --db names none. The data-qualification flags "
            "are computed under --conf's [validity] rules; --reflag recomputes the stored "
            "flags of files ingested under other rules (no PATH then)."),
    )
    p.add_argument("paths", nargs="*", metavar="PATH")
    add_db_argument(p)
    p.add_argument("--conf", metavar="FILE",
                   help="rules file (default: $HAZRISK_CONF, then conf/rules.toml)")
    p.add_argument("--reflag", action="store_true",
                   help="recompute the stored quality flags of files ingested under other "
                        "[validity] rules (重算数据合格标志)")
    add_format_argument(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    # default: the reader's DEFAULT_CHUNK (read by ingest, which loads the decoder's kernels)
    p.add_argument("--chunk-mb", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_ingest, command_name="ingest")

    reg = subparsers.add_parser("registry", help="import registry files (vehicles, enterprises...)")
    rsub = reg.add_subparsers(title="registry commands", metavar="COMMAND")
    ri = rsub.add_parser(
        "import",
        help="import the registry CSV/GeoJSON files of a folder",
        description=(
            "Import vehicles, enterprises, providers, device makers, insurers, drivers, images, "
            "phone verifications, routes/areas/roads (GeoJSON), handling log, fault tickets, "
            "policies and claims from DIR (or DIR/registry, DIR/logs, DIR/insurance), all or "
            "nothing. Each file replaces the previous import of its kind; invalid rows are "
            "reported with file, row and column and kept in quarantine.registry_rejects. A file "
            "mostly rejected, or with far fewer rows than the previous import (conf "
            "[registry]), is refused and nothing is imported (exit 1) unless --accept-shrink."),
    )
    ri.add_argument("dir", metavar="DIR")
    add_db_argument(ri)
    add_format_argument(ri)
    ri.add_argument("--force", action="store_true", help="re-import files whose content is unchanged")
    ri.add_argument("--accept-shrink", action="store_true",
                    help="import files the [registry] safeguards refuse (mostly rejected rows, "
                         "or far fewer rows than the previous import)")
    ri.add_argument("--encoding", metavar="NAME",
                    help="CSV text encoding (default: UTF-8, else GBK/GB18030 detected)")
    ri.set_defaults(func=cmd_registry_import, command_name="registry import")
    reg.set_defaults(func=lambda args: _usage(reg), command_name="registry")

    rt = subparsers.add_parser(
        "retain",
        help="delete data older than its retention horizon (conf [retention])",
        description=(
            "Dynamic monitoring data is kept at least dynamic_data_months (6), violation records "
            "and their handling at least violation_years (3), the vehicle-month safety history "
            "at least safety_history_years (3); rows strictly older than the "
            "horizon before --as-of (Beijing midnight) are deleted. A fix whose device clock is "
            "implausible is aged by its receive or ingest time."),
    )
    add_db_argument(rt)
    rt.add_argument("--as-of", required=True, metavar="YYYY-MM-DD")
    rt.add_argument("--dry-run", action="store_true", help="only report what would be deleted")
    add_format_argument(rt)
    rt.add_argument("--conf", metavar="FILE", help="rules file (default: conf/rules.toml)")
    rt.set_defaults(func=cmd_retain, command_name="retain")

    pb = subparsers.add_parser(
        "publish",
        help="write the mart to a separate read-only DuckDB file (and Parquet), atomically",
    )
    add_db_argument(pb)
    pb.add_argument("--out", required=True, metavar="FILE")
    pb.add_argument("--parquet", metavar="DIR", help="also one Parquet file per mart table")
    pb.add_argument("--no-restricted", dest="restricted", action="store_false",
                    help="do not write OUT's .restricted.duckdb beside it (the personal data an "
                         "enterprise sees of its own drivers in the portal, mode 0600); remove "
                         "one an earlier publish wrote")
    add_format_argument(pb)
    pb.set_defaults(func=cmd_publish, command_name="publish")

    ex = subparsers.add_parser(
        "export", help="export core tables to Parquet partitioned by date and provider",
        description=("Core tables as Parquet (DIR/<table>/date=…/provider=…). Drivers' names, "
                     "ID numbers and phones, owners' names and phone numbers are masked unless "
                     "--unmasked (authorised use only)."))
    add_db_argument(ex)
    ex.add_argument("--out", required=True, metavar="DIR")
    ex.add_argument("--unmasked", action="store_true",
                    help="personal data in clear (仅限授权 authorised use only)")
    add_format_argument(ex)
    ex.set_defaults(func=cmd_export, command_name="export")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def cmd_registry_import(args: argparse.Namespace) -> int:
    from hazrisk.store.registry_import import import_registry

    fmt = output_format(args)
    if not Path(args.dir).is_dir():
        usage(f"{args.dir}: no such folder")
    created = not Path(args.db or "").exists()
    con = open_or_create(args.db)
    report = None
    try:
        report = import_registry(con, args.dir, force=args.force,
                                 accept_shrink=args.accept_shrink, encoding=args.encoding)
    finally:
        con.close()
        if created and (report is None or report.failed
                        or not any(f.status == "imported" for f in report.files)):
            remove_new_warehouse(Path(args.db))  # nothing imported: leave no empty warehouse
    if not any(f.kind != "-" for f in report.files):
        fail(f"{args.dir}: no registry files found (vehicles.csv, enterprises.csv, ... in the "
             "folder or its registry/, logs/, insurance/; README \"Registry files\")")
    if fmt == "json":
        out_json(report.to_json())
    elif fmt == "csv":
        emit([{k: v for k, v in f.to_json().items() if k not in ("problems", "warnings")}
              for f in report.files if f.kind != "-"], "csv")
    else:
        for f in report.files:
            if f.kind != "-":
                enc = f" ({f.encoding})" if f.encoding not in (None, "utf-8") else ""
                out(f"{f.status:12} {f.kind:20} {f.path}{enc}: {f.rows_ok} rows, "
                     f"{f.rows_rejected} rejected, {f.values_nulled} values nulled")
            if f.error:
                out(f"  {f.error}")
            for prob in f.problems:
                out(f"  {prob.message()}")
            for w in f.warnings:
                out(f"  warning: {w}")
        if report.left_alone:
            out(f"left alone: {', '.join(report.left_alone)}")
    if report.failed:
        fail(report.summary)
    return EXIT_OK


def cmd_retain(args: argparse.Namespace) -> int:
    from hazrisk.config import ConfigError, load_rules
    from hazrisk.store.retention import RetentionError, retain

    fmt = output_format(args)
    try:
        as_of = date.fromisoformat(args.as_of)
    except ValueError:
        usage(f"--as-of {args.as_of!r}: expected a date YYYY-MM-DD")
    try:
        rules = load_rules(args.conf) if args.conf else load_rules()
    except ConfigError as exc:
        usage(str(exc))
    con = existing_warehouse(args.db, read_only=False, command="retain")
    try:
        results = retain(con, as_of, dry_run=args.dry_run, rules=rules)
    except RetentionError as exc:
        usage(str(exc))
    finally:
        con.close()
    if fmt == "json":
        out_json({"as_of": as_of.isoformat(), "dry_run": args.dry_run,
                      "tables": [r.to_json() for r in results]})
    elif fmt == "csv":
        emit([r.to_json() for r in results], "csv")
    else:
        verb = "would delete" if args.dry_run else "deleted"
        for r in results:
            out(f"{r.table:28} {r.klass:9} keep {r.horizon:9} cutoff {r.cutoff:%Y-%m-%d %H:%M%z}"
                 f": {verb} {r.rows_deleted:,} of {r.rows_before:,}"
                 + (f" ({r.rows_undated:,} undated, kept)" if r.rows_undated else "")
                 + (f" ({r.rows_aged_by_receipt:,} aged by receive time)"
                    if r.rows_aged_by_receipt else "")
                 + (f" ({r.rows_held:,} kept under a legal hold)" if r.rows_held else ""))
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from hazrisk.store.publish import check_target, publish

    fmt = output_format(args)
    existing_warehouse(args.db, read_only=True, command="publish").close()
    try:
        check_target(Path(args.db), Path(args.out), restricted=args.restricted)
    except StoreError as exc:
        usage(str(exc))
    try:
        res = publish(args.db, args.out, parquet_dir=args.parquet, restricted=args.restricted)
    except StoreError as exc:
        fail(str(exc))
    if fmt == "json":
        out_json(res.to_json())
    elif fmt == "csv":
        emit([{"table": f"mart.{k}", "rows": v} for k, v in res.tables.items()], "csv")
    else:
        out(f"published {len(res.tables)} mart tables to {res.out}"
             + (f" and {res.parquet_dir}" if res.parquet_dir else "")
             + (f"; personal data for authorised roles in {res.restricted} (mode 0600)"
                if res.restricted else ""))
        for name, n in res.tables.items():
            out(f"  mart.{name}: {n:,} rows")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from hazrisk.store.export import export

    fmt = output_format(args)
    con = existing_warehouse(args.db, read_only=True, command="export")
    try:
        res = export(con, args.out, masked=not args.unmasked)
    except StoreError as exc:
        fail(str(exc))
    finally:
        con.close()
    if fmt == "json":
        out_json(res.to_json())
    elif fmt == "csv":
        emit([{"table": k, "rows": v} for k, v in res.rows.items()], "csv")
    else:
        out(f"exported to {res.out} ({'masked' if res.masked else 'UNMASKED personal data'}): "
             + ", ".join(f"{k} {v:,}" for k, v in res.rows.items()))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run a warehouse subcommand directly (``python -m hazrisk.store.cli ingest ...``)."""
    from hazrisk.cli import run_command

    parser = argparse.ArgumentParser(prog="hazrisk")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return run_command(func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
