"""Warehouse subcommands: ``ingest``, ``registry import``, ``retain``, ``publish``, ``export``.

All speak the grammar of :mod:`hazrisk.cliutil`: ``--format table|csv|json`` (``--json``),
exit codes 0 / 1 (the work failed) / 2 (usage or input that cannot be opened), one-line
errors naming the path and the cause. ``ingest`` and ``registry import`` create a new
warehouse file when ``--db`` names none (in an existing folder); ``retain``, ``publish`` and
``export`` open only an existing warehouse. None of them writes to a published snapshot.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from hazrisk.cliutil import (
    EXIT_OK,
    add_db_argument,
    add_format_argument,
    emit,
    fail,
    open_warehouse,
    output_format,
    to_json,
    usage,
    wrap_text,
)
from hazrisk.jt808.reader import DEFAULT_CHUNK
from hazrisk.store.connect import StoreError
from hazrisk.validity import Validity

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
    p.add_argument("--chunk-mb", type=int, default=DEFAULT_CHUNK >> 20, help=argparse.SUPPRESS)
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


def _err(msg: str) -> None:
    sys.stderr.write(f"hazrisk ingest: {msg}\n")


def _out(text: str) -> None:
    """A line of the table format, wrapped to the terminal."""
    sys.stdout.write(wrap_text(text) + "\n")


def _out_json(obj: Any) -> None:
    sys.stdout.write(to_json(obj) + "\n")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def open_or_create(path: str | None, **kwargs: Any) -> Any:
    """The warehouse to write to: an existing one (never a published snapshot, a folder or a
    file that is not DuckDB; :func:`hazrisk.cliutil.open_warehouse` rules), or a new file in
    an existing folder. ``kwargs`` go to :func:`hazrisk.store.connect.connect`."""
    from hazrisk.cliutil import is_published_snapshot, require_path
    from hazrisk.store.connect import connect

    if not path:
        usage("--db FILE is required")
    p = Path(path)
    if p.exists():
        require_path(p)
        if is_published_snapshot(p):
            usage(f"{p}: is a published snapshot (read-only); give the warehouse that ingest "
                  "writes")
        check_warehouse(p)
    elif not p.parent.is_dir():
        usage(f"{p.parent}: no such folder (the warehouse {p.name} would be created there)")
    try:
        return connect(str(p), **kwargs)
    except (StoreError, duckdb.Error) as exc:
        usage(f"{p}: cannot open as a hazrisk warehouse ({_first_line(exc)})")


def check_warehouse(path: Path) -> None:
    """Refuse (exit 2) a DuckDB file that is not a hazrisk warehouse, before anything opens it
    for writing: the schema is never added to another application's database."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        usage(f"{path}: cannot open as a hazrisk warehouse ({_first_line(exc)})")
    try:
        from hazrisk.sqlfiles import has_relation

        n = has_relation(con, "meta", "schema_migrations")
    finally:
        con.close()
    if not n:
        usage(f"{path}: a DuckDB file that is not a hazrisk warehouse (no meta.schema_migrations);"
              " not changed")


def _warehouse(path: str | None, *, read_only: bool, command: str) -> Any:
    """:func:`hazrisk.cliutil.open_warehouse` for an existing hazrisk warehouse only."""
    if path and Path(path).is_file():
        from hazrisk.cliutil import is_published_snapshot

        if not is_published_snapshot(Path(path)):
            check_warehouse(Path(path))
    return open_warehouse(path, read_only=read_only, command=command)


def _remove_new_warehouse(path: Path) -> None:
    """Delete a warehouse file this command created and stored nothing in."""
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(OSError):
            p.unlink()


# --------------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from hazrisk.store.allocator import tune_for_ingest
    from hazrisk.store.ingest import FileSummary, ingest_paths, total_bytes

    fmt = output_format(args)
    validity = _validity(args)
    if args.reflag:
        return _reflag(args, validity, fmt)
    if not args.paths:
        usage("give the dumps to ingest (PATH ...), or --reflag")
    tune_for_ingest()  # process-wide: the command's choice, opt-in for library callers
    # DuckDB's block cache grows with the warehouse up to this cap (otherwise 80 % of RAM);
    # ingest's peak RSS is about this cap + 0.8 GB of decode buffers and chunks in flight,
    # whatever the file size (benchmarks/README.md).
    memory = os.environ.get("HAZRISK_DUCKDB_MEMORY", INGEST_DUCKDB_MEMORY)
    created = not Path(args.db or "").exists()
    con = open_or_create(args.db, memory_limit=memory)
    bar = None
    state = {"frames": 0, "t0": time.perf_counter(), "stored": 0}
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
        state["stored"] += int(not s.error and not s.skipped)
        line = s.line()
        if bar is not None:
            bar.write(line, file=sys.stderr if fmt != "table" else sys.stdout)
        elif s.error:
            _err(line)
        elif fmt == "table":
            _out(line)

    try:
        report = ingest_paths(con, args.paths, chunk_bytes=args.chunk_mb << 20,
                              progress=progress, on_file=on_file, validity=validity)
    except (duckdb.Error, OSError) as exc:  # e.g. the disk is full
        fail(f"{args.db}: cannot write the warehouse ({_first_line(exc)}); files reported ok "
             "are stored, the file being written shows nothing and is cleaned up by the next "
             "run; free space and run ingest again (stored files are skipped)")
    finally:
        if bar is not None:
            bar.close()
        with contextlib.suppress(duckdb.Error):
            con.close()
        if created and not state["stored"]:
            _remove_new_warehouse(Path(args.db))  # nothing stored: leave no empty warehouse
    for m in report.missing:
        _err(f"{m}: no such file or directory (nothing matched)")
    if not report.files and not report.missing:
        fail("no dump files found in " + ", ".join(args.paths) + " (taken: .bin .raw .dat "
             ".log .hex .txt and their .gz)" + (f"; {len(report.left_alone)} other files left "
                                               "alone" if report.left_alone else ""))
    for f in report.failed:
        if bar is not None:
            _err(f.line())
    if fmt == "json":
        _out_json(report.to_json())
    elif fmt == "csv":
        emit([{**f.to_json(), "error": f.error} for f in report.files], "csv")
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


