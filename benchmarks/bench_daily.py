"""The daily run and the month end: ``hazrisk daily`` over one simulated province-day, and a
month-end evaluation (rates, safety histories, ranking, league table) from 30 days of partials.

Input: a warehouse holding one simulated day, ingested (``$HAZRISK_BENCH_DAY_DB``; issue 16's
province-day is ``hazrisk simulate --vehicles 20000 --days 1 --seed 99`` + ``registry import``
+ ``ingest``). Without it the benchmark simulates ``--vehicles 2000`` (``--quick``: 300) for one
day under ``data/local/bench_daily`` and ingests it (the ingest is not timed here: see the
``ingest`` benchmark).

1. **daily**: ``hazrisk daily --db COPY --day D`` in a fresh process (detect + rate partials
   of the day side by side, DuckDB capped at ``[daily] memory_limit_gb``): wall and CPU
   seconds (user + system, all threads), seconds per stage, peak RSS, the load average
   before and after. ``--baseline REF`` runs the ``hazrisk daily`` of git commit ``REF`` too
   (``git archive`` to a folder), alternating with this tree's, ``--repeats`` runs each on
   fresh copies, and compares the two warehouses' ``safety.*`` tables and rate partials row
   for row (:func:`compare_results`).
2. **month end**: the day's partials replicated to the 30 days of a month by day shifts
   (``rates.day_partials``, ``day_connectivity``, ``day_runs``; ``safety.vehicle_days``,
   ``safety.violations`` with shifted times and new ids, ``safety.tampering``): the same
   fleet, every day alike, so the month has 30 times the day's rows - what 30 daily runs
   store. Then, in a fresh process: ``hazrisk.rates.aggregate`` (every provider rate of the
   month), ``hazrisk.safety.aggregate_months`` (enterprise and vehicle months), the provider
   ranking and the enterprise league table: wall seconds and peak RSS. No position is read.

Run: ``python -m benchmarks --only daily`` or ``python -m benchmarks.bench_daily [--db W]
[--baseline REF --repeats N] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_ingest import export_tree

DESCRIPTION = "hazrisk daily on one province-day + month end from 30 days of partials"

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "data" / "local" / "bench_daily"
DAYS = 30

#: Replicates day $d's partials to the days $d + 1 .. $d + $n - 1 (benchmark data only).
REPLICATE = """
INSERT INTO rates.day_partials
SELECT p.* REPLACE (p.day + r.k AS day, p.last_time + to_days(r.k) AS last_time)
FROM rates.day_partials p, (SELECT CAST(range AS INTEGER) AS k FROM range(1, $n)) r
WHERE p.day = $d;
INSERT INTO rates.day_connectivity
SELECT p.* REPLACE (p.day + r.k AS day)
FROM rates.day_connectivity p, (SELECT CAST(range AS INTEGER) AS k FROM range(1, $n)) r
WHERE p.day = $d;
INSERT INTO rates.day_runs
SELECT p.* REPLACE (p.day + r.k AS day)
FROM rates.day_runs p, (SELECT CAST(range AS INTEGER) AS k FROM range(1, $n)) r
WHERE p.day = $d;
INSERT INTO safety.vehicle_days
SELECT p.* REPLACE (p.day + r.k AS day)
FROM safety.vehicle_days p, (SELECT CAST(range AS INTEGER) AS k FROM range(1, $n)) r
WHERE p.day = $d;
INSERT INTO safety.tampering
SELECT p.* REPLACE (p.day + r.k AS day)
FROM safety.tampering p, (SELECT CAST(range AS INTEGER) AS k FROM range(1, $n)) r
WHERE p.day = $d;
INSERT INTO safety.violations
SELECT p.* REPLACE (p.violation_id || '+' || r.k AS violation_id, p.day + r.k AS day,
                    p.start_time + to_days(r.k) AS start_time,
                    p.end_time + to_days(r.k) AS end_time)
