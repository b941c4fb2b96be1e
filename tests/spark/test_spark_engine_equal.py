"""--engine spark stores what --engine duckdb stores, row for row, on the committed sample.

Every column is compared exactly except floating-point measures, which may differ in the
last bits (sums taken in another order: DuckDB's own parallel aggregation and the detectors'
cumulative sums over a batch of vehicles are not bitwise order-independent either); they must
agree to 1e-9 relative. Run-time stamps (``detected_at``, ``computed_at``) are left out.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.spark

RUN_TIME = {"detected_at", "computed_at", "run_at", "imported_at", "run_id", "duration_s"}
#: How a day was computed, not what: vehicle batches by DuckDB, vehicle groups by Spark.
HOW = {"rates.day_runs": {"batches"}}
TABLES = (
    "safety.violations", "safety.vehicle_days", "safety.enterprise_months",
    "safety.enterprise_month_rules", "safety.vehicle_months", "safety.tampering",
    "rates.provider_rates", "rates.vehicle_results", "rates.vehicle_days", "rates.periods",
    "rates.verdicts", "rates.enterprise_scores", "rates.network_entries",
    "rates.day_partials", "rates.day_tails", "rates.day_connectivity", "rates.day_runs",
)


def _table(path: Any, table: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        df = con.sql(f"SELECT * FROM {table}").df()  # fixed names above
    finally:
        con.close()
    drop = RUN_TIME | HOW.get(table, set())
    return df.drop(columns=[c for c in df.columns if c in drop])


def _text(col: pd.Series) -> np.ndarray:
    """Values as comparable text (lists, timestamps, missing values alike on both sides)."""
    return np.array([repr(v.tolist() if isinstance(v, np.ndarray) else v) for v in col],
                    dtype=str)


def _floats(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_float_dtype(df[c])]


def assert_same_rows(a: pd.DataFrame, b: pd.DataFrame, table: str) -> float:
    """Same columns, same number of rows, and row for row the same values (floats to 1e-9
    relative) once both are sorted by every non-float column; the largest relative float
    difference."""
    assert list(a.columns) == list(b.columns), table
    assert len(a) == len(b), f"{table}: {len(a)} rows by duckdb, {len(b)} by spark"
    floats = _floats(a)
    keys = [c for c in a.columns if c not in floats]

    def order(df: pd.DataFrame) -> pd.DataFrame:
        if not keys:
            return df
        idx = np.lexsort([_text(df[c]) for c in reversed(keys)])
        return df.iloc[idx].reset_index(drop=True)
    a, b = order(a), order(b)
    for c in keys:
        same = _text(a[c]) == _text(b[c])
        assert same.all(), f"{table}.{c}: {a[c][~same].head(3).tolist()} vs " \
                           f"{b[c][~same].head(3).tolist()}"
    worst = 0.0
    for c in floats:
        x, y = a[c].to_numpy(float), b[c].to_numpy(float)
        ok = np.isclose(x, y, rtol=1e-9, atol=1e-9) | (np.isnan(x) & np.isnan(y))
        assert ok.all(), f"{table}.{c}: {x[~ok][:3]} vs {y[~ok][:3]}"
        fin = np.isfinite(x) & np.isfinite(y) & (x != 0)
        if fin.any():
            worst = max(worst, float(np.max(np.abs(x[fin] - y[fin]) / np.abs(x[fin]))))
    return worst


@pytest.mark.parametrize("table", TABLES)
def test_spark_engine_stores_the_duckdb_rows(engine_runs: Any, table: str) -> None:
    a, b = _table(engine_runs.duckdb, table), _table(engine_runs.spark, table)
    assert len(a), f"{table}: nothing computed on the sample; the comparison would be empty"
    assert_same_rows(a, b, table)


def test_the_comparison_covers_drift(engine_runs: Any) -> None:
    """The injected excursion (conftest.inject_drift) is found by both consumers of the one
    drift definition in the DuckDB run, so the row-for-row checks above compare drift too."""
    con = duckdb.connect(str(engine_runs.duckdb), read_only=True)
    try:
        rates = con.execute("SELECT sum(drift_points) FROM rates.day_partials").fetchone()
        safety = con.execute("SELECT sum(drift_points) FROM safety.vehicle_days").fetchone()
    finally:
        con.close()
    assert rates is not None and safety is not None
    assert rates[0] == safety[0] == 2, (rates, safety)


def test_the_commands_report_the_same(engine_runs: Any) -> None:
    out = engine_runs.outputs
    d, s = out["detect_duckdb"], out["detect_spark"]
    for key in ("vehicles", "positions", "violations", "violations_total", "vehicle_days",
                "enterprise_months", "vehicle_months"):
        assert d[key] == s[key], key
    assert d["violations_total"] > 50 and len(d["violations"]) > 8
    assert "spark" in s["timings_s"]
    rates_d = pd.DataFrame(out["rates_duckdb"]["rows"] if isinstance(out["rates_duckdb"], dict)
                           else out["rates_duckdb"])
    rates_s = pd.DataFrame(out["rates_spark"]["rows"] if isinstance(out["rates_spark"], dict)
                           else out["rates_spark"])
    assert len(rates_d) > 20
    assert_same_rows(rates_d, rates_s, "rates output")


def test_the_differences_are_only_float_rounding(engine_runs: Any) -> None:
    """The float tolerance is not hiding a real difference: the largest relative gap over
    every compared float is at the level of summation order (< 1e-10, well inside 1e-9)."""
    worst = max(assert_same_rows(_table(engine_runs.duckdb, t), _table(engine_runs.spark, t), t)
                for t in TABLES)
    assert worst < 1e-10


DAY_TABLES = ("rates.day_partials", "rates.day_tails", "rates.day_connectivity",
              "rates.day_runs")
PERIOD_TABLES = ("rates.provider_rates", "rates.vehicle_results", "rates.vehicle_days",
                 "rates.periods", "rates.enterprise_scores")


def test_a_later_day_continues_from_the_stored_tail(engine_runs: Any, spark: Any,
                                                    tmp_path: Any) -> None:
    """The days after the last computed day are computed from its stored tail (the context
    the executors get), and a one-day period aggregates to DuckDB's rows: both engines on
    copies of the warehouse whose partials stop after the first day."""
    from datetime import date, timedelta

    from hazrisk.cli import main

    first = date.fromisoformat(engine_runs.period.split("..")[0])
    day = (first + timedelta(days=1)).isoformat()
    copies = {}
    for engine in ("duckdb", "spark"):
        path = tmp_path / f"{engine}.duckdb"
        path.write_bytes(engine_runs.duckdb.read_bytes())
        con = duckdb.connect(str(path))
        for t in DAY_TABLES:
            con.execute(f"DELETE FROM {t} WHERE day > $d", {"d": first})  # fixed names
        assert con.execute("SELECT count(*) FROM rates.day_tails").fetchone()[0] > 0
        con.close()
        extra = ["--engine", "spark", "--export", str(engine_runs.export)] * (engine == "spark")
        assert main(["rates", "--db", str(path), "--period", day, "--json", *extra]) == 0
        copies[engine] = path
    con = duckdb.connect(str(copies["spark"]), read_only=True)
    runs = con.execute("SELECT day, batches FROM rates.day_runs ORDER BY day").fetchall()
    con.close()
    assert [str(d) for d, _ in runs] == [first.isoformat(), day]
    assert runs[1][1] > 1  # stored from the Spark groups, not computed by the driver
    for t in DAY_TABLES + PERIOD_TABLES:
        a, b = _table(copies["duckdb"], t), _table(copies["spark"], t)
        assert len(a), t
        assert_same_rows(a, b, t)


RATES_TABLES = tuple(t for t in TABLES if t.startswith("rates."))


def test_rates_need_only_the_export(engine_runs: Any, spark: Any, tmp_path: Any) -> None:
    """With a new file as --db the engine reads nothing but the export (no warehouse is
    named): it creates a results warehouse holding copies of the export's small inputs and
    no positions, and stores the rates DuckDB stores from the warehouse, row for row. A
    second run refreshes the copies and finds every day's partials current."""
    from hazrisk.cli import main

    out = tmp_path / "results" / "out.duckdb"
    argv = ["rates", "--db", str(out), "--period", engine_runs.period, "--json",
            "--engine", "spark", "--export", str(engine_runs.export)]
    assert main(argv) == 0
    for t in RATES_TABLES:
        a, b = _table(engine_runs.duckdb, t), _table(out, t)
        assert len(a), t
        assert_same_rows(a, b, t)
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM core.positions").fetchone() == (0,)
        copied = dict(con.execute("SELECT relation, rows FROM spark.copied_inputs").fetchall())
        runs = con.execute("SELECT run_id FROM rates.day_runs ORDER BY day").fetchall()
    finally:
        con.close()
    assert copied["core.vehicles"] > 0 and copied["store.heartbeats"] > 0
    assert copied["meta.ingested_files"] > 0
    assert main(argv) == 0
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("SELECT run_id FROM rates.day_runs ORDER BY day").fetchall() == runs
    finally:
        con.close()


def test_the_executors_find_the_days_the_positions_show(engine_runs: Any, spark: Any,
                                                        tmp_path: Any) -> None:
    """A results warehouse holds no positions: which days have position records and which
    partials a later file makes stale come from data_days / stale_days on the executors,
    equal to what the warehouse finds."""
    from datetime import date

    from hazrisk.config import load_rules
    from hazrisk.rates.partials import data_days, stale_days
    from hazrisk.spark.rates import position_days_spark
    from hazrisk.spark.source import open_export

    path = tmp_path / "w.duckdb"
    path.write_bytes(engine_runs.duckdb.read_bytes())
    con = duckdb.connect(str(path))
    try:
        first = date.fromisoformat(engine_runs.period.split("..")[0])
        con.execute("UPDATE rates.day_runs SET max_file_id = -1 WHERE day = $d", {"d": first})
        rules = load_rules()
        end = date.fromisoformat(engine_runs.period.split("..")[1])
        data, stale = position_days_spark(spark, con, open_export(engine_runs.export), end,
                                          rules, since=None)
        assert data == data_days(con, end) and len(data) == 3
        assert stale == stale_days(con, rules) == [first]
    finally:
        con.close()
