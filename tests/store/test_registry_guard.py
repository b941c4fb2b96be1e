"""Registry import never lets a careless file replace a good registry: safeguards, all or
nothing across files, Chinese encodings, oversized cells, malformed GeoJSON features."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from store_testkit import VEHICLE_HEADER, vehicle_row, write_csv

from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect
from hazrisk.store.registry_import import import_registry

ENTERPRISE_HEADER = "enterprise_id,name,city,license_no,safety_manager,safety_manager_phone"


def _vehicles(n: int) -> list[str]:
    return [vehicle_row(f"V{i:05d}", f"139{i:08d}") for i in range(1, n + 1)]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


@pytest.fixture()
def imported(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A warehouse holding 20 vehicles imported from tmp_path/registry."""
    con = connect(":memory:")
    write_csv(tmp_path / "registry" / "vehicles.csv", VEHICLE_HEADER, _vehicles(20))
    rep = import_registry(con, tmp_path)
    assert not rep.failed and _count(con, "core.vehicles") == 20
    return con, tmp_path / "registry" / "vehicles.csv"


@pytest.mark.parametrize("content, why", [
    (VEHICLE_HEADER + "\n", "0 valid rows where the previous vehicles import had 20"),
    (VEHICLE_HEADER + "\n" + "\n".join(r.replace(",2,", ",x,", 1).replace("V0", "", 1)
                                      .replace(",", ";") for r in _vehicles(20)) + "\n",
     "20 of 20 rows rejected"),
    (VEHICLE_HEADER + "\n" + "\n".join(_vehicles(2)) + '\nV00003,"1390000003,T3\n'
     + "\n".join(_vehicles(20)[3:]) + "\n", "2 valid rows where the previous vehicles import"),
    (VEHICLE_HEADER + "\n" + "\n".join(_vehicles(4)) + "\n"
     + "\n".join(f"X{i},only,three" for i in range(6)) + "\n", "6 of 10 rows rejected"),
], ids=["header_only", "all_rejected", "broken_quote", "mostly_rejected"])
def test_a_bad_file_does_not_replace_the_previous_import(
        imported: tuple[duckdb.DuckDBPyConnection, Path], content: str, why: str) -> None:
    con, path = imported
    before = con.execute("SELECT * FROM core.vehicles ORDER BY vehicle_id").fetchall()
    path.write_text(content, encoding="utf-8")
    rep = import_registry(con, path.parent.parent)
    (f,) = rep.files
    assert rep.failed and f.status == "refused"
    assert why in (f.error or "") and "--accept-shrink" in (f.error or "")
    assert con.execute("SELECT * FROM core.vehicles ORDER BY vehicle_id").fetchall() == before
    assert _count(con, "meta.registry_imports") == 1
    if why.startswith("2 valid"):  # the broken quote is named
        assert ("row 4: 2 fields, header has 18; a quote (\") opened in this row is never "
                "closed and swallows lines 4-21") in f.problems[0].message()
    # the user says the registry really shrank: imported
    rep = import_registry(con, path.parent.parent, accept_shrink=True)
    assert not rep.failed and rep.files[0].status == "imported"
    assert _count(con, "core.vehicles") == rep.files[0].rows_ok