def _validity(args: argparse.Namespace) -> Validity:
    from hazrisk.config import ConfigError, load_rules

    try:
        return Validity.from_rules(load_rules(args.conf) if args.conf else load_rules())
    except ConfigError as exc:
        usage(str(exc))


def _reflag(args: argparse.Namespace, validity: Validity, fmt: str) -> int:
    from hazrisk.store.validity_flags import reflag

    if args.paths:
        usage("--reflag takes no PATH (it recomputes the flags of the files already stored)")
    con = open_warehouse(args.db)
    try:
        files, rows = reflag(con, validity)
    finally:
        con.close()
    result = {"files_reflagged": files, "positions_changed": rows,
              "validity_sha256": validity.fingerprint()}
    if fmt == "json":
        _out_json(result)
    elif fmt == "csv":
        emit([result], "csv")
    else:
        _out(f"{files} files reflagged under the [validity] rules given, {rows:,} positions' "
             "flags changed")
    return 0


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
            _remove_new_warehouse(Path(args.db))  # nothing imported: leave no empty warehouse
    if not any(f.kind != "-" for f in report.files):
        fail(f"{args.dir}: no registry files found (vehicles.csv, enterprises.csv, ... in the "
             "folder or its registry/, logs/, insurance/; README \"Registry files\")")
    if fmt == "json":
        _out_json(report.to_json())
    elif fmt == "csv":
        emit([{k: v for k, v in f.to_json().items() if k not in ("problems", "warnings")}
              for f in report.files if f.kind != "-"], "csv")
    else:
        for f in report.files:
            if f.kind != "-":
                enc = f" ({f.encoding})" if f.encoding not in (None, "utf-8") else ""
                _out(f"{f.status:12} {f.kind:20} {f.path}{enc}: {f.rows_ok} rows, "
                     f"{f.rows_rejected} rejected, {f.values_nulled} values nulled")
            if f.error:
                _out(f"  {f.error}")
            for prob in f.problems:
                _out(f"  {prob.message()}")
            for w in f.warnings:
                _out(f"  warning: {w}")
        if report.left_alone:
            _out(f"left alone: {', '.join(report.left_alone)}")
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
    con = _warehouse(args.db, read_only=False, command="retain")
    try:
        results = retain(con, as_of, dry_run=args.dry_run, rules=rules)
    except RetentionError as exc:
        usage(str(exc))
    finally:
        con.close()
    if fmt == "json":
        _out_json({"as_of": as_of.isoformat(), "dry_run": args.dry_run,
                      "tables": [r.to_json() for r in results]})
    elif fmt == "csv":
        emit([r.to_json() for r in results], "csv")
    else:
        verb = "would delete" if args.dry_run else "deleted"
        for r in results:
            _out(f"{r.table:28} {r.klass:9} keep {r.horizon:9} cutoff {r.cutoff:%Y-%m-%d %H:%M%z}"
                 f": {verb} {r.rows_deleted:,} of {r.rows_before:,}"
                 + (f" ({r.rows_undated:,} undated, kept)" if r.rows_undated else "")
                 + (f" ({r.rows_aged_by_receipt:,} aged by receive time)"
                    if r.rows_aged_by_receipt else "")
                 + (f" ({r.rows_held:,} kept under a legal hold)" if r.rows_held else ""))
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from hazrisk.store.publish import check_target, publish

    fmt = output_format(args)
    _warehouse(args.db, read_only=True, command="publish").close()
    try:
        check_target(Path(args.db), Path(args.out), restricted=args.restricted)
    except StoreError as exc:
        usage(str(exc))
    try:
        res = publish(args.db, args.out, parquet_dir=args.parquet, restricted=args.restricted)
    except StoreError as exc:
        fail(str(exc))
    if fmt == "json":
        _out_json(res.to_json())
    elif fmt == "csv":
        emit([{"table": f"mart.{k}", "rows": v} for k, v in res.tables.items()], "csv")
    else:
        _out(f"published {len(res.tables)} mart tables to {res.out}"
             + (f" and {res.parquet_dir}" if res.parquet_dir else "")
             + (f"; personal data for authorised roles in {res.restricted} (mode 0600)"
                if res.restricted else ""))
        for name, n in res.tables.items():
            _out(f"  mart.{name}: {n:,} rows")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from hazrisk.store.export import export

    fmt = output_format(args)
    con = _warehouse(args.db, read_only=True, command="export")
    try:
        res = export(con, args.out, masked=not args.unmasked)
    except StoreError as exc:
        fail(str(exc))
    finally:
        con.close()
    if fmt == "json":
        _out_json(res.to_json())
    elif fmt == "csv":
        emit([{"table": k, "rows": v} for k, v in res.rows.items()], "csv")
    else:
        _out(f"exported to {res.out} ({'masked' if res.masked else 'UNMASKED personal data'}): "
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
