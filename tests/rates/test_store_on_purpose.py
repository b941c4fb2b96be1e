"""Results are stored on purpose: official runs replace their period and are published;
previews (--no-store) and drill-downs write nothing; the mart holds official periods only."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from rates_builders import World, online

from hazrisk.cli import main


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "w.duckdb")
    w = World(path)
    w.provider("P1", "jt.p1.cn")
    w.vehicle("A", "P1")
    online(w, "A")
    w.ticket("t1", "A", "M1", "A", "2026-10-03 10:00:00", None)
    w.resolve()
    w.con.close()
    return path


def _periods(db: str, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_preview_and_explain_write_nothing(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "rates", "--db", db, "--period", "2026-10", "--no-store", "--json")
    assert code == 0 and len(json.loads(out)) > 0
    code, out = _run(capsys, "rates", "--db", db, "--period", "2026-10", "--no-store",
                     "--ranking", "--json")
    assert code == 0 and json.loads(out)[0]["provider_id"] == "P1"
    code, _ = _run(capsys, "rates", "explain", "--db", db, "--period", "2026-10",
                   "--metric", "online", "--provider", "P1")
    assert code == 0
    code, _ = _run(capsys, "devices", "--db", db, "--period", "2026-10", "--no-store")
    assert code == 0
    assert _periods(db, "SELECT period FROM rates.periods") == []
    assert _periods(db, "SELECT count(*) FROM rates.provider_rates") in ([], [(0,)])


def test_official_runs_replace_their_period_and_only_they_are_published(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(2):  # the same period twice: replaced, not added
        assert _run(capsys, "rates", "--db", db, "--period", "2026-10")[0] == 0
    assert _run(capsys, "rates", "--db", db, "--period", "2026-10-01..2026-10-03",
                "--no-store")[0] == 0
    # devices needs the rates of its period: stored as working data, not published
    week = "2026-10-01..2026-10-07"
    assert _run(capsys, "devices", "--db", db, "--period", week)[0] == 0
    assert _periods(db, "SELECT period, official, devices_official FROM rates.periods "
                        "ORDER BY period") == [("2026-10", True, False), (week, False, True)]
    assert _periods(db, "SELECT DISTINCT period FROM mart.provider_rates") == [("2026-10",)]
    assert _periods(db, "SELECT DISTINCT period FROM mart.provider_ranking") == [("2026-10",)]
    assert _periods(db, "SELECT DISTINCT period FROM mart.device_kpis") == [(week,)]
    n = _periods(db, "SELECT count(*) FROM rates.provider_rates WHERE period = '2026-10'")[0][0]
    assert n == _periods(db, "SELECT count(*) FROM rates.metrics WHERE party = 'provider'")[0][0]
    # the drill-down of a working period keeps it unpublished
    assert _run(capsys, "rates", "explain", "--db", db, "--period", week, "--metric",
                "online", "--provider", "P1")[0] == 0
    assert _periods(db, f"SELECT official FROM rates.periods WHERE period = '{week}'") == [
        (False,)]


def test_changed_rules_unpublish_until_rerun(db: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "rates", "--db", db, "--period", "2026-10")[0] == 0
    assert _run(capsys, "devices", "--db", db, "--period", "2026-10")[0] == 0
    conf = tmp_path / "r.toml"
    conf.write_text("[drift]\nspike_km = 7.5\n", encoding="utf-8")
    # the drill-down under other rules computes in a rolled-back transaction
    assert _run(capsys, "rates", "explain", "--db", db, "--period", "2026-10", "--conf",
                str(conf), "--metric", "online", "--provider", "P1")[0] == 0
    assert _periods(db, "SELECT official, devices_official FROM rates.periods") == [(True, True)]
    # an official run under the new rules: the rates are official, the old device KPIs not
    assert _run(capsys, "rates", "--db", db, "--period", "2026-10", "--conf", str(conf))[0] == 0
    assert _periods(db, "SELECT official, devices_official FROM rates.periods") == [(True, False)]