FROM safety.violations p, (SELECT CAST(range AS INTEGER) AS k FROM range(1, $n)) r
WHERE p.day = $d;
"""

MONTH_END = r"""
import json, sys, time
from datetime import date
from hazrisk.rates import Period, aggregate, ranking
from hazrisk.safety import aggregate_months
from hazrisk.safety.sqlfiles import bound, read_sql
from hazrisk.store.connect import connect
db, first = sys.argv[1], date.fromisoformat(sys.argv[2])
period = Period.month(first.year, first.month)
con = connect(db, memory_limit=sys.argv[3])
t = {}
cpu0 = time.process_time()
tic = time.perf_counter()
con.execute("BEGIN TRANSACTION")
aggregate_months(con, period.start, date.fromordinal(period.end.toordinal() + 1))
con.execute("COMMIT")
t["safety_months"] = time.perf_counter() - tic
tic = time.perf_counter()
rows = aggregate(con, period)
t["rates"] = time.perf_counter() - tic
tic = time.perf_counter()
rank = ranking(con, period)
league = con.execute(read_sql("report"), bound("report", {"d0": period.start,
    "d1": date.fromordinal(period.end.toordinal() + 1), "enterprise": None})).fetchall()
t["ranking_league"] = time.perf_counter() - tic
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
t["cpu_total"] = time.process_time() - cpu0
print(json.dumps({"timings_s": t, "rate_rows": len(rows), "ranked": len(rank),
                  "enterprises": len(league), "peak_rss_mb": int(hwm) / 1024}))
"""


def _python() -> str:
    return sys.executable


def _env(tree: Path = ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _timed(argv: list[str], tree: Path = ROOT) -> tuple[float, float, str, float]:
    """Run ``argv`` with the package of ``tree`` (run from there); (wall seconds, peak RSS MB
    of the child, stdout, CPU seconds of the child: user + system, all threads)."""
    tic = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *argv], capture_output=True,
                          text=True, env=_env(tree), cwd=tree, check=False)
    wall = time.perf_counter() - tic
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed: {proc.stderr[-2000:]}")
    rss_kb, user, system = (float(x) for x in proc.stderr.strip().splitlines()[-1].split())
    return wall, rss_kb / 1024, proc.stdout, user + system


#: Columns that record when or by which run a row was written, not what was computed.
STAMPS = {"run_id", "computed_at", "detected_at", "run_at", "imported_at"}


def compare_results(a: Path, b: Path) -> dict[str, dict[str, Any]]:
    """Every ``safety.*`` table and rate partial (``rates.day_*``) of warehouses ``a`` and
    ``b``, row for row (as multisets, i.e. sorted; the run stamps and run durations left
    out): per table the rows of each and the rows only one of them has (``only_a``,
    ``only_b``) and the same with doubles rounded to 9 decimals (``only_a_9``, ``only_b_9``:
    a parallel sum's order changes the last bits)."""
    import duckdb

    con = duckdb.connect()
    con.execute("ATTACH $p AS a (READ_ONLY)", {"p": str(a)})
    con.execute("ATTACH $p AS b (READ_ONLY)", {"p": str(b)})
    sides = {side: set(con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $d AND "
        "(schema_name = 'safety' OR (schema_name = 'rates' AND table_name LIKE 'day\\_%' "
        "ESCAPE '\\'))", {"d": side}).fetchall()) for side in ("a", "b")}
    out: dict[str, Any] = {}
    for schema, table in sorted(sides["a"] ^ sides["b"]):
        side = "a" if (schema, table) in sides["a"] else "b"
        n = con.execute(f"SELECT count(*) FROM {side}.{schema}.{table}").fetchall()[0][0]
        out[f"{schema}.{table}"] = {side: n, "missing_in": "b" if side == "a" else "a"}
    for schema, table in sorted(sides["a"] & sides["b"]):
        cols = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'a' "
            "AND schema_name = $s AND table_name = $t ORDER BY column_index",
            {"s": schema, "t": table}).fetchall()
        keep = [(c, t) for c, t in cols if c not in STAMPS
                and not (c == "duration_s" and table in ("runs", "day_runs"))]
        exact = ", ".join(f'"{c}"' for c, _ in keep)
        rounded = ", ".join(f'round("{c}", 9)' if t == "DOUBLE" else f'"{c}"' for c, t in keep)
        row: dict[str, int] = {}
        for side, other in (("a", "b"), ("b", "a")):
            row[side] = con.execute(
                f"SELECT count(*) FROM {side}.{schema}.{table}").fetchall()[0][0]
            for key, sel in (("", exact), ("_9", rounded)):
                row[f"only_{side}{key}"] = con.execute(
                    f"SELECT count(*) FROM (SELECT {sel} FROM {side}.{schema}.{table} "
                    f"EXCEPT ALL SELECT {sel} FROM {other}.{schema}.{table})").fetchall()[0][0]
        out[f"{schema}.{table}"] = row
    con.close()
    return out


