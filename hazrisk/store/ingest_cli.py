"""``hazrisk ingest``: dumps into the warehouse, with a progress bar and one line per file;
``--reflag`` recomputes the stored quality flags under other ``[validity]`` rules.
Registered by :mod:`hazrisk.store.cli`; the work is :func:`hazrisk.store.ingest.ingest_paths`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from pathlib import Path

import duckdb

from hazrisk.cliutil import emit, fail, open_warehouse, output_format, usage
from hazrisk.store.warehouse_cli import (
    first_line,
    open_or_create,
    out,
    out_json,
    remove_new_warehouse,
)
from hazrisk.validity import Validity

#: DuckDB memory cap of ``hazrisk ingest`` (HAZRISK_DUCKDB_MEMORY overrides).
INGEST_DUCKDB_MEMORY = "768MB"


def err(msg: str) -> None:
    """An ingest message on stderr."""
    sys.stderr.write(f"hazrisk ingest: {msg}\n")


def cmd_ingest(args: argparse.Namespace) -> int:
    if args.paths and not args.reflag:
        from hazrisk.worker_process import prestart

        # The decoding worker's start-up (Python, Numba's compiled kernels: ~0.5 s) overlaps
        # this process's own (its imports, the warehouse): hex-only province-day ingest
        # 12.83 -> 12.2 s.
        prestart("hazrisk.store.decode_worker")
    from hazrisk.jt808.reader import DEFAULT_CHUNK
    from hazrisk.store.allocator import tune_for_ingest
    from hazrisk.store.ingest import FileSummary, ingest_paths, total_bytes

    fmt = output_format(args)
    validity = _validity(args)
    if args.reflag:
        return _reflag(args, validity, fmt)
    if not args.paths:
        usage("give the dumps to ingest (PATH ...), or --reflag")
    chunk_bytes = DEFAULT_CHUNK if args.chunk_mb is None else args.chunk_mb << 20
    tune_for_ingest()  # process-wide: the command's choice, opt-in for library callers
    # DuckDB's block cache grows with the warehouse up to this cap (otherwise 80 % of RAM);
    # ingest's peak RSS is about this cap + 0.8 GB of decode buffers and chunks in flight,
    # whatever the file size (benchmarks/README.md).
    memory = os.environ.get("HAZRISK_DUCKDB_MEMORY", INGEST_DUCKDB_MEMORY)
    created = not Path(args.db or "").exists()
    con = open_or_create(args.db, memory_limit=memory)
    gc.freeze()  # what is imported by now lives as long as the command: not walked again
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
            err(line)
        elif fmt == "table":
            out(line)

    try:
        report = ingest_paths(con, args.paths, chunk_bytes=chunk_bytes, progress=progress,
                              on_file=on_file, validity=validity)
    except (duckdb.Error, OSError) as exc:  # e.g. the disk is full
        fail(f"{args.db}: cannot write the warehouse ({first_line(exc)}); files reported ok "
             "are stored, the file being written shows nothing and is cleaned up by the next "
             "run; free space and run ingest again (stored files are skipped)")
    finally:
        if bar is not None:
            bar.close()
        with contextlib.suppress(duckdb.Error):
            con.close()
        if created and not state["stored"]:
            remove_new_warehouse(Path(args.db))  # nothing stored: leave no empty warehouse
    for m in report.missing:
        err(f"{m}: no such file or directory (nothing matched)")
    if not report.files and not report.missing:
        fail("no dump files found in " + ", ".join(args.paths) + " (taken: .bin .raw .dat "
             ".log .hex .txt and their .gz)" + (f"; {len(report.left_alone)} other files left "
                                               "alone" if report.left_alone else ""))
    for f in report.failed:
        if bar is not None:
            err(f.line())
    if fmt == "json":
        out_json(report.to_json())
    elif fmt == "csv":
        emit([{**f.to_json(), "error": f.error} for f in report.files], "csv")
    else:
        t = report.to_json()["totals"]
        out(f"{t['ingested']} ingested, {t['skipped']} skipped, {t['failed']} failed; "
             f"{t['frames_ok']:,} frames ok, {sum(t['rejected'].values()):,} rejected, "
             f"{t['positions']:,} positions ({t['duplicates']:,} duplicates)")
        if t["unknown_terminals"]:
            out(f"unknown terminals (kept, not in the registry): {len(t['unknown_terminals'])}: "
                 + ", ".join(t["unknown_terminals"][:20]))
        if report.left_alone:
            out(f"left alone ({len(report.left_alone)} files that are not dumps): "
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
        out_json(result)
    elif fmt == "csv":
        emit([result], "csv")
    else:
        out(f"{files} files reflagged under the [validity] rules given, {rows:,} positions' "
             "flags changed")
    return 0

