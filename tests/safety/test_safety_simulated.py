"""Precision and recall per detector on the simulator's output (``data/sample``).

Loads the sample into a temporary warehouse (registry import, ingest), runs ``detect`` and
compares with ``truth/`` (matching and observability rules: ``safety_truth.py``). Every rule
with true events must reach precision ≥ 0.95 and recall ≥ 0.95 against the *observable* truth
only (the simulator's ``observable`` flags and ``violations_observable_only.csv``: what the
delivered fixes show; events whose evidence never reached the platform are not judged);
``faulty_terminal_dispatch`` has no truth in the simulator (its literal scenarios are in
test_safety_offline_alarms.py).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from safety_truth import evaluate

from hazrisk.safety import detect
from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect

REPO = Path(__file__).resolve().parents[2]
BOUND = 0.95


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sample = REPO / "data" / "sample"
    if (sample / "manifest.json").exists():
        return sample
    out = tmp_path_factory.mktemp("sim") / "out"
    subprocess.run(
        [sys.executable, "-m", "hazrisk", "simulate", "--vehicles", "40", "--days", "3",
         "--start", "2026-10-01", "--seed", "808", "--out", str(out), "--no-progress"],
        check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def evaluated(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[pd.DataFrame, duckdb.DuckDBPyConnection]:
    db = tmp_path_factory.mktemp("wh") / "w.duckdb"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert store_main(["registry", "import", str(sim_dir), "--db", str(db)]) == 0
        assert store_main(["ingest", str(sim_dir), "--db", str(db), "--no-progress"]) == 0
    con = connect(db)
    import json

    params = json.loads((sim_dir / "manifest.json").read_text(encoding="utf-8"))["parameters"]
    start = date.fromisoformat(params["start"])
    detect(con, start, date.fromordinal(start.toordinal() + int(params["days"])))
    return evaluate(sim_dir, con), con


def test_precision_and_recall_per_detector(
        evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    table, _ = evaluated
    print("\n" + table.round(4).to_string())
    judged = table[table["n_true"].fillna(0) + table["n_observable"].fillna(0) > 0]
    assert {"speeding", "night_ban", "off_route", "offline_displacement"} <= set(judged.index)
    low_p = judged[judged["precision"].fillna(0) < BOUND]
    low_r = judged[judged["recall"].fillna(1) < BOUND]
    assert low_p.empty, f"precision < {BOUND}:\n{low_p}"
    assert low_r.empty, f"recall < {BOUND}:\n{low_r}"


def test_handling_linked_on_simulated_data(
        evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    _, con = evaluated
    status = dict(con.sql("SELECT handling_status, count(*) FROM safety.violations "
                          "GROUP BY ALL").fetchall())
    assert status.get("reminded", 0) + status.get("escalated_safety_dept", 0) > 0
    assert status.get("unhandled", 0) > 0
    months = con.sql("SELECT count(*), sum(n_violations) FROM safety.enterprise_months")\
        .fetchall()[0]
    total = con.sql("SELECT count(*) FROM safety.violations").fetchall()[0][0]
    assert months[0] > 0 and months[1] == total
