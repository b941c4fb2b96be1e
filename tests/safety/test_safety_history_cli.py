"""Histories, idempotence, the national scoring form, mart views and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safety_builders import World, ts

from hazrisk.cli import main

H = 3600.0


def _fleet(w: World) -> None:
    """Two enterprises in Hangzhou, one in Ningbo; E1 speeds twice, E2 once, E3 never."""
    w.vehicle("A1", enterprise_id="E1", city="杭州")
    w.vehicle("A2", enterprise_id="E1", city="杭州")
    w.vehicle("B1", enterprise_id="E2", city="杭州")
    w.vehicle("C1", enterprise_id="E3", city="宁波")
    for y in (0, 10_000):  # the speeding happens on mapped 'other' roads (60 km/h)
        w.road(f"O{y}", "other", [(-1000.0, float(y)), (300_000.0, float(y))])
    t = ts("2026-10-01 21:00:00")
    _, x, _ = w.drive("A1", t, 120, speed=70, y0=0)      # speeding
    w.drive("A1", t + 3 * H, 120, speed=70, x0=x, y0=0)  # 00:00 next day: speeding, night
    w.drive("A2", t, 2 * H, speed=50, y0=5000)           # 21:00-23:00, 1 h at night
    w.drive("B1", t, 120, speed=70, y0=10_000)           # speeding
    w.drive("C1", t, 2 * H, speed=50, y0=15_000)


def test_regional_score_form(world: World) -> None:
    from hazrisk.safety.tables import ensure_schema

    ensure_schema(world.con)
    got = world.con.sql(
        "SELECT safety.regional_score(e, a) FROM (VALUES (0.0, 2.0), (1.0, 2.0), (2.0, 2.0), "
        "(3.0, 2.0), (4.0, 2.0), (5.0, 2.0), (0.0, 0.0), (1.0, 0.0)) v(e, a)").fetchall()
    assert [r[0] for r in got] == [20.0, 15.0, 10.0, 5.0, 0.0, 0.0, 20.0, 0.0]


def test_histories_and_scores(world: World) -> None:
    _fleet(world)
    world.detect("2026-10-01", "2026-10-03")
    days = {(v, str(d)): (km, nh, ns) for v, d, km, nh, ns in world.con.sql(
        "SELECT vehicle_id, day, km, night_h, n_speeding FROM safety.vehicle_days").fetchall()}
    assert days[("A2", "2026-10-01")][1] == pytest.approx(1.0)        # 22:00-23:00
    assert days[("A1", "2026-10-02")][2] == 1 and days[("A1", "2026-10-01")][2] == 1
    assert days[("A1", "2026-10-02")][0] > 0
    m = {r[0]: r[1:] for r in world.con.sql(
        "SELECT enterprise_id, vehicles_online, n_speeding, speeding_per_vehicle, "
        "city_speeding_avg, province_speeding_avg, speeding_score_city, "
        "speeding_score_province FROM safety.enterprise_months").fetchall()}
    # pooled averages: Hangzhou (2 + 1) / 3 vehicles = 1; province 3 / 4 = 0.75
    assert m["E1"][:3] == (2, 2, 1.0) and m["E1"][3] == pytest.approx(1.0)
    assert m["E1"][4] == pytest.approx(0.75)
    assert m["E1"][5] == pytest.approx(10.0)                      # e = A
    assert m["E1"][6] == pytest.approx((2 * 0.75 - 1.0) / 0.75 * 10)  # A < e < 2A
    assert m["E3"][5] == pytest.approx(20.0) and m["E2"][5] == pytest.approx(10.0)
    rules = dict(world.con.sql("SELECT rule_id, n_events FROM safety.enterprise_month_rules "
                               "WHERE enterprise_id = 'E1'").fetchall())
    assert rules == {"speeding": 2}


def test_idempotent_and_range_local(world: World) -> None:
    _fleet(world)
    world.detect("2026-10-01", "2026-10-03")
    snap = world.con.sql("SELECT violation_id, rule_id, start_time, handling_status "
                         "FROM safety.violations ORDER BY ALL").fetchall()
    nd = world.con.sql("SELECT count(*) FROM safety.vehicle_days").fetchall()
    world.detect("2026-10-01", "2026-10-03")
    world.detect("2026-10-02", "2026-10-03")  # a sub-range: rows outside it untouched
    assert world.con.sql("SELECT violation_id, rule_id, start_time, handling_status "
                         "FROM safety.violations ORDER BY ALL").fetchall() == snap
    assert world.con.sql("SELECT count(*) FROM safety.vehicle_days").fetchall() == nd


def test_mart_views_mask_the_terminal(world: World) -> None:
    _fleet(world)
    world.detect("2026-10-01", "2026-10-03")
    rels = {r[0] for r in world.con.sql(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart'").fetchall()}
    assert {"violations", "enterprise_safety", "enterprise_safety_rules",
            "safety_vehicle_days"} <= rels
    phones = [r[0] for r in world.con.sql("SELECT terminal_phone FROM mart.violations")
              .fetchall()]
    assert phones and all("*" in p for p in phones)
    names = world.con.sql("SELECT DISTINCT enterprise_name FROM mart.enterprise_safety "
                          "ORDER BY 1").fetchall()
    assert names == [("企业E1",), ("企业E2",), ("企业E3",)]


def test_cli_detect_safety_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hazrisk.store.connect import connect

    db = tmp_path / "w.duckdb"
    w = World(con=connect(db))
    _fleet(w)
    w.con.close()
    assert main(["detect", "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["violations"]["speeding"] == 3 and out["start"] == "2026-10-01"
    assert main(["safety", "--db", str(db), "--period", "2026-10", "--format", "json"]) == 0
    recs = json.loads(capsys.readouterr().out)
    by = {r["enterprise_id"]: r for r in recs}
    assert by["E1"]["counts_by_rule"] == {"speeding": 2} and by["E1"]["period"] == "2026-10"
    assert recs[0]["enterprise_id"] == "E3"  # the league table: best first
    # --end is inclusive (as in `hazrisk rates`): E1 speeds once on 10-01 and once on 10-02
    for d0, d1, n in (("2026-10-01", "2026-10-01", 1), ("2026-10-02", "2026-10-02", 1),
                      ("2026-10-01", "2026-10-02", 2)):
        assert main(["safety", "--db", str(db), "--start", d0, "--end", d1,
                     "--enterprise", "E1", "--format", "json"]) == 0
        rec = json.loads(capsys.readouterr().out)[0]
        assert rec["counts_by_rule"].get("speeding", 0) == n, (d0, d1)
        assert rec["end"] == d1
    assert main(["safety", "--db", str(db), "--start", "2026-10-02", "--end", "2026-10-03",
                 "--enterprise", "E1", "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0].startswith("\ufeffenterprise_id,") and len(csv) == 2
    assert main(["safety", "history", "--db", str(db), "--enterprise", "E1",
                 "--period", "2026-09..2026-12"]) == 0
    assert "2026-10" in capsys.readouterr().out
    assert main(["safety", "history", "--db", str(db), "--enterprise", "E1",
                 "--period", "2026-11..2026-12"]) == 1  # nothing in that range
    assert "no monthly history" in capsys.readouterr().err
    assert main(["safety", "--db", str(db), "--period", "2026-10", "--enterprise", "E9"]) == 1
    assert "unknown enterprise 'E9'" in capsys.readouterr().err
    assert main(["detect", "--db", str(db), "--end", "2026-10-07", "--start", "2026-10-01",
                 "--json"]) == 0
    echoed = json.loads(capsys.readouterr().out)
    assert (echoed["start"], echoed["end"], echoed["period"]) == (
        "2026-10-01", "2026-10-07", "2026-10-01..2026-10-07")
    assert main(["safety", "--db", str(db)]) == 2
    assert "--period" in capsys.readouterr().err
