"""A results warehouse copies only what changed in the export (hazrisk.spark.inputs): a second
run over a grown export reads the new dump files' rows (and those of a file whose rows changed)
and ends equal to a fresh run over the same export."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from test_spark_engine_equal import assert_same_rows

from hazrisk.cli import main
from hazrisk.spark.inputs import INPUTS

pytestmark = [pytest.mark.spark, pytest.mark.slow]

PERIOD = "2026-10-01..2026-10-03"
SAFETY = ("safety.violations", "safety.vehicle_days", "safety.enterprise_months",
          "safety.vehicle_months", "safety.tampering")
RUN_TIME = {"detected_at", "computed_at", "run_id"}


def _ok(argv: list[str]) -> Any:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()[-2000:]
    return json.loads(out.getvalue())


def _rows(path: Path, relation: str) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        df = con.sql(f"SELECT * FROM {relation}").df()  # fixed names (INPUTS, SAFETY)
    finally:
        con.close()
    return df.drop(columns=[c for c in df.columns if c in RUN_TIME])


def _sorted(path: Path, relation: str) -> pd.DataFrame:
    df = _rows(path, relation).astype(str)
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def _query(path: Path, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or {}).fetchall()
    finally:
        con.close()


def test_a_grown_export_copies_only_the_new_part(sample_dir: Path, spark: Any,
                                                 tmp_path: Path) -> None:
    wh, export = tmp_path / "w.duckdb", tmp_path / "export"
    dumps = sorted((sample_dir / "dumps").glob("*/*"))
    first = [str(p) for p in dumps if "2026-10-03" not in p.name]
    later = [str(p) for p in dumps if "2026-10-03" in p.name]
    assert len(first) == 12 and len(later) == 6
    _ok(["registry", "import", str(sample_dir), "--db", str(wh), "--json"])
    _ok(["ingest", *first, "--db", str(wh), "--json", "--no-progress"])
    _ok(["export", "--db", str(wh), "--out", str(export), "--unmasked", "--json"])
    grown, fresh = tmp_path / "grown.duckdb", tmp_path / "fresh.duckdb"
    spark_run = ["--period", PERIOD, "--json", "--engine", "spark", "--export", str(export)]
    _ok(["detect", "--db", str(grown), *spark_run])

    # the export grows by a day's files, and one earlier file's rows change (as a registry
    # import re-resolving its alarms would change them)
    _ok(["ingest", *later, "--db", str(wh), "--json", "--no-progress"])
    con = duckdb.connect(str(wh))
    try:
        ((changed,),) = con.execute("SELECT min(source_file_id) FROM store.text_messages"
                                    ).fetchall()
        con.execute("UPDATE store.text_messages SET text = text || '!' "
                    "WHERE source_file_id = $f", {"f": changed})
        new = [f for (f,) in con.execute(
            "SELECT file_id FROM meta.ingested_files WHERE source_date = DATE '2026-10-03'"
        ).fetchall()]
        expect = {}
        for table in ("heartbeats", "text_messages", "alarms"):
            ((n, total),) = con.execute(  # fixed names
                f"SELECT count(*) FILTER (WHERE list_contains($new, source_file_id) OR "
                f"(source_file_id = $f AND $t)), count(*) FROM core.{table}",
                {"new": new, "f": changed, "t": table == "text_messages"}).fetchall()
            expect[f"store.{table}"] = (n, total)
    finally:
        con.close()
    assert len(new) == 6
    _ok(["export", "--db", str(wh), "--out", str(export), "--unmasked", "--json"])
    _ok(["detect", "--db", str(grown), *spark_run])
    _ok(["detect", "--db", str(fresh), *spark_run])

    copied = {r: (c, n) for r, c, n in _query(
        grown, "SELECT relation, copied, rows FROM spark.copied_inputs")}
    for relation, (n, total) in expect.items():
        assert 0 < n < total and copied[relation] == (n, total), relation
    assert copied["core.vehicles"] == (0, 40)  # the registries did not change
    assert copied["meta.ingested_files"] == (18, 18)  # a small table: whole when it changed
    assert {r: n for r, (_, n) in copied.items()} == {
        r: n for r, _, n in _query(fresh, "SELECT relation, copied, rows FROM "
                                          "spark.copied_inputs")}
    for _, relation in INPUTS:
        pd.testing.assert_frame_equal(_sorted(grown, relation), _sorted(fresh, relation),
                                      obj=relation)
    for table in SAFETY:  # floats to summation order (vehicle groups: test_spark_engine_equal)
        a, b = _rows(grown, table), _rows(fresh, table)
        assert len(a) or table == "safety.tampering", table
        assert_same_rows(a, b, table)
