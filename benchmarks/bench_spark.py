"""The Spark engine against the DuckDB engine on the same data, side by side in one run.

Data: the committed sample (``data/sample``: 40 vehicles x 3 days) and a bigger simulated fleet
(``hazrisk simulate --vehicles 2000 --days 2 --seed 16``: the simulator's mixed dumps,
registered, ingested), built once under the temp folder (``$TMPDIR/hazrisk_bench_spark``) and
reused by later runs. Each warehouse is exported with ``hazrisk export --unmasked`` and copied
twice; then, alternating so that the shared machine's load hits both alike:
``detect`` by DuckDB, ``detect`` by Spark, ``detect`` by Spark from the export alone (into a
new results warehouse), ``rates`` by DuckDB, ``rates`` by Spark, and ``rates`` by Spark from the
export alone (into that results warehouse) — the same
functions the commands call (:func:`hazrisk.safety.pipeline.detect`,
:func:`hazrisk.spark.detect.detect_spark`, :func:`hazrisk.rates.compute.compute_rates`,
:func:`hazrisk.spark.rates.rates_spark`). Spark runs at ``local[2]`` (the machine's two cores,
as DuckDB's two threads); its session starts once (timed apart) and a warm-up run on the sample
starts its Python workers before anything is timed. Wall-clock seconds (Spark's work runs in
other processes), and the ratio Spark / DuckDB.

Run: ``python -m benchmarks --only spark`` (``--quick``: the sample only), or
``python -m benchmarks.bench_spark --vehicles N --days D``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

DESCRIPTION = "detect + rates, --engine spark (local[2]) vs duckdb on the sample and a fleet"

REPO = Path(__file__).resolve().parents[1]
FLEET_VEHICLES = 2_000
FLEET_DAYS = 2
SEED = 16


def _cli(argv: list[str]) -> None:
    from hazrisk.cli import main

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(argv)
    if code not in (0, 1):  # ingest exits 1 when it quarantined something: not a failure here
        raise RuntimeError(f"hazrisk {' '.join(argv)}: exit {code}: {err.getvalue()[-500:]}")


def _warehouse(folder: Path, dumps: Path, simulate: list[str] | None) -> Path:
    """``folder/w.duckdb`` from ``dumps`` (simulated first when ``simulate`` is given), and
    its unmasked export ``folder/export``; reused when already built."""
    from hazrisk.store.export import DIGESTS

    db, ready = folder / "w.duckdb", folder / ".ready"
    if ready.exists():
        if not (folder / "export" / DIGESTS).exists():  # from before meta/ or its digests
            _cli(["export", "--db", str(db), "--out", str(folder / "export"), "--unmasked",
                  "--json"])
        return db
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if simulate is not None:
        _cli(["simulate", *simulate, "--out", str(dumps), "--no-progress", "--json"])
    _cli(["registry", "import", str(dumps), "--db", str(db), "--json"])
    _cli(["ingest", str(dumps), "--db", str(db), "--json", "--no-progress"])
    _cli(["export", "--db", str(db), "--out", str(folder / "export"), "--unmasked", "--json"])
    ready.touch()
    return db


def _days(db: Path) -> tuple[Any, Any]:
    import duckdb

    from hazrisk.sqlfiles import set_timezone

    con = duckdb.connect(str(db), read_only=True)
    try:
        set_timezone(con)
        return con.execute("SELECT min(CAST(device_time AS DATE)), max(CAST(device_time AS DATE))"
                           " FROM core.positions WHERE vehicle_id IS NOT NULL").fetchall()[0]
    finally:
        con.close()


def _compare(spark: Any, folder: Path, name: str) -> dict[str, Any]:
    from hazrisk.period import Period
    from hazrisk.rates.compute import compute_rates
    from hazrisk.safety.pipeline import detect
    from hazrisk.spark.detect import detect_spark
    from hazrisk.spark.inputs import open_output, refresh_inputs
    from hazrisk.spark.rates import rates_spark
    from hazrisk.spark.source import open_export
    from hazrisk.sqlfiles import transaction
    from hazrisk.store.connect import connect

    db = folder / "w.duckdb"
    first, last = _days(db)
    period = Period.between(first, last)
    src = open_export(folder / "export")
    copies = {}
    for engine in ("duckdb", "spark"):
        copies[engine] = folder / f"run_{engine}.duckdb"
        shutil.copyfile(db, copies[engine])
    copies["export"] = folder / "run_export.duckdb"
    copies["export"].unlink(missing_ok=True)
    out: dict[str, Any] = {"data": name, "period": period.label}
    cons = {e: connect(p, threads=2) for e, p in copies.items() if e != "export"}
    try:
        t = time.perf_counter()
        rep = detect(cons["duckdb"], first, last + timedelta(days=1))
        out["detect_duckdb_s"] = time.perf_counter() - t
        out["positions"] = rep.positions
        out["vehicles"] = rep.vehicles
        t = time.perf_counter()
        srep = detect_spark(spark, cons["spark"], src, first, last + timedelta(days=1))
        out["detect_spark_s"] = time.perf_counter() - t
        assert srep.violations == rep.violations, (srep.violations, rep.violations)
        t = time.perf_counter()  # the export alone: a new results warehouse
        results = open_output(str(copies["export"]))
        cons["export"] = results.con
        with transaction(results.con):
            refresh_inputs(spark, results, src)
        out["detect_export_copy_s"] = time.perf_counter() - t
        xrep = detect_spark(spark, results.con, src, first, last + timedelta(days=1))
        out["detect_export_s"] = time.perf_counter() - t
        assert xrep.violations == rep.violations, (xrep.violations, rep.violations)
        t = time.perf_counter()
        compute_rates(cons["duckdb"], period)
        out["rates_duckdb_s"] = time.perf_counter() - t
        t = time.perf_counter()
        _, passes = rates_spark(spark, cons["spark"], src, period)
        out["rates_spark_s"] = time.perf_counter() - t
        out["rates_spark_distributed_s"] = sum(run.seconds for run in passes)
        t = time.perf_counter()  # the export alone, into the results warehouse
        with transaction(results.con):
            refresh_inputs(spark, results, src)
        out["rates_export_copy_s"] = time.perf_counter() - t
        rates_spark(spark, results.con, src, period, positions_here=False)
        out["rates_export_s"] = time.perf_counter() - t
        out["violations"] = int(sum(rep.violations.values()))
    finally:
        for con in cons.values():
            con.close()
        for p in copies.values():
            p.unlink(missing_ok=True)
    for step in ("detect", "rates"):
        out[f"{step}_export_ratio"] = out[f"{step}_export_s"] / out[f"{step}_duckdb_s"]
    for step in ("detect", "rates"):
        out[f"{step}_ratio"] = out[f"{step}_spark_s"] / out[f"{step}_duckdb_s"]
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def run(quick: bool = False, vehicles: int = FLEET_VEHICLES, days: int = FLEET_DAYS
        ) -> dict[str, Any]:
    from hazrisk.spark.session import spark_session

    base = Path(os.environ.get("HAZRISK_BENCH_SPARK_DIR",
                               Path(tempfile.gettempdir()) / "hazrisk_bench_spark"))
    sample = base / "sample"
    _warehouse(sample, REPO / "data" / "sample", None)
    fleet = base / f"fleet_{vehicles}x{days}_seed{SEED}"
    if not quick:
        _warehouse(fleet, fleet / "dumps",
                   ["--vehicles", str(vehicles), "--days", str(days), "--start", "2026-10-01",
                    "--seed", str(SEED)])
    t = time.perf_counter()
    spark = spark_session("local[2]")
    session_s = time.perf_counter() - t
    t = time.perf_counter()
    _compare(spark, sample, "warm-up")  # starts the Python workers: not counted
    warmup_s = time.perf_counter() - t
    load = os.getloadavg()[0]
    results = [_compare(spark, sample, "sample (40 vehicles x 3 days)")]
    if not quick:
        results.append(_compare(spark, fleet, f"fleet ({vehicles} vehicles x {days} days)"))
    return {"spark_session_s": round(session_s, 2), "warmup_s": round(warmup_s, 2),
            "master": "local[2]", "load_average_1m": [round(load, 1),
                                                      round(os.getloadavg()[0], 1)],
            "runs": results}


def report(r: dict[str, Any]) -> str:
    lines = [f"Spark session start {r['spark_session_s']:.1f} s (local[2]); warm-up run "
             f"{r['warmup_s']:.1f} s (not counted)",
             f"{'data':38s} {'positions':>10s} {'step':7s} {'duckdb s':>9s} {'spark s':>9s} "
             f"{'spark/duckdb':>12s}"]
    for x in r["runs"]:
        for step in ("detect", "rates"):
            lines.append(f"{x['data']:38s} {x['positions']:>10,d} {step:7s} "
                         f"{x[f'{step}_duckdb_s']:>9.2f} {x[f'{step}_spark_s']:>9.2f} "
                         f"{x[f'{step}_ratio']:>11.2f}x")
        for step in ("detect", "rates"):
            lines.append(f"{x['data']:38s} {x['positions']:>10,d} {step + '*':7s} "
                         f"{x[f'{step}_duckdb_s']:>9.2f} {x[f'{step}_export_s']:>9.2f} "
                         f"{x[f'{step}_export_ratio']:>11.2f}x  (copy of the inputs "
                         f"{x[f'{step}_export_copy_s']:.2f} s)")
    lines.append("detect* / rates*: from the export alone (a new results warehouse: inputs "
                 "copied; the day lists from the export's layout)")
    lines.append("load average (1 min) at start / end: "
                 + " / ".join(f"{v:.1f}" for v in r["load_average_1m"]))
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vehicles", type=int, default=FLEET_VEHICLES)
    ap.add_argument("--days", type=int, default=FLEET_DAYS)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    res = run(quick=a.quick, vehicles=a.vehicles, days=a.days)
    print(report(res))
    print(json.dumps(res, indent=2))
