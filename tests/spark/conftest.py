"""Spark engine fixtures: one local[2] session per test process, and the committed sample
computed once by both engines (shared by the xdist workers) for the row-for-row checks."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from session_cache import shared_dir


@pytest.fixture(scope="session")
def spark() -> Any:
    """The session every Spark test shares (local[2], UI off, 4 shuffle partitions, UTC)."""
    from hazrisk.spark.session import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@dataclass(frozen=True)
class EngineRuns:
    """The sample warehouse after ``detect`` + ``rates`` by each engine, its export, and the
    results warehouse ``detect`` + ``rates`` by Spark built from the export alone."""

    duckdb: Path
    spark: Path
    export: Path
    results: Path
    period: str
    outputs: dict[str, Any]


def _run_err(argv: list[str]) -> tuple[Any, str]:
    """A command's JSON output and what it wrote to stderr (it must succeed)."""
    from hazrisk.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, f"{argv}: exit {code}: {err.getvalue()[-2000:]}"
    return json.loads(out.getvalue()), err.getvalue()


def _run(argv: list[str]) -> Any:
    return _run_err(argv)[0]


#: The sample has no drift: a two-fix excursion of this many degrees of latitude (~22 km
#: within a minute) is put into both copies so the engines' drift verdicts are compared too.
DRIFT_DEG = 0.2


def inject_drift(path: Path) -> None:
    """Move two consecutive moving fixes of one terminal (the middle of the busiest
    terminal's track) by :data:`DRIFT_DEG` north: a drift excursion for detection and the rates."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute("""
            WITH moving AS (
                SELECT pos_seq, term_key, device_time,
                       row_number() OVER (PARTITION BY term_key ORDER BY device_time,
                                          pos_seq) AS k,
                       count(*) OVER (PARTITION BY term_key) AS n
                FROM store.positions
                WHERE speed_kmh > 30 AND quality_flags = 0),
            busiest AS (SELECT term_key FROM moving ORDER BY n DESC, term_key LIMIT 1),
            pick AS (SELECT m.pos_seq FROM moving m JOIN busiest b USING (term_key)
                     WHERE m.k IN (m.n // 2, m.n // 2 + 1))
            UPDATE store.positions SET lat_deg = lat_deg + $d
            WHERE pos_seq IN (SELECT pos_seq FROM pick)""", {"d": DRIFT_DEG})
    finally:
        con.close()


@pytest.fixture(scope="session")
def engine_runs(ingested_sample: Any, tmp_path_factory: pytest.TempPathFactory,
                worker_id: str) -> EngineRuns:
    """data/sample ingested, exported with ``hazrisk export --unmasked``, then ``hazrisk
    detect`` and ``hazrisk rates`` through the command line with ``--engine duckdb`` on one
    copy and ``--engine spark`` on another, and by ``--engine spark`` into a new file (a
    results warehouse: the export alone) (built once per test session, also across xdist
    workers: only the worker that builds it starts Spark)."""
    from hazrisk.spark.session import spark_session

    s = ingested_sample
    period = f"{s.start.isoformat()}..{s.end.isoformat()}"
    with shared_dir(tmp_path_factory, worker_id, "spark_engine_runs") as (folder, ready):
        duck, spk, export = folder / "duckdb.duckdb", folder / "spark.duckdb", folder / "export"
        results = folder / "results" / "out.duckdb"
        if not ready:
            spark_session("local[2]")  # the commands below use this session
            s.copy_to(folder).rename(duck)
            s.copy_to(folder).rename(spk)
            for path in (duck, spk):
                inject_drift(path)
            _run(["export", "--db", str(duck), "--out", str(export), "--unmasked", "--json"])
            outputs = {
                "detect_duckdb": _run(["detect", "--db", str(duck), "--period", period,
                                       "--json", "--no-progress"]),
                "detect_spark": _run(["detect", "--db", str(spk), "--period", period, "--json",
                                      "--engine", "spark", "--export", str(export)]),
                "rates_duckdb": _run(["rates", "--db", str(duck), "--period", period,
                                      "--json"]),
                "rates_spark": _run(["rates", "--db", str(spk), "--period", period, "--json",
                                     "--engine", "spark", "--export", str(export)]),
                "detect_results": _run_err(["detect", "--db", str(results), "--period",
                                            period, "--json", "--engine", "spark", "--export",
                                            str(export)]),
                "rates_results": _run(["rates", "--db", str(results), "--period", period,
                                       "--json", "--engine", "spark", "--export", str(export)]),
            }
            outputs["detect_results"], outputs["detect_results_stderr"] = \
                outputs["detect_results"]
            (folder / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
        outputs = json.loads((folder / "outputs.json").read_text(encoding="utf-8"))
    return EngineRuns(duck, spk, export, results, period, outputs)
