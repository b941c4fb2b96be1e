"""Schema: applied once, documented in SCHEMA.md; masking; partitioned Parquet export."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from store_testkit import PHONE_A, VEHICLE_HEADER, mixed_stream, vehicle_row, write_csv

from hazrisk.store import mask_pii
from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect, schema_files
from hazrisk.store.ingest import ingest_paths
from hazrisk.store.registry_import import import_registry

SCHEMA_MD = Path(__file__).resolve().parents[2] / "hazrisk" / "store" / "SCHEMA.md"


def test_schema_applies_once(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    con.close()
    con = connect(tmp_path / "w.duckdb")
    versions = [v for (v,) in con.execute(
        "SELECT version FROM meta.schema_migrations ORDER BY 1").fetchall()]
    assert versions == [f.version for f in schema_files()]
    con.close()


def test_schema_md_documents_every_core_relation_and_position_column(
        db: duckdb.DuckDBPyConnection) -> None:
    doc = SCHEMA_MD.read_text(encoding="utf-8")
    rels = db.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('core', 'meta', 'mart') AND table_name <> 'position_facts'"
    ).fetchall()
    missing = [r for (r,) in rels if f"`{r}`" not in doc and r.split(".")[1] not in doc]
    assert not missing
    cols = [c for (c,) in db.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'core' AND table_name = 'positions'").fetchall()]
    body = doc.split("### `core.positions`")[1].split("###")[0]
    undocumented = [c for c in cols if not re.search(rf"\b{c}\b", body)]
    assert not undocumented


def test_mask_pii_matches_sql(db: duckdb.DuckDBPyConnection) -> None:
    for value in ("张三丰", "李", "", "13912345678", "123", "1234567", "330102199001011234"):
        for kind, macro in (("name", "mask_name"), ("phone", "mask_phone"), ("id", "mask_id")):
            (sql,) = db.execute(f"SELECT mart.{macro}($v)", {"v": value}).fetchall()[0]
            assert sql == mask_pii(value, kind), (value, kind)
    assert mask_pii(None, "phone") is None
    with pytest.raises(ValueError):
        mask_pii("x", "address")


def test_export_partitions_by_date_and_provider(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "w.duckdb"
    con = connect(db_path)
    write_csv(tmp_path / "reg" / "vehicles.csv", VEHICLE_HEADER,
              [vehicle_row("V00001", PHONE_A, "P07")])
    import_registry(con, tmp_path / "reg")
    ingest_paths(con, [mixed_stream().write(tmp_path / "dumps" / "P07" / "2026-10-01.bin")])
    (n_pos,) = con.execute("SELECT count(*) FROM core.positions").fetchall()[0]
    con.close()
    out = tmp_path / "export"
    assert store_main(["export", "--db", str(db_path), "--out", str(out)]) == 0
    assert "positions" in capsys.readouterr().out
    parts = sorted(p.relative_to(out / "positions").parts[:2]
                   for p in (out / "positions").rglob("*.parquet"))
    assert ("date=2026-10-01", "provider=P07") in parts
    assert {p[1] for p in parts} == {"provider=P07"}
    table = ds.dataset(out / "positions", partitioning="hive").to_table()
    assert table.num_rows == n_pos
    assert (out / "registry" / "vehicles.parquet").exists()
    hb = ds.dataset(out / "heartbeats", partitioning="hive").to_table()
    assert set(hb.column("provider").to_pylist()) == {"P07"}  # gateway folder
    # a second export replaces the first; a foreign folder is refused
    assert store_main(["export", "--db", str(db_path), "--out", str(out)]) == 0
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    assert store_main(["export", "--db", str(db_path), "--out", str(foreign)]) == 1
    assert (foreign / "keep.txt").exists()
