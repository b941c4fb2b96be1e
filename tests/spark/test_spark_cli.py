"""--engine spark on the command line: one-line refusals, and the executor-side helpers."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hazrisk.cli import main
from hazrisk.spark.local import (
    LocalWarehouse,
    from_ipc,
    lossless,
    needed_columns,
    put_relation,
    to_ipc,
)
from hazrisk.store.connect import connect


def _cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    connect(path).close()
    return path


def _export(tmp_path: Path, marker: str) -> Path:
    out = tmp_path / "exp"
    (out / "positions" / "date=2026-10-01" / "provider=P01").mkdir(parents=True)
    (out / "_hazrisk_export").write_text(marker, encoding="utf-8")
    return out


@pytest.mark.parametrize("command", [["detect"], ["rates", "--period", "2026-10"]])
@pytest.mark.parametrize(("extra", "message"), [
    (["--engine", "spark"], "--engine spark needs --export DIR"),
    (["--export", "x"], "--export applies to --engine spark only"),
    (["--spark-master", "local[1]"], "--spark-master applies to --engine spark only"),
    (["--engine", "spark", "--export", "nowhere"], "nowhere: no such export folder"),
])
def test_engine_options_refused_in_one_line(db: Path, command: list[str], extra: list[str],
                                            message: str) -> None:
    code, _, err = _cli([*command, "--db", str(db), *extra])
    assert code == 2
    assert err.strip().count("\n") == 0 and message in err, err


def test_a_masked_or_foreign_export_is_refused(db: Path, tmp_path: Path) -> None:
    masked = _export(tmp_path, "hazrisk core export (personal data masked)\n")
    code, _, err = _cli(["detect", "--db", str(db), "--engine", "spark", "--export",
                         str(masked)])
    assert code == 2 and "a masked export" in err and "--unmasked" in err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    code, _, err = _cli(["detect", "--db", str(db), "--engine", "spark", "--export",
                         str(foreign)])
    assert code == 2 and "not a hazrisk export" in err


def test_without_pyspark_the_engine_names_the_extra(db: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "pyspark", None)  # import fails
    exp = _export(tmp_path, "hazrisk core export (UNMASKED personal data)\n")
    code, _, err = _cli(["rates", "--db", str(db), "--period", "2026-10", "--engine", "spark",
                         "--export", str(exp)])
    assert code == 2
    assert err.strip() == ("hazrisk rates: --engine spark needs the spark extra (pip install "
                           "-e '.[spark]' and a Java 17 runtime): pyspark is not installed")
    # the DuckDB engine does not need it
    code, _, err = _cli(["detect", "--db", str(db), "--no-progress"])
    assert code == 1 and "nothing to detect" in err and "extra" not in err


def test_without_java_the_engine_says_so(db: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    exp = _export(tmp_path, "hazrisk core export (UNMASKED personal data)\n")
    code, _, err = _cli(["detect", "--db", str(db), "--engine", "spark", "--export", str(exp)])
    assert code == 2 and "no Java runtime found" in err and "'.[spark]'" in err


def test_put_relation_casts_to_the_warehouse_types() -> None:
    wh = LocalWarehouse(connect(":memory:"))
    rows = pa.table({"pos_seq": pa.array([3, 1], pa.int64()),
                     "status": pa.array([2**31 + 5, 0], pa.int64()),  # UINTEGER as Spark reads it
                     "acc_on": [True, None], "vehicle_id": ["V1", "V2"]})
    put_relation(wh, "core.positions", rows)
    got = wh.con.execute("SELECT pos_seq, status, acc_on, vehicle_id, lat_deg, "
                         "typeof(status), typeof(lat_deg) FROM core.positions "
                         "ORDER BY pos_seq").fetchall()
    assert got == [(1, 0, None, "V2", None, "UINTEGER", "DOUBLE"),
                   (3, 2**31 + 5, True, "V1", None, "UINTEGER", "DOUBLE")]
    put_relation(wh, "core.positions", rows.slice(0, 1), token="a")
    put_relation(wh, "core.positions", rows, token="a")  # same token: kept
    assert wh.con.execute("SELECT count(*) FROM core.positions").fetchall() == [(1,)]
    with pytest.raises(ValueError, match="schema.name"):
        put_relation(wh, "positions; DROP TABLE x", rows)


def test_partials_keep_duckdb_types_through_ipc() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT 7::BIGINT AS b, DATE '2026-10-01' AS d")
    with lossless(con):
        table = con.sql("SELECT sum(b) AS s, any_value(d) AS d FROM t").to_arrow_table()
    back = duckdb.connect()
    back.register("x", from_ipc(to_ipc(table)))
    assert back.sql("SELECT s, typeof(s), d FROM x").fetchall()[0][:2] == (7, "HUGEINT")


def test_needed_columns_keeps_what_the_sql_mentions() -> None:
    cols = ["pos_seq", "lat_deg", "fuel_l", "speed_kmh", "speed"]
    assert needed_columns(cols, "SELECT p.pos_seq, p.speed_kmh FROM core.positions p",
                          "lat_deg > 0") == ["pos_seq", "lat_deg", "speed_kmh"]


@pytest.mark.spark
def test_export_writes_each_day_ordered_by_vehicle(engine_runs: Any) -> None:
    files = sorted((engine_runs.export / "positions").glob("date=2026-*/provider=*/*.parquet"))
    assert files
    for f in files:
        t = pq.read_table(f, columns=["vehicle_id", "device_time", "pos_seq"]).to_pandas()
        t = t[t["vehicle_id"].notna()]
        assert t["vehicle_id"].is_monotonic_increasing, f
        for _, g in t.groupby("vehicle_id"):
            assert g["device_time"].is_monotonic_increasing, f


@pytest.mark.spark
def test_rates_preview_on_spark_stores_nothing(engine_runs: Any, spark: Any,
                                              tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.duckdb"
    fresh.write_bytes(engine_runs.duckdb.read_bytes())
    con = duckdb.connect(str(fresh))
    con.execute("DELETE FROM rates.provider_rates")
    con.close()
    code, out, err = _cli(["rates", "--db", str(fresh), "--period", engine_runs.period,
                           "--json", "--no-store", "--engine", "spark", "--export",
                           str(engine_runs.export)])
    assert code == 0, err
    assert json.loads(out)
    con = duckdb.connect(str(fresh), read_only=True)
    assert con.execute("SELECT count(*) FROM rates.provider_rates").fetchall() == [(0,)]


@pytest.mark.spark
def test_a_period_without_positions_is_refused_alike(engine_runs: Any, spark: Any,
                                                     tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(engine_runs.duckdb.read_bytes())
    base = ["rates", "--db", str(db), "--period", "2025-01"]
    code_d, _, err_d = _cli(base)
    code_s, _, err_s = _cli([*base, "--engine", "spark", "--export", str(engine_runs.export)])
    assert code_d == code_s == 1
    assert err_s == err_d and "no position records" in err_s


@pytest.mark.parametrize(("before", "after", "named"), [
    ([], ["--engine", "spark", "--export", "x"], "--engine spark --export"),
    (["--engine", "spark", "--export", "x"], [], "--engine spark --export"),
    ([], ["--spark-groups", "3"], "--spark-groups"),
])
def test_the_drill_downs_refuse_the_spark_engine(db: Path, before: list[str], after: list[str],
                                                 named: str) -> None:
    """``rates explain`` runs on DuckDB only: the engine options, given to it or to ``rates``
    before it, are refused in one line (not ignored)."""
    code, _, err = _cli(["rates", "--db", str(db), "--period", "2026-10", *before, "explain",
                         "--metric", "data_qualification", "--provider", "P01", *after])
    assert code == 2
    assert err.strip() == (f"hazrisk rates explain: the drill-downs run on the DuckDB engine "
                           f"only (one pass over the warehouse's records); {named} applies to "
                           f"`hazrisk rates` itself")


def test_a_group_computes_its_share_of_the_day_only(ingested_sample: Any,
                                                    tmp_path: Path) -> None:
    """partials_for(group=True), what the executors run per vehicle group: the day's drift
    verdicts, units' partials and tail, and no connectivity or coverage (distinct minutes do
    not add up over groups; the driver computes both once, over all groups' rows)."""
    from hazrisk.config import load_rules
    from hazrisk.rates.compute import install
    from hazrisk.rates.partials import partials_for

    path = ingested_sample.copy_to(tmp_path)
    con = connect(path)
    try:
        rules = load_rules()
        install(con, rules)
        day = ingested_sample.start
        run = partials_for(con, day, rules, batches=1, group=True)
        counts = con.execute(
            "SELECT (SELECT count(*) FROM rates.day_partials WHERE day = $d), "
            "(SELECT count(*) FROM rates.day_tails WHERE day = $d), "
            "(SELECT count(*) FROM rates.day_connectivity WHERE day = $d), "
            "(SELECT covered FROM rates.day_runs WHERE day = $d)", {"d": day}).fetchall()
        assert min(counts[0][:2]) > 0 and counts[0][2:] == (0, False)
        assert (run.covered, run.records) == (False, 0)
        whole = partials_for(con, day, rules)  # the DuckDB engine: the whole day here
        assert whole.covered and whole.records > 0
        assert con.execute("SELECT count(*) FROM rates.day_connectivity WHERE day = $d",
                           {"d": day}).fetchall()[0][0] > 0
    finally:
        con.close()
