"""``hazrisk history import``: UTF-8 and GBK files, row-by-row rejects with row and column,
detection wins (with the difference reported and queryable), idempotence, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safety_builders import World, ts

from hazrisk.cli import main
from hazrisk.history import COLUMNS, import_history_file

HEADER = ",".join(COLUMNS)


def _row(vehicle: str, month: str, **values: object) -> str:
    base: dict[str, object] = {"vehicle_id": vehicle, "month": month, "enterprise_id": "E1",
                               "provider_id": "P1", "days_registered": 28, "days_online": 28,
                               "km": 500.0, "n_speeding": 2, "n_violations": 3,
                               "n_reminded": 1, "n_handled": 1, "n_escalated": 0}
    base.update(values)
    return ",".join("" if base.get(c) is None else str(base[c]) for c in COLUMNS)


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_utf8_and_gbk_files(world: World, tmp_path: Path) -> None:
    utf = _write(tmp_path / "utf.csv", [HEADER, _row("V1", "2025-01"), _row("V1", "2025/02")],
                 "utf-8-sig")
    # Chinese Excel: GBK, a plate as the vehicle id, a month written 2025年3月, an extra
    # Chinese column that is not in the contract
    gbk = _write(tmp_path / "gbk.csv", [HEADER + ",备注",
                                        _row("浙A12345", "2025年3月") + ",正常"], "gbk")
    a = import_history_file(world.con, utf)
    b = import_history_file(world.con, gbk)
    assert (a.status, a.encoding, a.rows_loaded, a.rows_rejected) == ("imported", "utf-8-sig", 2, 0)
    assert (b.status, b.encoding, b.rows_loaded) == ("imported", "gb18030", 1)
    assert any("备注" in w for w in b.warnings)
    got = world.con.sql("SELECT vehicle_id, strftime(month, '%Y-%m'), source, source_file, km "
                        "FROM safety.vehicle_months ORDER BY ALL").fetchall()
    assert got == [("V1", "2025-01", "archive", "utf.csv", 500.0),
                   ("V1", "2025-02", "archive", "utf.csv", 500.0),
                   ("浙A12345", "2025-03", "archive", "gbk.csv", 500.0)]
    # the same content again is skipped, whatever the file is called
    again = import_history_file(world.con, _write(tmp_path / "copy.csv", [
        HEADER, _row("V1", "2025-01"), _row("V1", "2025/02")], "utf-8-sig"))
    assert again.status == "unchanged"
    assert world.con.sql("SELECT count(*) FROM safety.vehicle_month_archive").fetchall() == [(3,)]


@pytest.mark.parametrize("chunk_rows", [20_000, 3])
def test_bad_rows_are_rejected_with_row_and_column(world: World, tmp_path: Path,
                                                   chunk_rows: int) -> None:
    lines = [HEADER,
             _row("V1", "2025-01"),                                   # row 2: good
             _row("V2", ""),                                          # 3: month missing
             _row("V3", "2025-01", km="abc"),                         # 4: unreadable number
             _row("V4", "2025-01", km=-5),                            # 5: negative
             _row("V5", "2025-01", offline_share=1.5),                # 6: share above 1
             _row("V6", "2025-01", n_reminded=4),                     # 7: 4 reminded of 3
             _row("V7", "2025-02", days_registered=29, days_online=20),  # 8: Feb 2025: 28 days
             _row("V1", "2025-01"),                                   # 9: duplicate of row 2
             "V8,2025-01,E1",                                         # 10: short row
             _row("V9", "2025-13"),                                   # 11: no such month
             _row("V10", "2025-01-15")]                               # 12: not a first day
    fr = import_history_file(world.con, _write(tmp_path / "bad.csv", lines),
                             chunk_rows=chunk_rows)  # 3: the duplicate is in another chunk
    assert fr.status == "imported" and fr.rows_loaded == 1 and fr.rows_rejected == 10
    where = {(p.row, p.column) for p in fr.problems}
    assert where == {(3, "month"), (4, "km"), (5, "km"), (6, "offline_share"),
                     (7, "n_reminded"), (8, "days_registered"), (9, "vehicle_id"), (10, None),
                     (11, "month"), (12, "month")}
    msgs = [p.message() for p in fr.problems]
    assert any(m.startswith(f"{tmp_path / 'bad.csv'}: row 7, column n_reminded: n_reminded = 4 "
                            "is above n_violations = 3") for m in msgs)
    kept = world.con.sql("SELECT source_file, row_no, column_name, reason FROM "
                         "quarantine.history_rejects ORDER BY row_no").fetchall()
    assert [(r[1], r[2]) for r in kept] == sorted(where, key=lambda x: x[0])
    assert all(r[0] == "bad.csv" and r[3] for r in kept)
    raw = json.loads(world.con.sql("SELECT raw_json FROM quarantine.history_rejects "
                                   "WHERE row_no = 4").fetchall()[0][0])
    assert raw["km"] == "abc"  # the row is kept as read


def test_detection_wins_and_the_difference_is_reported(world: World, tmp_path: Path) -> None:
    world.vehicle("A1", enterprise_id="E1", valid_from="2026-01-01")
    world.drive("A1", ts("2026-10-01 09:00:00"), 3600, speed=60)   # 60 km detected
    world.detect("2026-10-01", "2026-10-02")
    lines = [HEADER,
             _row("A1", "2026-10", km=90.0, n_speeding=1, n_violations=1, n_reminded=0,
                  n_handled=0),                                      # detected month
             _row("A1", "2026-09", km=700.0),                        # archive only
             _row("B9", "2026-10", km=40.0)]                         # vehicle detect never saw
    fr = import_history_file(world.con, _write(tmp_path / "old_platform.csv", lines))
    assert fr.archive_rows_used == 2 and fr.months == ("2026-09", "2026-10")
    assert fr.overlap["vehicle_months"] == 1
    km = fr.overlap["measures"]["km"]
    assert km["archive"] == 90.0 and km["detected"] == pytest.approx(60.0, rel=0.02)
    assert km["diff"] == pytest.approx(km["detected"] - 90.0)
    assert fr.overlap["measures"]["n_speeding"] == {
        "n": 1, "detected": 0.0, "archive": 1.0, "diff": -1.0, "mean_abs_diff": 1.0}

    def months() -> dict[tuple[str, str], tuple[str, float]]:
        return {(v, m): (s, k) for v, m, s, k in world.con.sql(
            "SELECT vehicle_id, strftime(month, '%Y-%m'), source, km "
            "FROM safety.vehicle_months").fetchall()}

    got = months()
    assert got[("A1", "2026-10")][0] == "detected"
    assert got[("A1", "2026-10")][1] == pytest.approx(60.0, rel=0.02)
    assert got[("A1", "2026-09")] == ("archive", 700.0)
    assert got[("B9", "2026-10")] == ("archive", 40.0)
    diff = world.con.sql("SELECT vehicle_id, km_archive, source_file FROM "
                         "mart.vehicle_month_differences").fetchall()
    assert diff == [("A1", 90.0, "old_platform.csv")]
    # detection again: the archive rows it does not cover stay; the archive is untouched
    world.detect("2026-10-01", "2026-10-02")
    assert months() == got
    # a later file supersedes an earlier one for the same vehicle-month
    import_history_file(world.con, _write(tmp_path / "newer.csv", [
        HEADER, _row("A1", "2026-09", km=650.0)]))
    assert months()[("A1", "2026-09")] == ("archive", 650.0)
    assert world.con.sql("SELECT count(*) FROM safety.vehicle_month_archive").fetchall() == [(4,)]


def test_cli_json_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hazrisk.store.connect import connect

    db = tmp_path / "w.duckdb"
    connect(db).close()
    folder = tmp_path / "export" / "history"
    folder.mkdir(parents=True)
    _write(folder / "vm.csv", [HEADER, _row("V1", "2025-01"), _row("V1", "2025-02", km=-1)],
           "gbk")
    (folder / "readme.txt").write_text("not a history")
    assert main(["history", "import", str(tmp_path / "export"), "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (f,) = out["files"]
    assert (f["status"], f["rows_loaded"], f["rows_rejected"]) == ("imported", 1, 1)
    assert f["problems"] == [f"{folder / 'vm.csv'}: row 3, column km: km = -1.0 is negative "
                             "(row rejected)"]
    assert out["left_alone"] == [str(folder / "readme.txt")]
    con = connect(db)
    assert con.sql("SELECT command FROM mart.files_left_alone").fetchall() == [("history import",)]
    assert con.sql("SELECT source_file, row_no, column_name FROM mart.history_rejects"
                   ).fetchall() == [("vm.csv", 3, "km")]
    assert con.sql("SELECT count(*) FROM mart.vehicle_months").fetchall() == [(1,)]
    con.close()
    assert main(["history", "import", str(tmp_path / "nope"), "--db", str(db)]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["history", "import", str(folder), "--db", str(tmp_path / "missing.duckdb")]) == 2
    _write(tmp_path / "nohead.csv", ["vehicle_id,km", "V1,3"])
    assert main(["history", "import", str(tmp_path / "nohead.csv"), "--db", str(db)]) == 1
    # lines wrap to the terminal: compare with the whitespace collapsed
    assert "header lacks required column(s) ['month']" in " ".join(capsys.readouterr().out.split())
