"""Composite score, ranking with period-over-period change, mart views, device-maker KPIs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rates_builders import LAT0, OCT, World, at, bj, north, online, pick

from hazrisk.config import load_rules
from hazrisk.rates import Period, compute_devices, compute_rates, metric_registry, ranking


def _good_vehicle(w: World, v: str, provider: str, domain: str) -> None:
    phone = w.vehicle(v, provider, operator_phone="13912345678")
    w.images(v)
    w.verification(v, "13912345678", "2026-09-01 10:00:00")
    w.answer(phone, "2026-10-20 10:00:00", domain)


def test_composite_score_and_ranking(world: World) -> None:
    w = world
    w.provider("P1", "jt.p1.cn")
    w.provider("P2", "jt.p2.cn")
    _good_vehicle(w, "A1", "P1", "jt.p1.cn")
    _good_vehicle(w, "B1", "P2", "jt.p2.cn")
    w.vehicle("B2", "P2")  # no images, no answer, no verification
    for v in ("A1", "B1", "B2"):
        online(w, v, "2026-10-03 10:00:00")
        online(w, v, "2026-09-03 10:00:00")
    # B2: 1 qualified of 5 records in October -> P2 data qualification 2/6 < 80 %: zero points
    for k in range(4):
        w.pos("B2", at("2026-10-04 10:00:00", 60 * k), lat=0.0)
    w.resolve()
    sep = compute_rates(w.con, Period.parse("2026-09"))
    rows = compute_rates(w.con, OCT)
    reg = metric_registry()
    # P1: every rate 1 (mileage has no km: no rate, and 0 weight since issue 13: the seed's
    # count form takes the 25 points) -> 10+10+10+10 + interval 10 + vehicle-days 25
    # + qualification 20 + 入网率 5
    p1 = {r["metric"]: r for r in rows if r["provider_id"] == "P1"}
    assert p1["trajectory_completeness_km"]["rate"] is None
    assert sum(r["score"] or 0 for r in p1.values()) == pytest.approx(100.0)
    # P2: conformance 2/2, domain/images/phone 1/2, qualification 2/6 (< 80 %: 0 points),
    # interval 5/6 (B2's first October 4 record comes 24 h after its October 3 one)
    p2 = {r["metric"]: r for r in rows if r["provider_id"] == "P2"}
    assert pick(rows, "P2", "data_qualification") == (2, 6)
    assert p2["data_qualification"]["score"] == 0.0
    assert pick(rows, "P2", "upload_interval_qualification") == (5, 6)
    # vehicle-days of online vehicles: B1 and B2 on 10-03 (B2's 10-04 has no qualified record)
    assert pick(rows, "P2", "trajectory_completeness") == (2, 2)
    p2_total = 10 + 5 + 5 + 5 + 10 * 5 / 6 + 25 + 0 + 5
    assert sum(r["score"] or 0 for r in p2.values()) == pytest.approx(p2_total)
    # national: 入网 5 x 1, 上线 10 x 1, drift 15 x (1 - 0), qualification 30 x 1 / 0 (floor)
    assert sum(r["national_score"] or 0 for r in p1.values()) == pytest.approx(60.0)
    assert sum(r["national_score"] or 0 for r in p2.values()) == pytest.approx(30.0)
    assert reg["drift_vehicles"].points(0.06, national=True) == 0.0
    assert reg["drift_vehicles"].points(0.04, national=True) == pytest.approx(15 * 0.96)
    ranked = ranking(w.con, OCT)
    assert [(r["provider_id"], r["rank"]) for r in ranked] == [("P1", 1), ("P2", 2)]
    # September: every vehicle had one qualified record and nothing else
    sep_p2 = sum(r["score"] or 0 for r in sep if r["provider_id"] == "P2")
    r2 = next(r for r in ranked if r["provider_id"] == "P2")
    assert r2["prev_period"] == "2026-09"
    assert r2["prev_score"] == pytest.approx(sep_p2)
    assert r2["score_change"] == pytest.approx(p2_total - sep_p2)
    # verdicts: P1 合格; P2 不合格 because 数据合格率 2/6 breaks the 80 % floor
    verdicts = dict(w.con.execute(
        "SELECT subject_id, verdict FROM mart.evaluation_verdicts WHERE period = '2026-10' "
        "AND party = 'provider'").fetchall())
    assert verdicts == {"P1": "合格", "P2": "不合格"}
    (reasons,) = w.con.execute("SELECT reasons FROM rates.verdicts WHERE period = '2026-10' "
                               "AND subject_id = 'P2'").fetchall()[0]
    assert reasons == ["data_qualification（数据合格率）33.3% < floor 下限 80.0%"]
    assert w.con.execute("SELECT subject_id FROM mart.admission_list WHERE period = '2026-10'"
                         ).fetchall() == [("P1",)]
    # the mart views carry the names from the registry
    names = dict(w.con.execute(
        "SELECT metric, name_zh FROM mart.provider_rates WHERE period = '2026-10' "
        "AND provider_id = 'P1'").fetchall())
    assert names["trajectory_completeness_km"] == "轨迹完整率（里程）"
    assert w.con.execute("SELECT count(*) FROM mart.provider_ranking").fetchall()[0][0] == 4


def test_weights_from_conf(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    conf = tmp_path / "r.toml"
    conf.write_text('[rate_weights]\ndata_qualification = 50\n'
                    '[rate_weights.sources]\ndata_qualification = "协会 decision"\n',
                    encoding="utf-8")
    reg = metric_registry(load_rules(conf))
    assert reg["data_qualification"].weight == 50
    assert reg["data_qualification"].weight_source == "协会 decision"
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    online(w, "A")
    w.resolve()
    rows = compute_rates(w.con, OCT, load_rules(conf))
    assert next(r for r in rows if r["metric"] == "data_qualification")["score"] == 50.0


def test_device_kpis(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1", maker_id="M1", device_model="X")
    w.vehicle("B", "P1", maker_id="M2", device_model="Y")
    r = bj("2026-10-03 10:00:00")
    w.ticket("t1", "A", None, None, "2026-10-03 10:00:00", r + timedelta(hours=23))
    w.ticket("t2", "A", None, None, "2026-10-03 10:00:00", r + timedelta(hours=24))
    w.ticket("t3", "A", None, None, "2026-10-03 10:00:00", r + timedelta(hours=24, seconds=1))
    w.ticket("t4", "A", None, None, "2026-10-03 10:00:00", None)              # still open
    w.ticket("t5", "B", "M2", "Y", "2026-10-05 10:00:00", r + timedelta(days=4))     # 48 h
    w.ticket("t6", "B", "M2", "Y", "2026-09-05 10:00:00", None)               # September
    # A: real-time fix, moving; next real-time fix 300 s later -> 9 expected (30 s), 5 backfilled
    s = "2026-10-06 08:00:00"
    w.pos("A", at(s, 0), speed=50.0, acc=True)
    w.pos("A", at(s, 300), north(LAT0, 4.0))                        # parked on arrival
    for k in range(1, 6):
        w.pos("A", at(s, 30 * k), north(LAT0, 0.4 * k), speed=50.0, acc=True, backfill=True)
    w.pos("A", at(s, 1000), north(LAT0, 4.0))                       # parked: 700 s -> 1 expected
    w.pos("A", at(s, 2200), north(LAT0, 4.0))                       # parked: 1200 s -> 3 expected
    w.resolve()
    rows = compute_devices(w.con, OCT)
    got = {(r["maker_id"], r["device_model"], r["metric"]): (r["numerator"], r["denominator"])
           for r in rows}
    assert got[("M1", "X", "repair_24h")] == (2, 4)
    assert got[("M1", "*", "repair_24h")] == (2, 4)
    assert got[("M2", "Y", "repair_24h")] == (0, 1)
    assert got[("M1", "X", "data_preservation")] == (5, 13)
    assert ("M2", "Y", "data_preservation") not in got   # no outages
    assert w.con.execute("SELECT count(*) FROM mart.device_kpis").fetchall()[0][0] == len(rows)