def _source(vehicles: int) -> Path:
    """The input warehouse: $HAZRISK_BENCH_DAY_DB, else a simulated day (made once)."""
    given = os.environ.get("HAZRISK_BENCH_DAY_DB")
    if given:
        return Path(given)
    out = WORK / f"sim{vehicles}"
    db = WORK / f"day{vehicles}.duckdb"
    if db.exists():
        return db
    WORK.mkdir(parents=True, exist_ok=True)
    py = [_python(), "-m", "hazrisk"]
    if not (out / "manifest.json").exists():
        subprocess.run([*py, "simulate", "--vehicles", str(vehicles), "--days", "1", "--seed",
                        "99", "--out", str(out), "--no-progress"], check=True, env=_env(),
                       capture_output=True)
    subprocess.run([*py, "registry", "import", str(out), "--db", str(db)], check=True,
                   env=_env(), capture_output=True)
    subprocess.run([*py, "ingest", str(out), "--db", str(db), "--no-progress"], check=True,
                   env=_env(), capture_output=True)
    return db


def bench(source: Path, workdir: Path, *, daily: bool = True, baseline: Path | None = None,
          repeats: int = 1) -> dict[str, Any]:
    """Both measurements on a copy of ``source``; ``daily=False``: ``source`` already holds
    the day's partials (a ``hazrisk daily`` run), only the month end is measured.
    ``baseline``: a package tree (another commit's, :func:`export_tree`) whose ``hazrisk
    daily`` runs too, alternating with this tree's ``repeats`` times each on fresh copies;
    the last two warehouses are then compared table by table (:func:`compare_results`)."""
    import duckdb

    from hazrisk.config import load_rules
    from hazrisk.daily import memory_limit
    from hazrisk.sqlfiles import set_timezone

    limit = memory_limit(load_rules())
    con = duckdb.connect(str(source), read_only=True)
    set_timezone(con)  # CAST(t AS DATE): the Beijing day
    day, positions, vehicles = con.execute(
        "SELECT CAST(min(device_time) AS DATE) + 1, count(*), "
        "count(DISTINCT vehicle_id) FROM core.positions").fetchone() or (None, 0, 0)
    days = con.execute(
        "SELECT CAST(device_time AS DATE) AS d, count(*) AS n "
        "FROM core.positions GROUP BY d ORDER BY n DESC LIMIT 1").fetchone()
    con.close()
    day = days[0] if days else day
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "daily.duckdb"
    shutil.copy(source, db)
    result: dict[str, Any] = {
        "day": day.isoformat(), "positions": int(positions), "vehicles": int(vehicles),
        "memory_limit": limit,
    }
    if daily:
        runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
        trees = [("old", baseline), ("new", ROOT)] if baseline is not None else [("new", ROOT)]
        for k in range(repeats):
            for name, tree in (trees if k % 2 == 0 else trees[::-1]):
                target = workdir / f"daily_{name}.duckdb"
                shutil.copy(source, target)
                load0 = os.getloadavg()[0]
                wall, rss, out, cpu = _timed([_python(), "-m", "hazrisk", "daily", "--db",
                                              str(target), "--day", day.isoformat(), "--json"],
                                             tree)
                stages: dict[str, float] = {}
                for row in json.loads(out):
                    stages[row["stage"]] = stages.get(row["stage"], 0.0) + float(
                        row["seconds"] or 0)
                runs[name].append({"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss,
                                   "stages_s": stages,
                                   "load": [load0, os.getloadavg()[0]]})
        result["daily"] = runs["new"][-1]
        result["runs"] = runs
        if baseline is not None:
            result["baseline"] = str(baseline)
            result["compare"] = compare_results(workdir / "daily_old.duckdb",
                                                workdir / "daily_new.duckdb")
        shutil.copy(workdir / "daily_new.duckdb", db)
    con = duckdb.connect(str(db))
    first = day.replace(day=1)
    n = DAYS - (day - first).days
    for stmt in REPLICATE.strip().split(";\n"):
        if stmt.strip():
            con.execute(stmt, {"d": day, "n": n})
    rows = con.execute("SELECT count(*), count(DISTINCT day) FROM rates.day_partials").fetchone()
    con.close()
    wall, rss, out, _ = _timed([_python(), "-c", MONTH_END, str(db), first.isoformat(), limit])
    month = json.loads(out.strip().splitlines()[-1])  # the last line: the figures
    result["month_end"] = {"wall_s": wall, "peak_rss_mb": rss, "days": int(rows[1]),
                           "rate_partials": int(rows[0]), **month}
    return result


