"""Warehouse subcommands: ``ingest``, ``registry import``, ``retain``, ``publish``, ``export``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from typing import Any

from hazrisk.store.allocator import DEFAULT_CHUNK
from hazrisk.store.connect import StoreError, connect

#: DuckDB memory cap of ``hazrisk ingest`` (HAZRISK_DUCKDB_MEMORY overrides).
INGEST_DUCKDB_MEMORY = "768MB"


def register(subparsers: Any) -> None:
    """Add the warehouse subcommands to the ``hazrisk`` parser."""
    p = subparsers.add_parser(
        "ingest",
        help="decode JT/T 808 dumps into the DuckDB warehouse",
        description=(
            "Decode dumps (raw captures or gateway hex logs, gzip or not; files, folders, "
            "globs) into the warehouse. One transaction per file; files already ingested "
            "(same sha256) are skipped. In folders only dump files (.bin .raw .dat .log .hex "
            ".txt and .gz of them) are taken; other files are listed as left alone."),
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--db", required=True, metavar="FILE", help="warehouse DuckDB file")
    p.add_argument("--json", action="store_true", help="print one JSON summary on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--chunk-mb", type=int, default=DEFAULT_CHUNK >> 20, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_ingest)

    reg = subparsers.add_parser("registry", help="import registry files (vehicles, enterprises...)")
    rsub = reg.add_subparsers(title="registry commands", metavar="COMMAND")
    ri = rsub.add_parser(
        "import",
        help="import the registry CSV/GeoJSON files of a folder",
        description=(
            "Import vehicles, enterprises, providers, device makers, insurers, drivers, images, "
            "phone verifications, routes/areas/roads (GeoJSON), handling log, fault tickets, "
            "policies and claims from DIR (or DIR/registry, DIR/logs, DIR/insurance). Each file "
            "replaces the previous import of its kind; invalid rows are reported with file, "
            "row and column and kept in quarantine.registry_rejects."),
    )
    ri.add_argument("dir", metavar="DIR")
    ri.add_argument("--db", required=True, metavar="FILE")
    ri.add_argument("--json", action="store_true")
    ri.add_argument("--force", action="store_true", help="re-import files whose content is unchanged")
    ri.set_defaults(func=cmd_registry_import)
    reg.set_defaults(func=lambda args: _usage(reg))

    rt = subparsers.add_parser(
        "retain",
        help="delete data older than its retention horizon (conf [retention])",
        description=(
            "Dynamic monitoring data is kept at least dynamic_data_months (6), violation records "
            "and their handling at least violation_years (3), the vehicle-month safety history "
            "at least safety_history_years (3); rows strictly older than the "
            "horizon before --as-of (Beijing midnight) are deleted."),
    )
    rt.add_argument("--db", required=True, metavar="FILE")
    rt.add_argument("--as-of", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD")
    rt.add_argument("--dry-run", action="store_true", help="only report what would be deleted")
    rt.add_argument("--json", action="store_true")
    rt.add_argument("--conf", metavar="FILE", help="rules file (default: conf/rules.toml)")
    rt.set_defaults(func=cmd_retain)

    pb = subparsers.add_parser(
        "publish",
        help="write the mart to a separate read-only DuckDB file (and Parquet), atomically",
    )
    pb.add_argument("--db", required=True, metavar="FILE")
    pb.add_argument("--out", required=True, metavar="FILE")
    pb.add_argument("--parquet", metavar="DIR", help="also one Parquet file per mart table")
    pb.add_argument("--json", action="store_true")
    pb.set_defaults(func=cmd_publish)

    ex = subparsers.add_parser(
        "export", help="export core tables to Parquet partitioned by date and provider")
    ex.add_argument("--db", required=True, metavar="FILE")
    ex.add_argument("--out", required=True, metavar="DIR")
    ex.add_argument("--json", action="store_true")
    ex.set_defaults(func=cmd_export)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _err(msg: str) -> None:
    sys.stderr.write(f"hazrisk: {msg}\n")


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


# --------------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from hazrisk.store.ingest import FileSummary, ingest_paths, total_bytes

    try:
        # DuckDB's block cache grows with the warehouse up to this cap (otherwise 80 % of
        # RAM); ingest's peak RSS is about this cap + 0.8 GB of decode buffers and chunks in
        # flight, whatever the file size (benchmarks/README.md).
        con = connect(args.db, memory_limit=os.environ.get("HAZRISK_DUCKDB_MEMORY",
                                                           INGEST_DUCKDB_MEMORY))
    except StoreError as exc:
        _err(str(exc))
        return 2
    bar = None
    state = {"frames": 0, "t0": time.perf_counter()}
    if not args.no_progress:
        from tqdm import tqdm

        bar = tqdm(total=total_bytes(args.paths), unit="B", unit_scale=True,
                   unit_divisor=1024, desc="ingest", file=sys.stderr, leave=False,
                   disable=None)  # None: shown on a terminal only

    def progress(nbytes: int, frames: int) -> None:
        state["frames"] += frames
        if bar is not None:
            bar.update(nbytes)
            el = time.perf_counter() - state["t0"]
            bar.set_postfix_str(f"{state['frames'] / el if el else 0:,.0f} frames/s")

    def on_file(s: FileSummary) -> None:
        line = s.line()
        if bar is not None:
            bar.write(line, file=sys.stderr if args.json else sys.stdout)
        elif s.error:
            _err(line)
        elif not args.json:
            _out(line)

    try:
        report = ingest_paths(con, args.paths, chunk_bytes=args.chunk_mb << 20,
                              progress=progress, on_file=on_file)
    finally:
        if bar is not None:
            bar.close()
        con.close()
    for m in report.missing:
        _err(f"{m}: no such file or directory (nothing matched)")
    for f in report.failed:
        if bar is not None:
            _err(f.line())
    if args.json:
        _out(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        t = report.to_json()["totals"]
        _out(f"{t['ingested']} ingested, {t['skipped']} skipped, {t['failed']} failed; "
             f"{t['frames_ok']:,} frames ok, {sum(t['rejected'].values()):,} rejected, "
             f"{t['positions']:,} positions ({t['duplicates']:,} duplicates)")
        if t["unknown_terminals"]:
            _out(f"unknown terminals (kept, not in the registry): {len(t['unknown_terminals'])}: "
                 + ", ".join(t["unknown_terminals"][:20]))
        if report.left_alone:
            _out(f"left alone ({len(report.left_alone)} files that are not dumps): "
                 + ", ".join(report.left_alone[:10])
                 + (" ..." if len(report.left_alone) > 10 else ""))
    return report.exit_code


def cmd_registry_import(args: argparse.Namespace) -> int:
    from hazrisk.store.registry import import_registry

    try:
        con = connect(args.db)
    except StoreError as exc:
        _err(str(exc))
        return 2
    try:
        report = import_registry(con, args.dir, force=args.force)
    finally:
        con.close()
    if args.json:
        _out(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for f in report.files:
            if f.status == "failed":
                _err(f"FAILED {f.error}")
                continue
            if f.kind != "-":
                _out(f"{f.status:9} {f.kind:20} {f.path}: {f.rows_ok} rows, "
                     f"{f.rows_rejected} rejected, {f.values_nulled} values nulled")
            for prob in f.problems:
                _out(f"  {prob.message()}")
            for w in f.warnings:
                _out(f"  warning: {w}")
        if report.left_alone:
            _out(f"left alone: {', '.join(report.left_alone)}")
    return 1 if report.failed else 0


def cmd_retain(args: argparse.Namespace) -> int:
    from hazrisk.config import ConfigError, load_rules
    from hazrisk.store.retention import RetentionError, retain

    try:
        rules = load_rules(args.conf) if args.conf else load_rules()
        con = connect(args.db)
    except (StoreError, ConfigError) as exc:
        _err(str(exc))
        return 2
    try:
        results = retain(con, args.as_of, dry_run=args.dry_run, rules=rules)
    except RetentionError as exc:
        _err(str(exc))
        return 2
    finally:
        con.close()
    if args.json:
        _out(json.dumps({"as_of": args.as_of.isoformat(), "dry_run": args.dry_run,
                         "tables": [r.to_json() for r in results]}, ensure_ascii=False))
    else:
        verb = "would delete" if args.dry_run else "deleted"
        for r in results:
            _out(f"{r.table:28} {r.klass:9} keep {r.horizon:9} cutoff {r.cutoff:%Y-%m-%d %H:%M%z}"
                 f": {verb} {r.rows_deleted:,} of {r.rows_before:,}"
                 + (f" ({r.rows_undated:,} undated, kept)" if r.rows_undated else ""))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from hazrisk.store.publish import publish

    try:
        res = publish(args.db, args.out, parquet_dir=args.parquet)
    except StoreError as exc:
        _err(str(exc))
        return 1
    if args.json:
        _out(json.dumps(res.to_json(), ensure_ascii=False))
    else:
        _out(f"published {len(res.tables)} mart tables to {res.out}"
             + (f" and {res.parquet_dir}" if res.parquet_dir else ""))
        for name, n in res.tables.items():
            _out(f"  mart.{name}: {n:,} rows")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from hazrisk.store.export import export

    try:
        con = connect(args.db, read_only=True)
    except StoreError as exc:
        _err(str(exc))
        return 2
    try:
        res = export(con, args.out)
    except StoreError as exc:
        _err(str(exc))
        return 1
    finally:
        con.close()
    if args.json:
        _out(json.dumps(res.to_json(), ensure_ascii=False))
    else:
        _out(f"exported to {res.out}: " + ", ".join(f"{k} {v:,}" for k, v in res.rows.items()))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a warehouse subcommand directly (``python -m hazrisk.store.cli ingest ...``)."""
    parser = argparse.ArgumentParser(prog="hazrisk")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    return int(func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
