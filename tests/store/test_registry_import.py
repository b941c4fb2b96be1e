"""Registry import: row-level validation, quarantine, clean replacement, terminal intervals."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from store_testkit import (
    BJ,
    PHONE_A,
    PHONE_B,
    T0,
    VEHICLE_HEADER,
    Stream,
    loc,
    vehicle_row,
    write_csv,
)

from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect
from hazrisk.store.ingest import ingest_paths
from hazrisk.store.registry_import import SPECS, import_registry, parse_date


def test_validation_errors_name_file_row_and_column(db: duckdb.DuckDBPyConnection,
                                                    tmp_path: Path) -> None:
    reg = tmp_path / "registry"
    write_csv(reg / "vehicles.csv", VEHICLE_HEADER, [
        vehicle_row("V00001", PHONE_A),                               # row 2: fine
        vehicle_row("V00002", PHONE_B, tonnage="heavy"),              # row 3: value nulled
        vehicle_row("V00003", "13900000003", valid_from="2026-10-09",
                    valid_to="2026-10-01"),                           # row 4: interval inverted
        vehicle_row("", "13900000004"),                               # row 5: no key
        vehicle_row("V00001", PHONE_A),                               # row 6: duplicate key
        vehicle_row("V00006", "13900000006", valid_from="2026-13-01"),  # row 7: bad date
    ])
    write_csv(reg / "drivers.csv", "driver_id,enterprise_id,vehicle_id,name,id_number,phone,role",
              ["D1,E01,V00001,李四,330102199001011234,13912345678,driver",
               "D2,E01,V00001,王五,330102199001011235,13912345679,pilot"])
    # 4 of 6 rows rejected would be refused (test_registry_guard); this test is about messages
    report = import_registry(db, tmp_path, accept_shrink=True)
    by_kind = {f.kind: f for f in report.files}
    v = by_kind["vehicles"]
    assert (v.status, v.rows_ok, v.rows_rejected, v.values_nulled) == ("imported", 2, 4, 1)
    msgs = [p.message() for p in v.problems]
    path = str(reg / "vehicles.csv")
    assert msgs[0].startswith(f"{path}: row 3, column tonnage_t: cannot read 'heavy' as float")
    assert msgs[0].endswith("(value set to NULL)")
    assert f"{path}: row 4, column valid_to: valid_to 2026-10-01 is before valid_from 2026-10-09" \
        in msgs[1]
    assert f"{path}: row 5, column vehicle_id: required value is empty (row rejected)" == msgs[2]
    assert "row 6, column vehicle_id: duplicate key" in msgs[3] and "first at row 2" in msgs[3]
    assert "row 7, column valid_from: cannot read '2026-13-01' as date" in msgs[4]
    assert "row 3, column role: 'pilot' is not one of ['driver', 'escort']" in \
        by_kind["drivers"].problems[0].message()
    quarantined = db.execute(
        "SELECT kind, row_number, action, column_name FROM quarantine.registry_rejects "
        "ORDER BY kind, row_number").fetchall()
    assert quarantined == [
        ("drivers", 3, "row_rejected", "role"),
        ("vehicles", 3, "value_nulled", "tonnage_t"),
        ("vehicles", 4, "row_rejected", "valid_to"),
        ("vehicles", 5, "row_rejected", "vehicle_id"),
        ("vehicles", 6, "row_rejected", "vehicle_id"),
        ("vehicles", 7, "row_rejected", "valid_from"),
    ]
    (row_json,) = db.execute(
        "SELECT row_json FROM quarantine.registry_rejects WHERE row_number = 4").fetchall()[0]
    assert json.loads(row_json)["vehicle_id"] == "V00003"
    assert db.execute("SELECT vehicle_id, tonnage_t, source_row FROM core.vehicles "
                      "ORDER BY 1").fetchall() == [("V00001", 30.0, 2), ("V00002", None, 3)]


def test_missing_required_header_fails_the_file(db: duckdb.DuckDBPyConnection,
                                                tmp_path: Path) -> None:
    write_csv(tmp_path / "providers.csv", "name,platform_domain", ["x,y"])
    write_csv(tmp_path / "enterprises.csv", "enterprise_id,name", ["E01,甲"])
    report = import_registry(db, tmp_path)
    by_kind = {f.kind: f for f in report.files}
    assert by_kind["providers"].status == "failed"
    assert "header lacks required column(s) ['provider_id']" in (by_kind["providers"].error or "")
    # all or nothing: the good file is not imported either
    assert by_kind["enterprises"].status == "not_imported"
    assert any("imported as NULL" in w for w in by_kind["enterprises"].warnings)
    assert report.failed
    assert db.execute("SELECT count(*) FROM core.enterprises").fetchall() == [(0,)]


def test_reimport_replaces_cleanly_and_skips_same_content(db: duckdb.DuckDBPyConnection,
                                                          tmp_path: Path) -> None:
    write_csv(tmp_path / "vehicles.csv", VEHICLE_HEADER,
              [vehicle_row("V00001", PHONE_A), vehicle_row("V00002", PHONE_B, tonnage="x")])
    import_registry(db, tmp_path)
    again = import_registry(db, tmp_path)
    assert [f.status for f in again.files] == ["unchanged"]
    write_csv(tmp_path / "vehicles.csv", VEHICLE_HEADER, [vehicle_row("V00003", PHONE_A)])
    newer = import_registry(db, tmp_path)
    assert [f.status for f in newer.files] == ["imported"]
    assert db.execute("SELECT vehicle_id FROM core.vehicles").fetchall() == [("V00003",)]
    # the old import's rejects went with it
    assert db.execute("SELECT count(*) FROM quarantine.registry_rejects").fetchall() == [(0,)]
    assert db.execute("SELECT count(*) FROM meta.registry_imports").fetchall() == [(2,)]


def test_terminal_moves_and_positions_are_resolved(db: duckdb.DuckDBPyConnection,
                                                   tmp_path: Path) -> None:
    # the terminal sits in V1 until 2026-10-01 (inclusive), then in V2 (another provider)
    write_csv(tmp_path / "vehicles.csv", VEHICLE_HEADER, [
        vehicle_row("V00001", PHONE_A, "P01", valid_to="2026-10-01"),
        vehicle_row("V00002", PHONE_A, "P02", valid_from="2026-10-02"),
    ])
    s = Stream()
    day2 = datetime(2026, 10, 2, 0, 0, 0, tzinfo=BJ)
    for t in (T0, day2 - timedelta(seconds=1), day2, day2 + timedelta(hours=5)):
        s.msg(0x0200, loc(t))
    s.msg(0x0200, loc(T0), "13977777777")  # unknown terminal
    ingest_paths(db, [s.write(tmp_path / "d.bin")])  # before the registry exists
    assert db.execute("SELECT count(*) FROM core.positions WHERE vehicle_id IS NULL"
                      ).fetchall() == [(5,)]
    import_registry(db, tmp_path)
    got = db.execute("SELECT device_time, vehicle_id, provider_id FROM core.positions "
                     "ORDER BY device_time, vehicle_id NULLS LAST").fetchall()
    assert got == [
        (T0, "V00001", "P01"), (T0, None, None),
        (day2 - timedelta(seconds=1), "V00001", "P01"),
        (day2, "V00002", "P02"), (day2 + timedelta(hours=5), "V00002", "P02"),
    ]
    # data ingested after the import is resolved on the way in, with the same rule
    s2 = Stream()
    s2.msg(0x0200, loc(day2 + timedelta(hours=6)))
    ingest_paths(db, [s2.write(tmp_path / "d2.bin")])
    assert db.execute("SELECT vehicle_id FROM core.positions WHERE device_time = $t",
                      {"t": day2 + timedelta(hours=6)}).fetchall() == [("V00002",)]
    ta = db.execute("SELECT terminal_key, vehicle_id, valid_from_ts, valid_to_ts "
                    "FROM core.terminal_assignments ORDER BY valid_from_ts").fetchall()
    assert ta[0][0] == "13900000001" and ta[0][3] == day2 and ta[1][2] == day2


def test_geojson_fences_and_roads(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    reg = tmp_path / "registry"
    reg.mkdir()
    routes = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"fence_id": "R1", "enterprise_id": "E01",
                                           "name": "镇海-上虞", "buffer_m": 500},
         "geometry": {"type": "LineString", "coordinates": [[121.7, 29.9], [120.9, 30.0]]}},
        {"type": "Feature", "properties": {"fence_id": "R2"},
         "geometry": {"type": "Point", "coordinates": [121.7, 29.9]}},
    ]}
    areas = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"fence_id": "A1", "enterprise_id": "E01"},
         "geometry": {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [121, 31],
                                                          [120, 30]]]}}]}
    roads = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"road_id": "G15", "road_class": "expressway",
                                           "speed_limit_kmh": 100},
         "geometry": {"type": "LineString", "coordinates": [[121, 30], [121.1, 30.1]]}}]}
    for name, doc in (("routes", routes), ("areas", areas), ("roads", roads)):
        (reg / f"{name}.geojson").write_text(json.dumps(doc, ensure_ascii=False))
    report = import_registry(db, tmp_path)
    routes_rep = next(f for f in report.files if f.kind == "routes")
    assert routes_rep.rows_rejected == 1
    assert "row 2, column geometry: geometry is Point" in routes_rep.problems[0].message()
    assert db.execute("SELECT fence_id, kind, buffer_m, geometry_wkt FROM core.fences "
                      "ORDER BY fence_id").fetchall() == [
        ("A1", "area", None, "POLYGON ((120 30, 121 30, 121 31, 120 30))"),
        ("R1", "route", 500.0, "LINESTRING (121.7 29.9, 120.9 30)"),
    ]
    assert db.execute("SELECT road_id, road_class, speed_limit_kmh FROM core.roads").fetchall() \
        == [("G15", "expressway", 100.0)]


def test_cli_and_excel_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_csv(tmp_path / "registry" / "vehicles.csv", VEHICLE_HEADER,
              [vehicle_row("V00001", PHONE_A, tonnage="?")])
    (tmp_path / "registry" / "providers.xlsx").write_bytes(b"PK\x03\x04")
    (tmp_path / "registry" / "readme.txt").write_text("x")
    rc = store_main(["registry", "import", str(tmp_path), "--db", str(tmp_path / "w.duckdb")])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "row 2, column tonnage_t" in out
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        assert rc == 0
        assert "openpyxl is not installed" in out
    else:  # the bogus workbook fails by name (exit code 1), the CSV is still imported
        assert rc == 1
        assert "providers.xlsx: not a readable Excel workbook" in out
    assert "readme.txt" in out


def test_every_readme_file_has_a_spec() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for spec in SPECS:
        name = spec.filename if spec.geo else f"{spec.filename}.csv"
        assert f"`{name}`" in readme, name


def test_excel_import_equals_csv(tmp_path: Path) -> None:
    """The same vehicles as .xlsx (numbers typed as numbers, dates as dates, a blank cell)
    import as from .csv: same rows, same problems at the same row numbers."""
    import openpyxl

    rows = [vehicle_row("V00001", PHONE_A), vehicle_row("V00002", PHONE_B, tonnage="heavy"),
            vehicle_row("V00003", "13900000003", valid_from="2026-10-01",
                        valid_to="2026-10-31"),
            vehicle_row("", "13900000004")]
    csv_dir = tmp_path / "csv"
    write_csv(csv_dir / "registry" / "vehicles.csv", VEHICLE_HEADER, rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    header = VEHICLE_HEADER.split(",")
    ws.append(header)

    def typed(col: str, text: str) -> object:
        if text == "":
            return None
        if col in ("valid_from", "valid_to"):
            return datetime.strptime(text, "%Y-%m-%d").date()
        if col in ("terminal_phone", "plate_color", "hazmat_class", "operator_phone") or (
                col == "tonnage_t" and text.replace(".", "").isdigit()):
            return float(text) if col == "tonnage_t" else int(text)
        return text

    for r in rows:
        ws.append([typed(c, v) for c, v in zip(header, r.split(","), strict=True)])
    xlsx_dir = tmp_path / "xlsx"
    (xlsx_dir / "registry").mkdir(parents=True)
    wb.save(xlsx_dir / "registry" / "vehicles.xlsx")

    results = {}
    for name, folder in (("csv", csv_dir), ("xlsx", xlsx_dir)):
        con = connect(":memory:")
        rep = import_registry(con, folder)
        (f,) = [x for x in rep.files if x.kind == "vehicles"]
        problems = [(p.row, p.column) for p in f.problems]
        got = con.execute(
            "SELECT vehicle_id, core.terminal_key(terminal_phone), plate_color, tonnage_t, "
            "valid_from, valid_to, source_row FROM core.vehicles ORDER BY 1").fetchall()
        results[name] = (f.status, f.rows_ok, f.rows_rejected, problems, got)
        con.close()
    assert results["xlsx"] == results["csv"]
    assert results["csv"][1:3] == (3, 1)


def test_corrupt_excel_file_is_named(tmp_path: Path) -> None:
    write_csv(tmp_path / "registry" / "vehicles.csv", VEHICLE_HEADER,
              [vehicle_row("V00001", PHONE_A)])
    (tmp_path / "registry" / "providers.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    con = connect(":memory:")
    rep = import_registry(con, tmp_path)
    by_kind = {f.kind: f for f in rep.files}
    assert (by_kind["vehicles"].rows_ok, by_kind["vehicles"].status) == (1, "not_imported")
    assert con.execute("SELECT count(*) FROM core.vehicles").fetchall() == [(0,)]
    assert by_kind["providers"].status == "failed"
    assert str(tmp_path / "registry" / "providers.xlsx") in by_kind["providers"].error
    assert "not a readable Excel workbook" in by_kind["providers"].error
    con.close()


def test_parse_date_accepts_midnight_timestamps_only() -> None:
    assert parse_date("2026-10-01") == date(2026, 10, 1)
    assert parse_date("2026/10/01") == date(2026, 10, 1)
    assert parse_date("2026-10-01 00:00:00") == date(2026, 10, 1)
    for bad in ("2026-10-01 08:30:00", "2026-13-01", "yesterday"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_build_year_optional_older_files_import_with_age_missing(
        db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """vehicles.csv's build_year (出厂年份) is read when present; a file without the column
    (older exports) imports with build_year NULL, an unreadable one is nulled."""
    old, new = tmp_path / "old", tmp_path / "new"
    write_csv(old / "registry" / "vehicles.csv", VEHICLE_HEADER, [vehicle_row("V00001", PHONE_A)])
    import_registry(db, old)
    assert db.execute("SELECT build_year FROM core.vehicles").fetchall() == [(None,)]
    write_csv(new / "registry" / "vehicles.csv", VEHICLE_HEADER + ",build_year",
              [vehicle_row("V00001", PHONE_A) + ",2019", vehicle_row("V00002", PHONE_B) + ",new"])
    report = import_registry(db, new)
    assert report.files[0].values_nulled == 1
    assert db.execute("SELECT vehicle_id, build_year FROM core.vehicles ORDER BY 1").fetchall() \
        == [("V00001", 2019), ("V00002", None)]