def test_cli_exit_code_says_the_import_failed(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "w.duckdb"
    write_csv(tmp_path / "registry" / "vehicles.csv", VEHICLE_HEADER, _vehicles(20))
    assert store_main(["registry", "import", str(tmp_path), "--db", str(db)]) == 0
    capsys.readouterr()
    # the same files again: unchanged, and that is not a warning
    assert store_main(["registry", "import", str(tmp_path), "--db", str(db)]) == 0
    again = capsys.readouterr()
    assert "unchanged" in again.out and "warning" not in again.out.lower() and again.err == ""
    write_csv(tmp_path / "registry" / "vehicles.csv", VEHICLE_HEADER, [])
    assert store_main(["registry", "import", str(tmp_path), "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing imported" in err and "Traceback" not in err
    assert store_main(["registry", "import", str(tmp_path), "--db", str(db),
                       "--accept-shrink", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["files"][0]["rows_ok"] == 0


def test_import_is_atomic_across_files_on_a_fresh_warehouse(tmp_path: Path) -> None:
    write_csv(tmp_path / "registry" / "enterprises.csv", ENTERPRISE_HEADER, ["E01,甲,杭州,,,"])
    write_csv(tmp_path / "registry" / "images.csv",
              "vehicle_id,slot,file_name,sha256,size_bytes,magic_hex,uploaded_at",
              ["V00001,body_photo,a.jpg,ab,10,ffd8ff,2026-10-01"])
    write_csv(tmp_path / "insurance" / "policies.csv", "policy_id,vehicle_id", ["PL1,V00001"])
    write_csv(tmp_path / "registry" / "vehicles.csv", "plate,vin", ["浙A1,x"])  # no key column
    con = connect(":memory:")
    rep = import_registry(con, tmp_path)
    assert rep.failed
    statuses = {f.kind: f.status for f in rep.files}
    assert statuses == {"enterprises": "not_imported", "images": "not_imported",
                        "policies": "not_imported", "vehicles": "failed"}
    for table in ("core.enterprises", "core.images", "core.policies", "core.vehicles",
                  "meta.registry_imports", "quarantine.registry_rejects"):
        assert _count(con, table) == 0, table


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gbk_csv_is_detected(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "registry" / "enterprises.csv"
    path.parent.mkdir(parents=True)
    # 专业 happen to be valid UTF-8 in GBK: the first characters alone must not decide
    text = (ENTERPRISE_HEADER + "\r\nE00,专业危化运输,宁波,,,\r\nE01,镇海危化运输有限公司,宁波,,王安全,"
            "\r\nE02,杭州甲,杭州,,,\r\n")
    path.write_bytes(text.encode(codec))
    con = connect(":memory:")
    rep = import_registry(con, tmp_path)
    assert not rep.failed and rep.files[0].encoding == "gb18030"
    assert con.execute("SELECT name, safety_manager FROM core.enterprises ORDER BY 1"
                       ).fetchall() == [("专业危化运输", None), ("杭州甲", None),
                                        ("镇海危化运输有限公司", "王安全")]
    # an explicit encoding is used as given
    con2 = connect(":memory:")
    assert not import_registry(con2, tmp_path, encoding=codec).failed


def test_undecodable_csv_names_file_row_column_and_how_to_resave(tmp_path: Path) -> None:
    path = tmp_path / "registry" / "enterprises.csv"
    path.parent.mkdir(parents=True)
    # UTF-8 Chinese, then a damaged byte in row 3, column city
    path.write_bytes((ENTERPRISE_HEADER + "\nE01,甲公司,杭州,,,\nE02,乙,").encode()
                     + b"\xff\xfe" + b",,,\n")
    con = connect(":memory:")
    rep = import_registry(con, tmp_path)
    (f,) = rep.files
    assert f.status == "failed"
    assert f"{path}: row 3, column city: byte 0xff cannot be read as UTF-8" in (f.error or "")
    assert "CSV UTF-8" in (f.error or "") and "--encoding" in (f.error or "")
    # the wrong explicit encoding is reported the same way
    path.write_bytes((ENTERPRISE_HEADER + "\nE01,甲公司,杭州,,,\n").encode("gbk"))
    rep = import_registry(con, tmp_path, encoding="utf-8")
    assert "row 2, column name: byte 0x" in (rep.files[0].error or "")


def test_oversized_cell_rejects_its_row_only(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rows = _vehicles(5)
    rows[2] = rows[2].replace("张三", "x" * 200_000)
    write_csv(tmp_path / "registry" / "vehicles.csv", VEHICLE_HEADER, rows)
    db = tmp_path / "w.duckdb"
    assert store_main(["registry", "import", str(tmp_path), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "row 4, column owner_name: cell of 200,000 characters exceeds the 131,072 limit" in out
    con = duckdb.connect(str(db))
    assert _count(con, "core.vehicles") == 4
    assert con.execute("SELECT row_number, column_name, length(row_json) > 200000 "
                       "FROM quarantine.registry_rejects").fetchall() == [(4, "owner_name", True)]


def test_malformed_geojson_features_are_rejected_one_by_one(tmp_path: Path) -> None:
    good = {"type": "Feature", "properties": {"road_id": "G15", "road_class": "expressway"},
            "geometry": {"type": "LineString", "coordinates": [[121, 30], [121.1, 30.1]]}}
    bad: list[object] = [
        "not a feature",
        {"type": "Feature", "properties": ["a", "list"], "geometry": good["geometry"]},
        {"type": "Feature", "properties": {"road_id": "X1"},
         "geometry": {"type": "LineString", "coordinates": [[121]]}},
        {"type": "Feature", "properties": {"road_id": "X2"},
         "geometry": {"type": "LineString", "coordinates": "nonsense"}},
        {"type": "Feature", "properties": {"road_id": "X3"}, "geometry": {"type": "Blob"}},
        {"type": "Feature", "properties": {"road_id": "X4", "name": "y" * 140_000},
         "geometry": good["geometry"]},
    ]
    doc = {"type": "FeatureCollection",
           "features": [good] + bad + [dict(good, properties={"road_id": f"G{i}"})
                                       for i in range(20, 26)]}
    (tmp_path / "roads.geojson").write_text(json.dumps(doc), encoding="utf-8")
    con = connect(":memory:")
    rep = import_registry(con, tmp_path)
    (f,) = rep.files
    assert (f.status, f.rows_ok, f.rows_rejected) == ("imported", 7, 6)
    got = con.execute("SELECT row_number, column_name FROM quarantine.registry_rejects "
                      "ORDER BY row_number").fetchall()
    assert got == [(2, "geometry"), (3, "geometry"), (4, "geometry"), (5, "geometry"),
                   (6, "geometry"), (7, "name")]
    assert "not an object" in f.problems[0].message()