def run(quick: bool = False) -> dict[str, Any]:
    source = _source(300 if quick else 2000)
    return bench(source, WORK / "run")


def report(r: dict[str, Any]) -> str:
    m = r["month_end"]
    mt = ", ".join(f"{k} {v:.1f} s" for k, v in m["timings_s"].items())
    lines = [f"day         {r['day']}: {r['vehicles']:,} vehicles, {r['positions']:,} positions "
             f"(DuckDB memory limit {r['memory_limit']})"]
    for name, runs in r.get("runs", {}).items():
        for d in runs:
            st = ", ".join(f"{k} {v:.1f} s" for k, v in d["stages_s"].items())
            lines.append(f"daily {name:5} {d['wall_s']:.1f} s wall, {d['cpu_s']:.1f} s CPU ({st}),"
                         f" peak RSS {d['peak_rss_mb']:,.0f} MB, load average "
                         f"{d['load'][0]:.1f} -> {d['load'][1]:.1f}")
    if "compare" in r:
        for t, c in r["compare"].items():
            if "missing_in" in c:
                lines.append(f"old vs new  {t} only in {'new' if c['missing_in'] == 'a' else 'old'}"
                             f" ({c.get('a', c.get('b'))} rows)")
        compared = {t: c for t, c in r["compare"].items() if "missing_in" not in c}
        differ = {t: c for t, c in compared.items() if c["only_a"] or c["only_b"]}
        lines.append(f"old vs new  {len(compared)} tables (safety.*, rates.day_*): "
                     + ("every row equal" if not differ else "; ".join(
                         f"{t} {c['only_a']}/{c['a']} rows differ ({c['only_a_9']} to 9 "
                         "decimals)" for t, c in differ.items())))
    lines.append(f"month end   {m['wall_s']:.1f} s wall ({mt}) from {m['days']} days of partials "
                 f"({m['rate_partials']:,} rate rows), peak RSS {m['peak_rss_mb']:,.0f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="warehouse with one ingested day (else simulated)")
    ap.add_argument("--vehicles", type=int, default=2000)
    ap.add_argument("--month-only", action="store_true",
                    help="--db already holds the day's partials: measure the month end only")
    ap.add_argument("--baseline", metavar="REF",
                    help="also run hazrisk daily of git commit REF, side by side, and compare")
    ap.add_argument("--repeats", type=int, default=1, help="daily runs per tree")
    ap.add_argument("--json", help="write the result here")
    a = ap.parse_args(argv)
    source = Path(a.db) if a.db else _source(a.vehicles)
    base = export_tree(a.baseline, WORK / "baseline") if a.baseline else None
    r = bench(source, WORK / "run", daily=not a.month_only, baseline=base, repeats=a.repeats)
    print(report(r))
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
