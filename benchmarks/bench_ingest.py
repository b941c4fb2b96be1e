"""End-to-end ingest benchmark on the simulator's own mixed dumps, raw ``.bin`` and hex ``.log.gz``.

Simulates a fleet-day (``hazrisk simulate``: location reports, heartbeats, 0x0704 backfill,
registrations, authentications, parameter answers, driver identity, text, alarms, corrupt
frames and garbage, half the providers writing raw captures and half gzip'd gateway hex
logs), then, per format, runs ``hazrisk ingest`` on that format's files in a fresh
subprocess (a fresh warehouse each time) and reads its wall and CPU seconds (all threads,
and the decoding worker process the ingest starts) and peak RSS. Also the reader alone
(:func:`hazrisk.jt808.iter_chunks`, decompression included, no database) in this process.
Run::

    .venv/bin/python -m benchmarks.bench_ingest [--vehicles 2000] [--dumps DIR]
        [--baseline REF] [--repeats 2]

``--baseline REF`` also runs the ingest of the git commit ``REF`` (exported with ``git
archive`` to a temporary folder), alternating old and new runs on the same files, and reports
new/old ratios: the machine is shared and noisy, so only ratios measured side by side in one
run compare. ``--dumps DIR`` ingests the dumps of an existing simulation instead (e.g. a
province-day). Registered in ``benchmarks/__main__.py`` as ``run(quick=...)``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.synthetic import make_dump

__all__ = ["bench", "make_dump", "run", "run_ingest"]

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {"raw": "*/*.bin", "hexlog": "*/*.log.gz"}

_INGEST = (
    "import sys, json, time;"
    "from hazrisk.store.cli import main;"
    "hwm = lambda: next(int(l.split()[1]) for l in open('/proc/self/status') "
    "if l.startswith('VmHWM:')) / 1024;"
    "base = hwm();"
    "t, c = time.perf_counter(), time.process_time();"
    "rc = main(['ingest', *sys.argv[3:], '--db', sys.argv[1], '--json', '--no-progress']);"
    "el, cpu = time.perf_counter() - t, time.process_time() - c;"
    "import resource, importlib.util;"
    "[__import__(m, fromlist=['x']).shutdown() for m in ('hazrisk.worker_process',"
    " 'hazrisk.jt808._scalar_worker') if importlib.util.find_spec(m) is not None];"
    "ch = resource.getrusage(resource.RUSAGE_CHILDREN);"
    "open(sys.argv[2], 'w').write(json.dumps({'rc': rc, 'seconds': el,"
    " 'cpu_seconds': cpu + ch.ru_utime + ch.ru_stime, 'worker_cpu_seconds': ch.ru_utime"
    " + ch.ru_stime, 'worker_peak_rss_mb': ch.ru_maxrss / 1024,"
    " 'peak_rss_mb': hwm(), 'rss_before_mb': base}))"
)


def simulate(vehicles: int, out: Path, seed: int = 99) -> Path:
    """``hazrisk simulate --vehicles N --days 1`` into ``out``; its dumps folder."""
    subprocess.run(
        [sys.executable, "-m", "hazrisk", "simulate", "--vehicles", str(vehicles), "--days", "1",
         "--seed", str(seed), "--out", str(out), "--no-progress", "--insurance-years", "1"],
        check=True, capture_output=True, env=_env(ROOT))
    return out / "dumps"


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree)}


def export_tree(ref: str, dest: Path) -> Path:
    """The package tree of git commit ``ref`` (``git archive``) under ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "hazrisk", "conf"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def run_ingest(files: list[Path], db: Path, tree: Path = ROOT) -> dict[str, Any]:
    """``hazrisk ingest FILES`` of the package in ``tree`` (run from there: the current folder
    comes first on ``sys.path``), in a fresh process, into a new warehouse ``db``: wall and
    CPU seconds, peak RSS (``VmHWM``), frames."""
    stats_file = db.with_suffix(".stats.json")
    proc = subprocess.run(
        [sys.executable, "-c", _INGEST, str(db), str(stats_file), *map(str, files)],
        capture_output=True, text=True, check=False, env=_env(tree), cwd=tree)
    if proc.returncode not in (0, 1) or not stats_file.exists():
        raise RuntimeError(f"ingest failed: {proc.stderr[-2000:]}")
    stats = json.loads(stats_file.read_text())
    stats_file.unlink()
    report, _ = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{"):])
    totals = report["totals"]
    stats["frames"] = totals["frames_ok"] + sum(totals["rejected"].values())
    stats["positions"] = totals["positions"]
    stats["frames_per_s"] = stats["frames"] / stats["seconds"]
    stats["cpu_percent"] = 100 * stats["cpu_seconds"] / stats["seconds"]
    stats["frames_per_cpu_s"] = stats["frames"] / stats["cpu_seconds"]
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    return stats


def read_only(files: list[Path]) -> dict[str, Any]:
    """The chunked reader alone over ``files`` (decompression included): frames/s."""
    from hazrisk.jt808.reader import Prefetch, iter_chunks
    from hazrisk.store.sources import open_stream

    frames = 0
    t = time.perf_counter()
    for path in files:
        stream, gz = open_stream(path)
        with stream, (Prefetch(stream) if gz else stream) as source:
            for ch in iter_chunks(source):
                frames += ch.frames_fast + sum(1 for r in ch.records if r.length > 0)
    el = time.perf_counter() - t
    return {"frames": frames, "seconds": el, "frames_per_s": frames / el}


def bench(dumps: Path, workdir: Path, *, baseline: Path | None = None,
          repeats: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {"dumps": str(dumps), "formats": {}}
    for fmt, pattern in FORMATS.items():
        files = sorted(dumps.glob(pattern))
        if not files:
            continue
        entry: dict[str, Any] = {
            "files": len(files), "mb_on_disk": sum(f.stat().st_size for f in files) / 2**20,
            "new": [], "old": [], "reader": read_only(files)}
        for k in range(repeats):
            trees = [("old", baseline), ("new", ROOT)] if baseline is not None else [("new", ROOT)]
            if k % 2:
                trees.reverse()
            for name, tree in trees:
                entry[name].append(run_ingest(files, workdir / f"{fmt}_{name}_{k}.duckdb", tree))
        if baseline is not None:
            pairs = list(zip(entry["new"], entry["old"], strict=True))
            entry["ratio_new_over_old"] = [n["frames_per_s"] / o["frames_per_s"]
                                           for n, o in pairs]
            entry["cpu_ratio_old_over_new"] = [o["cpu_seconds"] / n["cpu_seconds"]
                                               for n, o in pairs]
        out["formats"][fmt] = entry
    return out


DESCRIPTION = ("end-to-end hazrisk ingest of the simulator's mixed dumps, raw and hex log "
               "(frames/s per format, CPU, peak RSS)")


def run(quick: bool = False, baseline: str | None = None) -> dict[str, Any]:
    """Entry point for ``python -m benchmarks`` (``quick``: 300 vehicles; else 2,000;
    ``baseline``: a git commit run side by side, two runs each)."""
    with tempfile.TemporaryDirectory(prefix="hazrisk-bench-", dir=_tmp_root()) as d:
        dumps = simulate(300 if quick else 2000, Path(d) / "sim")
        base = export_tree(baseline, Path(d) / "baseline") if baseline else None
        return bench(dumps, Path(d), baseline=base, repeats=2 if base else 1)


def report(result: dict[str, Any]) -> str:
    lines = [f"dumps: {result['dumps']}"]
    for fmt, e in result["formats"].items():
        r = e["reader"]
        lines.append(f"{fmt:6} ({e['files']} files, {e['mb_on_disk']:,.0f} MB on disk): reader "
                     f"alone {r['frames']:,} frames in {r['seconds']:.1f} s = "
                     f"{r['frames_per_s']:,.0f} frames/s")
        for name in ("old", "new"):
            for s in e[name]:
                lines.append(
                    f"  ingest {name}: {s['frames']:,} frames, {s['seconds']:.1f} s wall = "
                    f"{s['frames_per_s']:,.0f} frames/s, CPU {s['cpu_seconds']:.1f} s "
                    f"({s['cpu_percent']:.0f} %; {s['frames_per_cpu_s']:,.0f} frames per CPU-s; "
                    f"decoding worker {s.get('worker_cpu_seconds', 0):.1f} s), "
                    f"peak RSS {s['peak_rss_mb']:,.0f} MB (worker "
                    f"{s.get('worker_peak_rss_mb', 0):,.0f} MB)")
        if "ratio_new_over_old" in e:
            ratios = ", ".join(f"{x:.2f}" for x in e["ratio_new_over_old"])
            cpu = ", ".join(f"{x:.2f}" for x in e["cpu_ratio_old_over_new"])
            lines.append(f"  new/old frames/s: {ratios}; old/new CPU seconds: {cpu}")
    lines.append("target: >= 1,000,000 frames/s per format on 2 cores")
    return "\n".join(lines)


def _tmp_root() -> str | None:
    root = ROOT / "data" / "local"
    root.mkdir(parents=True, exist_ok=True)
    return str(root)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=2000, help="vehicles to simulate")
    ap.add_argument("--dumps", type=Path, help="ingest these dumps (<provider>/<day>.*) instead")
    ap.add_argument("--baseline", metavar="REF", help="also run git commit REF, side by side")
    ap.add_argument("--repeats", type=int, default=1, help="runs per format and tree")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hazrisk-bench-", dir=_tmp_root()) as d:
        work = Path(d)
        dumps = args.dumps or simulate(args.vehicles, work / "sim")
        base = export_tree(args.baseline, work / "baseline") if args.baseline else None
        result = bench(dumps, work, baseline=base, repeats=args.repeats)
        print(report(result))
        print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
