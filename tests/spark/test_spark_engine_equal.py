"""--engine spark stores what --engine duckdb stores, row for row, on the committed sample.

Every column is compared exactly except floating-point measures, which may differ in the
last bits (sums taken in another order: DuckDB's own parallel aggregation and the detectors'
cumulative sums over a batch of vehicles are not bitwise order-independent either); they must
agree to 1e-9 relative. Run-time stamps (``detected_at``, ``computed_at``) are left out.
"""

from __future__ import annotations

import contextlib
import io
from datetime import date
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
    "rates.drift_fixes",
)


#: What a results warehouse cannot hold: nothing, from an unmasked export (the drivers on
#: duty come from its 0x0702 driver-identity reports: test_results_warehouse_links_drivers).
NOT_IN_EXPORT: dict[str, set[str]] = {}


def _table(path: Any, table: str, without: set[str] = frozenset()) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        df = con.sql(f"SELECT * FROM {table}").df()  # fixed names above
    finally:
        con.close()
    drop = RUN_TIME | HOW.get(table, set()) | without
    return df.drop(columns=[c for c in df.columns if c in drop])


def _pair(runs: Any, run: str, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table by DuckDB and by the Spark ``run`` (a results warehouse's without what the
    export does not carry: :data:`NOT_IN_EXPORT`)."""
    without = NOT_IN_EXPORT.get(table, set()) if run == "results" else set()
    return _table(runs.duckdb, table, without), _table(getattr(runs, run), table, without)


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


#: The Spark runs compared: into a copy of the warehouse, and from the export alone into a new
#: results warehouse (no warehouse named: the driver reads no position).
SPARK_RUNS = ("spark", "results")


@pytest.mark.parametrize("run", SPARK_RUNS)
@pytest.mark.parametrize("table", TABLES)
def test_spark_engine_stores_the_duckdb_rows(engine_runs: Any, table: str, run: str) -> None:
    a, b = _pair(engine_runs, run, table)
    assert len(a), f"{table}: nothing computed on the sample; the comparison would be empty"
    assert_same_rows(a, b, table)


def test_the_comparison_covers_drift(engine_runs: Any) -> None:
    """The injected excursion (conftest.inject_drift) is found by both consumers of the one
    drift definition in the DuckDB run, so the row-for-row checks above compare drift too
    (rates.drift_fixes: the groups' verdicts, stored by the driver)."""
    con = duckdb.connect(str(engine_runs.duckdb), read_only=True)
    try:
        rates = con.execute("SELECT sum(drift_points) FROM rates.day_partials").fetchone()
        safety = con.execute("SELECT sum(drift_points) FROM safety.vehicle_days").fetchone()
    finally:
        con.close()
    assert rates is not None and safety is not None
    assert rates[0] == safety[0] == 2, (rates, safety)


@pytest.mark.parametrize("run", SPARK_RUNS)
def test_the_commands_report_the_same(engine_runs: Any, run: str) -> None:
    out = engine_runs.outputs
    d, s = out["detect_duckdb"], out[f"detect_{run}"]
    for key in ("vehicles", "positions", "violations", "violations_total", "vehicle_days",
                "enterprise_months", "vehicle_months"):
        assert d[key] == s[key], key
    assert d["violations_total"] > 50 and len(d["violations"]) > 8
    assert "spark" in s["timings_s"]

    def rows(key: str) -> pd.DataFrame:
        got = out[key]
        return pd.DataFrame(got["rows"] if isinstance(got, dict) else got)
    rates_d = rows("rates_duckdb")
    assert len(rates_d) > 20
    assert_same_rows(rates_d, rows(f"rates_{run}"), "rates output")


def test_the_differences_are_only_float_rounding(engine_runs: Any) -> None:
    """The float tolerance is not hiding a real difference: the largest relative gap over
    every compared float is at the level of summation order (< 1e-10, well inside 1e-9)."""
    worst = max(assert_same_rows(*_pair(engine_runs, run, t), t)
                for t in TABLES for run in SPARK_RUNS)
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


def test_results_warehouse_links_drivers(engine_runs: Any) -> None:
    """Every violation of the sample has its driver on duty by DuckDB, by Spark over the
    warehouse and by Spark from the (unmasked) export alone: the export carries the 0x0702
    driver-identity reports, and detect warns of nothing."""
    query = "SELECT count(*), count(driver_id) FROM safety.violations"
    counts = {}
    for run in ("duckdb", *SPARK_RUNS):
        con = duckdb.connect(str(getattr(engine_runs, run)), read_only=True)
        try:
            counts[run] = con.execute(query).fetchone()
        finally:
            con.close()
    n = counts["duckdb"][0]
    assert n > 50 and counts == {"duckdb": (n, n), "spark": (n, n), "results": (n, n)}
    assert "warning" not in engine_runs.outputs["detect_results_stderr"]


def test_detect_and_rates_need_only_the_export(engine_runs: Any, spark: Any,
                                               tmp_path: Any) -> None:
    """With a new file as --db the engine reads nothing but the export (no warehouse is
    named; its rows equal DuckDB's: the parametrised comparison above): the file is a results
    warehouse holding copies of the export's small inputs and no positions. Rates run again
    refresh the copies and find every day's partials current."""
    from hazrisk.cli import main

    out = tmp_path / "out.duckdb"
    out.write_bytes(engine_runs.results.read_bytes())
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM core.positions").fetchone() == (0,)
        copied = dict(con.execute("SELECT relation, rows FROM spark.copied_inputs").fetchall())
        runs = con.execute("SELECT run_id FROM rates.day_runs ORDER BY day").fetchall()
    finally:
        con.close()
    assert copied["core.vehicles"] > 0 and copied["store.heartbeats"] > 0
    assert copied["meta.ingested_files"] > 0 and copied["store.alarms"] > 0
    export = ["--engine", "spark", "--export", str(engine_runs.export)]
    assert main(["rates", "--db", str(out), "--period", engine_runs.period, "--json",
                 *export]) == 0
    con = duckdb.connect(str(out), read_only=True)
    try:
        assert con.execute("SELECT run_id FROM rates.day_runs ORDER BY day").fetchall() == runs
    finally:
        con.close()


def test_detect_without_a_period_covers_the_days_with_data(engine_runs: Any,
                                                           spark: Any, tmp_path: Any) -> None:
    """Without --period both engines detect the days with data by the one rule
    (hazrisk.safety.data_range): the executors count the export's positions per day with the
    DuckDB engine's statement, to the same counts as the warehouse's; from the export alone
    into a new results warehouse the run equals the one given the sample's period."""
    import json

    from hazrisk.cli import main
    from hazrisk.safety.data_range import data_range, day_counts
    from hazrisk.safety.params import SafetyParams
    from hazrisk.spark.detect import export_day_counts
    from hazrisk.spark.source import open_export

    con = duckdb.connect(str(engine_runs.duckdb), read_only=True)
    try:
        counts = day_counts(con)
        assert export_day_counts(spark, con, open_export(engine_runs.export)) == counts
        start, end = engine_runs.period.split("..")
        share = SafetyParams.from_rules().data_day_min_share
        assert data_range(con, min_share=share) == (date.fromisoformat(start),
                                                    date.fromisoformat(end))
    finally:
        con.close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["detect", "--db", str(tmp_path / "new.duckdb"), "--json", "--engine",
                     "spark", "--export", str(engine_runs.export)]) == 0
    got, want = json.loads(out.getvalue()), engine_runs.outputs["detect_results"]
    assert (got["start"], got["end"]) == (start, end) and got["period"] == engine_runs.period
    for key in ("vehicles", "positions", "violations", "vehicle_days", "enterprise_months"):
        assert got[key] == want[key], key


@pytest.mark.parametrize("change", ["stale", "deleted"])
def test_only_the_days_whose_inputs_changed_are_recomputed(engine_runs: Any, spark: Any,
                                                          tmp_path: Any, change: str) -> None:
    """One day without current partials (stale: a later file seems to touch it; deleted:
    never computed): both engines recompute that day and, by the one rule
    (rates.partials.rederive), a later day only when the tail it reads changed: the same days,
    not every later one, and the same rows."""
    from datetime import date

    from hazrisk.cli import main

    first = date.fromisoformat(engine_runs.period.split("..")[0])
    last = date.fromisoformat(engine_runs.period.split("..")[1])
    recomputed, copies = {}, {}
    for engine in ("duckdb", "spark"):
        path = tmp_path / f"{engine}.duckdb"
        path.write_bytes(engine_runs.duckdb.read_bytes())
        con = duckdb.connect(str(path))
        if change == "stale":
            con.execute("UPDATE rates.day_runs SET max_file_id = -1 WHERE day = $d",
                        {"d": first})
        else:
            for t in DAY_TABLES:
                con.execute(f"DELETE FROM {t} WHERE day = $d", {"d": first})  # fixed names
        before = dict(con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
        con.close()
        extra = ["--engine", "spark", "--export", str(engine_runs.export)] * (engine == "spark")
        assert main(["rates", "--db", str(path), "--period", engine_runs.period, "--json",
                     *extra]) == 0
        con = duckdb.connect(str(path), read_only=True)
        after = dict(con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
        con.close()
        recomputed[engine] = sorted(d for d, r in after.items() if before.get(d) != r)
        copies[engine] = path
    assert recomputed["spark"] == recomputed["duckdb"]
    assert recomputed["duckdb"][0] == first and last not in recomputed["duckdb"]
    if change == "stale":  # same inputs: the same tail, nothing after it
        assert recomputed["duckdb"] == [first]
    for t in DAY_TABLES + PERIOD_TABLES:
        assert_same_rows(_table(copies["duckdb"], t), _table(copies["spark"], t), t)


@pytest.mark.parametrize("newest", [False, True])
def test_the_export_shows_the_days_the_positions_show(engine_runs: Any, spark: Any,
                                                      tmp_path: Any, newest: bool) -> None:
    """A results warehouse holds no positions: which days have position records and which
    partials a later file makes stale come from the export (partition names; data_days /
    stale_days on the executors over the undated records and those of files newer than a
    computed day saw), equal to what the warehouse finds; with every day current the
    executors read the undated records only, else those and the newer files' records."""
    from datetime import date

    from hazrisk.config import load_rules
    from hazrisk.rates.partials import data_days, stale_days
    from hazrisk.spark.days import position_days_spark
    from hazrisk.spark.source import open_export

    path = tmp_path / "w.duckdb"
    path.write_bytes(engine_runs.duckdb.read_bytes())
    con = duckdb.connect(str(path))
    try:
        first = date.fromisoformat(engine_runs.period.split("..")[0])
        ((top, last),) = con.execute(  # the newest file, the newest touching the first day
            "SELECT max(source_file_id), max(source_file_id) FILTER (WHERE "
            "core.local_day(device_time) = $d) FROM core.positions", {"d": first}).fetchall()
        if newest:  # the first day computed before that file was ingested
            con.execute("UPDATE rates.day_runs SET max_file_id = $f WHERE day = $d",
                        {"f": last - 1, "d": first})
        ((read,),) = con.execute(
            "SELECT count(*) FROM core.positions WHERE device_time IS NULL OR source_file_id > "
            "$f", {"f": last - 1 if newest else top}).fetchall()
        rules = load_rules()
        end = date.fromisoformat(engine_runs.period.split("..")[1])
        found = position_days_spark(spark, con, open_export(engine_runs.export), end, rules,
                                    since=None)
        assert found.data == data_days(con, end) and len(found.data) == 3
        assert found.stale == stale_days(con, rules) == ([first] if newest else [])
        assert found.records == read
        ((total,),) = con.execute("SELECT count(*) FROM core.positions").fetchall()
        assert read < total / 2
    finally:
        con.close()
