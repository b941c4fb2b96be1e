"""The published data explains itself and is safe: every mart column commented (Chinese and
English) in the warehouse and the snapshot, SCHEMA.md generated from the same catalogue,
Beijing-zoned times, masking everywhere, named partitions, clean publish targets."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest
from store_testkit import (
    PHONE_A,
    T0,
    VEHICLE_HEADER,
    Stream,
    loc,
    mixed_stream,
    vehicle_row,
    write_csv,
)

from hazrisk.cli import main as hazrisk_main
from hazrisk.store.connect import connect
from hazrisk.store.mart_docs import (
    MARK_BEGIN,
    MARK_END,
    full_mart,
    missing_comments,
    schema_markdown,
    stale_entries,
)
from hazrisk.store.publish import open_published, publish

SCHEMA_MD = Path(__file__).resolve().parents[2] / "hazrisk" / "store" / "SCHEMA.md"
DRIVERS = "driver_id,enterprise_id,vehicle_id,name,id_number,phone,role"


def test_every_mart_column_is_commented_and_schema_md_is_generated() -> None:
    """Fails when an area adds a mart view or column without its entry in
    hazrisk/store/sql/mart_comments.toml (then run `python -m hazrisk.store.mart_docs`)."""
    con = full_mart()
    assert missing_comments(con) == []
    assert stale_entries(con) == []
    n = con.execute("SELECT count(DISTINCT table_name) FROM duckdb_columns() "
                    "WHERE schema_name = 'mart'").fetchall()[0][0]
    assert n >= 17
    for (comment,) in con.execute("SELECT comment FROM duckdb_columns() "
                                  "WHERE schema_name = 'mart'").fetchall():
        assert "/" in comment and any("\u4e00" <= ch <= "\u9fff" for ch in comment), comment
    doc = SCHEMA_MD.read_text(encoding="utf-8")
    section = doc[doc.index(MARK_BEGIN): doc.index(MARK_END) + len(MARK_END)]
    assert section == schema_markdown(con), "run `python -m hazrisk.store.mart_docs`"
    con.close()


def test_every_published_column_keeps_its_comment(tmp_path: Path) -> None:
    """All areas' mart views, published: the snapshot's tables carry every comment (the
    catalogue's and those areas write next to their views)."""
    db = tmp_path / "w.duckdb"
    full_mart(str(db)).close()
    out = tmp_path / "published.duckdb"
    publish(db, out)
    con = open_published(out)
    assert missing_comments(con) == []
    con.close()


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    """Two vehicles, a driver, dumps with an undated fix (invalid BCD time) and a fix just
    after Beijing midnight (still the previous day in UTC)."""
    reg = tmp_path / "reg"
    write_csv(reg / "vehicles.csv", VEHICLE_HEADER, [vehicle_row("V00001", PHONE_A, "P07")])
    write_csv(reg / "drivers.csv", DRIVERS,
              ["D1,E01,V00001,张三丰,330102199001011234,13912345678,driver"])
    s = mixed_stream()
    undated = loc()
    undated["device_time"], undated["device_time_bcd"] = None, "991399999999"
    s.msg(0x0200, undated)
    s.msg(0x0200, loc(T0.replace(hour=0, minute=30), 30.3, 120.3))  # 2026-10-01 00:30 +08
    db = tmp_path / "w.duckdb"
    con = connect(db)
    from hazrisk.store.ingest import ingest_paths
    from hazrisk.store.registry_import import import_registry

    import_registry(con, reg)
    ingest_paths(con, [s.write(tmp_path / "dumps" / "P07" / "2026-10-01.bin"),
                       Stream().write(tmp_path / "dumps" / "2026-10-02.bin")])
    con.close()
    return db


def test_snapshot_and_parquet_keep_comments_zone_and_masks(warehouse: Path,
                                                           tmp_path: Path) -> None:
    out, pq = tmp_path / "pub" / "published.duckdb", tmp_path / "pub" / "pq"
    publish(warehouse, out, parquet_dir=pq)
    con = open_published(out)
    assert missing_comments(con) == []
    (src,) = con.execute("SELECT source_db FROM mart._published").fetchall()[0]
    assert src == "w.duckdb"  # the file name, no path
    phones = {p for (p,) in con.execute("SELECT terminal_phone FROM mart.vehicles").fetchall()}
    assert phones == {"139****0001"}
    assert con.execute("SELECT name, id_number, phone FROM mart.drivers").fetchall() == [
        ("张**", "330***********1234", "139****5678")]
    df = con.execute("SELECT day, first_device_time FROM mart.vehicle_days ORDER BY day").df()
    assert str(df["first_device_time"].dt.tz) == "Asia/Shanghai"
    con.close()
    vd = pd.read_parquet(pq / "vehicle_days.parquet").sort_values("first_device_time")
    assert str(vd["first_device_time"].dt.tz) == "Asia/Shanghai"
    first = vd.iloc[0]
    assert first["first_device_time"].isoformat().endswith("+08:00")
    assert first["first_device_time"].date() == first["day"]  # 00:30 Beijing: same day
    assert first["first_device_time"].hour == 0


def test_killed_publish_leaves_nothing_behind_the_next_run(warehouse: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "published.duckdb"
    dead = 2 ** 22 + 12345  # above any pid this machine hands out
    stale = [tmp_path / f".published.duckdb.publish-{dead}.duckdb.tmp",
             tmp_path / f".published.duckdb.publish-{dead}.duckdb.tmp.wal"]
    (tmp_path / "pq").mkdir()
    stale.append(tmp_path / "pq" / f".publish-{dead}.vehicles.parquet.tmp")
    for p in stale:
        p.write_bytes(b"half-written")
    mine = tmp_path / "pq" / "notes.txt"
    mine.write_text("the user's")
    publish(warehouse, out, parquet_dir=tmp_path / "pq")
    assert not any(p.exists() for p in stale)
    assert mine.exists()
    leftovers = [p.name for p in tmp_path.rglob(".*") if "publish" in p.name]
    assert leftovers == []


def test_export_masks_by_default_and_names_every_partition(
        warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "export"
    assert hazrisk_main(["export", "--db", str(warehouse), "--out", str(out)]) == 0
    assert "masked" in capsys.readouterr().out
    assert not [p for p in out.rglob("*") if "__HIVE_DEFAULT_PARTITION__" in str(p)]
    drivers = pd.read_parquet(out / "registry" / "drivers.parquet")
    assert drivers[["name", "id_number", "phone"]].values.tolist() == [
        ["张**", "330***********1234", "139****5678"]]
    vehicles = pd.read_parquet(out / "registry" / "vehicles.parquet")
    assert vehicles["terminal_phone"].tolist() == ["139****0001"]
    assert vehicles["owner_name"].tolist() == ["张*"]
    pos = ds.dataset(out / "positions", partitioning="hive").to_table().to_pandas()
    assert set(pos["terminal_phone"]) == {"013*****0001"}
    assert "undated" in set(pos["date"].astype(str))
    hb = ds.dataset(out / "heartbeats", partitioning="hive").to_table().to_pandas()
    assert set(hb["provider"]) <= {"P07", "unknown"}
    # authorised use: in clear, and said so
    clear = tmp_path / "clear"
    assert hazrisk_main(["export", "--db", str(warehouse), "--out", str(clear),
                         "--unmasked"]) == 0
    assert "UNMASKED" in capsys.readouterr().out
    assert pd.read_parquet(clear / "registry" / "drivers.parquet")["name"].tolist() == ["张三丰"]
    assert "UNMASKED" in (clear / "_hazrisk_export").read_text(encoding="utf-8")


def test_readme_says_export_masks(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    assert "--unmasked" in readme


def test_commands_never_write_to_a_snapshot(warehouse: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "snap.duckdb"
    publish(warehouse, snap)
    os.chmod(snap, 0o644)  # even when the file could be written
    before = snap.read_bytes()
    for argv in (["ingest", str(tmp_path / "dumps"), "--db", str(snap), "--no-progress"],
                 ["registry", "import", str(tmp_path / "reg"), "--db", str(snap)],
                 ["retain", "--db", str(snap), "--as-of", "2027-01-01"],
                 ["publish", "--db", str(snap), "--out", str(tmp_path / "p2.duckdb")],
                 ["export", "--db", str(snap), "--out", str(tmp_path / "e")]):
        assert hazrisk_main(argv) == 2
        assert "published snapshot" in capsys.readouterr().err
    assert snap.read_bytes() == before
    assert not (tmp_path / "p2.duckdb").exists() and not (tmp_path / "e").exists()
    con = duckdb.connect(str(snap), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name IN "
                       "('core', 'store', 'rates')").fetchall() == [(0,)]
    con.close()
