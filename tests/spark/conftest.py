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
    """The sample warehouse after ``detect`` + ``rates`` by each engine, and its export."""

    duckdb: Path
    spark: Path
    export: Path
    period: str
    outputs: dict[str, Any]


def _run(argv: list[str]) -> dict[str, Any]:
    from hazrisk.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, f"{argv}: exit {code}: {err.getvalue()[-2000:]}"
    return json.loads(out.getvalue())


@pytest.fixture(scope="session")
def engine_runs(ingested_sample: Any, tmp_path_factory: pytest.TempPathFactory,
                worker_id: str) -> EngineRuns:
    """data/sample ingested, exported with ``hazrisk export --unmasked``, then ``hazrisk
    detect`` and ``hazrisk rates`` through the command line with ``--engine duckdb`` on one
    copy and ``--engine spark`` on another (built once per test session, also across xdist
    workers: only the worker that builds it starts Spark)."""
    from hazrisk.spark.session import spark_session

    s = ingested_sample
    period = f"{s.start.isoformat()}..{s.end.isoformat()}"
    with shared_dir(tmp_path_factory, worker_id, "spark_engine_runs") as (folder, ready):
        duck, spk, export = folder / "duckdb.duckdb", folder / "spark.duckdb", folder / "export"
        if not ready:
            spark_session("local[2]")  # the commands below use this session
            s.copy_to(folder).rename(duck)
            s.copy_to(folder).rename(spk)
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
            }
            (folder / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
        outputs = json.loads((folder / "outputs.json").read_text(encoding="utf-8"))
    return EngineRuns(duck, spk, export, period, outputs)
