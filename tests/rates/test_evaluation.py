"""Issue 13: verdicts (合格/不合格), the admission list, never-connected vehicles, device-maker
targets with censored tickets, faults without a ticket. Answers by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rates_builders import LAT0, OCT, World, bj, north, online, pick

from hazrisk.config import load_rules
from hazrisk.rates import compute_devices, compute_rates, metric_registry, ranking


def _vehicle(w: World, v: str, provider: str, domain: str, *, verified: bool = True) -> None:
    phone = w.vehicle(v, provider, operator_phone="13912345678")
    w.images(v)
    if verified:
        w.verification(v, "13912345678", "2026-09-01 10:00:00")
    w.answer(phone, "2026-10-20 10:00:00", domain)


def test_never_connected_vehicles_count_against_the_provider(world: World) -> None:
    """P1: A1 perfect, A2 registered but never connected. P2: B1 perfect, B2 without a phone
    verification. Rates 1–4 keep the seed's denominator (vehicles in network), so P1 scores
    10×4 + interval 10 + vehicle-days 25 + qualification 20 = 95 and 入网率 1/2 = 50 % < 90 %
    (floor) adds 0; P2: 10+10+10+5 + 10 + 25 + 20 + 入网率 2/2 × 5 = 95. P1 is 不合格 (入网率
    below its floor) and ranks after the 合格 P2 although its score is equal."""
    w = world
    w.provider("P1", "jt.p1.cn")
    w.provider("P2", "jt.p2.cn")
    _vehicle(w, "A1", "P1", "jt.p1.cn")
    _vehicle(w, "A2", "P1", "jt.p1.cn")
    _vehicle(w, "B1", "P2", "jt.p2.cn")
    _vehicle(w, "B2", "P2", "jt.p2.cn", verified=False)
    for v in ("A1", "B1", "B2"):
        online(w, v)
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "network_entry") == (1, 2)
    assert pick(rows, "P1", "vehicle_data_conformance") == (1, 1)
    score = {p: sum(r["score"] or 0 for r in rows if r["provider_id"] == p) for p in ("P1", "P2")}
    assert score == pytest.approx({"P1": 95.0, "P2": 95.0})
    ranked = {r["provider_id"]: r for r in ranking(w.con, OCT)}
    assert (ranked["P2"]["rank"], ranked["P1"]["rank"]) == (1, 2)
    assert ranked["P1"]["verdict"] == "不合格"
    assert ranked["P1"]["verdict_reasons"] == ["network_entry（入网率）50.0% < floor 下限 90.0%"]
    assert ranked["P2"]["verdict"] == "合格"
    # data on 10-03 (positions) and 10-20 (0x0104 answers): a partial period, stated
    assert (ranked["P2"]["covered_days"], ranked["P2"]["partial"]) == (2, True)
    admitted = w.con.execute("SELECT party, subject_id FROM mart.admission_list").fetchall()
    assert admitted == [("provider", "P2")]
    comment = w.con.execute("SELECT comment FROM duckdb_views() WHERE schema_name = 'mart' "
                            "AND view_name = 'admission_list'").fetchall()[0][0]
    assert "准入名单" in comment and "admission list" in comment


def test_pass_mark(world: World) -> None:
    """One vehicle with nothing but a qualified record: rates 1 (10), 5 (10), 6 (25), 7 (20)
    and 入网率 (5) = 70 points; domain, images and phone fail (0). 70 ≥ 60 passes; with a
    pass mark of 75 from the conf it fails with the score named."""
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    online(w, "A")
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert sum(r["score"] or 0 for r in rows) == pytest.approx(70.0)
    assert w.con.execute("SELECT verdict FROM rates.verdicts").fetchall() == [("合格",)]
    strict = load_rules(overrides={"verdict": {"provider_pass_score": 75.0,
                                               "sources": {"provider_pass_score": "test"}}})
    compute_rates(w.con, OCT, strict)
    assert w.con.execute("SELECT verdict, reasons FROM rates.verdicts").fetchall() == [
        ("不合格", ["composite score 综合得分 70.0 < pass mark 合格线 75.0"])]


def test_connectivity_is_a_proxy_and_never_scored() -> None:
    reg = metric_registry()
    assert "代理" in reg["platform_connectivity"].name_zh
    assert reg["platform_connectivity"].weight == 0
    bad = load_rules(overrides={"rate_weights": {"platform_connectivity": 5,
                                                 "sources": {"platform_connectivity": "t"}}})
    with pytest.raises(ValueError, match="proxy"):
        metric_registry(bad)


def _alarm(w: World, vehicle: str, at: str, bit: int, name: str) -> None:
    w._insert("core.alarms", {
        "pos_seq": 0, "terminal_phone": w.vehicles[vehicle], "vehicle_id": vehicle,
        "enterprise_id": "E1", "provider_id": "P1", "device_time": bj(at), "alarm_bit": bit,
        "alarm_name": name, "lat_deg": LAT0, "lon_deg": 120.15, "speed_kmh": 0.0,
        "is_backfill": False, "source_file_id": w._gateway_file(None), "source_offset": 0})


def test_device_targets_censoring_and_untracked_faults(world: World) -> None:
    """Data ends 2026-10-05 12:00 (B's last record).
    M1 (vehicle A): t1 repaired in 23 h (hit); t2 still open, reported 10-05 00:00 = 12 h
    before the data ends: censored, left out -> repair 1/1 = 100 %: meets the target; no
    outage -> 合格.
    M2 (vehicle B): t3 repaired in 26 h (late) -> 0/1; B silent from 10-03 10:00 to 10-05
    12:00 (50 h > 24 h) while it moved 5 km: an outage with nothing backfilled (preservation
    0 %) and a fault without a ticket (t3 was repaired before the silence began); a GNSS
    antenna-open alarm on 10-04 without a ticket -> 不合格 on both targets."""
    w = world
    w.provider("P1")
    w.vehicle("A", "P1", maker_id="M1", device_model="X")
    w.vehicle("B", "P1", maker_id="M2", device_model="Y")
    w.pos("A", "2026-10-05 11:00:00")
    w.pos("A", "2026-10-05 11:01:00")
    w.pos("B", "2026-10-03 10:00:00")
    w.pos("B", "2026-10-05 12:00:00", north(LAT0, 5.0))
    r = bj("2026-10-02 10:00:00")
    w.ticket("t1", "A", None, None, "2026-10-02 10:00:00", r + timedelta(hours=23))
    w.ticket("t2", "A", None, None, "2026-10-05 00:00:00", None)
    w.ticket("t3", "B", None, None, "2026-10-01 10:00:00", bj("2026-10-02 12:00:00"))
    _alarm(w, "B", "2026-10-04 08:00:00", 5, "gnss_antenna_open")
    w.resolve()
    rows = compute_devices(w.con, OCT)
    got = {(r["maker_id"], r["device_model"], r["metric"]): r for r in rows}
    m1 = got[("M1", "*", "repair_24h")]
    assert (m1["numerator"], m1["denominator"], m1["censored"], m1["meets_target"]) == (
        1, 1, 1, True)
    assert got[("M2", "*", "repair_24h")]["meets_target"] is False
    assert got[("M2", "*", "data_preservation")]["rate"] == 0.0
    checks = dict(w.con.execute("SELECT ticket_id, check_name FROM _dev_tickets").fetchall())
    assert checks == {"t1": None, "t2": "censored", "t3": "repaired_late"}
    verdicts = dict(w.con.execute("SELECT subject_id, reasons FROM rates.verdicts WHERE "
                                  "party = 'device_maker'").fetchall())
    assert verdicts == {"M1": [], "M2": [
        "data_preservation（故障期间数据保存率）0.0% < target 目标 100%",
        "repair_24h（24小时故障修复率）0.0% < target 目标 100%"]}
    faults = w.con.execute(
        "SELECT maker_id, vehicle_id, kind, round(moved_km, 1) FROM rates.untracked_faults "
        "ORDER BY kind").fetchall()
    assert faults == [("M2", "B", "alarm:gnss_antenna_open", None),
                      ("M2", "B", "silent_while_moving", 5.0)]
    phones = {r[0] for r in w.con.execute("SELECT terminal_phone FROM mart.untracked_faults"
                                          ).fetchall()}
    assert phones == {"013*****0002"}  # masked SIM number


def test_network_entry_survives_retention(world: World) -> None:
    """A sends a qualified record in March only; B in May. After `retain --as-of 2026-10-15`
    (March positions removed), May's 入网率 is still 2/2: A's entry was recorded when March
    was computed (rates.network_entries)."""
    from datetime import date

    from hazrisk.rates import Period
    from hazrisk.store.retention import retain

    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    w.vehicle("B", "P1")
    online(w, "A", "2026-03-05 10:00:00")
    online(w, "B", "2026-05-05 10:00:00")
    w.resolve()
    compute_rates(w.con, Period.parse("2026-03"))
    retain(w.con, date(2026, 10, 15))
    assert w.con.execute("SELECT count(*) FROM core.positions WHERE vehicle_id = 'A'"
                         ).fetchall() == [(0,)]
    rows = compute_rates(w.con, Period.parse("2026-05"))
    assert pick(rows, "P1", "network_entry") == (2, 2)


def test_enterprise_national_indicators(world: World) -> None:
    """E1: A sends one qualified record, B never connects; E2: C sends one qualified and one
    unqualified (latitude 0) record. National enterprise table: E1 入网 1/2 = 50 % < 90 % -> 0
    of 5, 上线 1/1 -> 5, 数据合格 1/1 -> 15, 漂移 0/1 -> 10, mileage not measurable;
    E2 入网 1/1 -> 5, 上线 1/1 -> 5, 数据合格 1/2 < 80 % -> 0, 漂移 0/1 -> 10."""
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    w.vehicle("B", "P1")
    w.vehicle("C", "P1", enterprise_id="E2")
    online(w, "A")
    online(w, "C")
    w.pos("C", "2026-10-03 10:05:00", lat=0.0)
    w.resolve()
    compute_rates(w.con, OCT)
    got = {(e, m): (n, d, p) for e, m, n, d, p in w.con.execute(
        "SELECT enterprise_id, metric, numerator, denominator, points "
        "FROM mart.enterprise_data_quality").fetchall()}
    assert got[("E1", "network_entry")] == (1, 2, 0.0)
    assert got[("E1", "online")] == (1, 1, 5.0)
    assert got[("E1", "data_qualification")] == (1, 1, 15.0)
    assert got[("E1", "drift_vehicles")] == (0, 1, 10.0)
    assert got[("E1", "trajectory_completeness_km")] == (0, 0, None)
    assert got[("E2", "network_entry")] == (1, 1, 5.0)
    assert got[("E2", "data_qualification")] == (1, 2, 0.0)
    assert w.con.execute("SELECT within_floor FROM rates.enterprise_scores WHERE "
                         "enterprise_id = 'E2' AND metric = 'data_qualification'"
                         ).fetchall() == [(False,)]


def test_new_mart_columns_have_bilingual_comments(world: World) -> None:
    """Every column of the mart views issue 13 added carries a comment with Chinese and
    English text (and the columns it added to existing views)."""
    import re

    from hazrisk.safety.tables import create_mart_views, ensure_schema

    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    online(w, "A")
    w.resolve()
    compute_rates(w.con, OCT)
    ensure_schema(w.con)
    create_mart_views(w.con)
    new_views = ("evaluation_verdicts", "admission_list", "enterprise_data_quality",
                 "untracked_faults", "tampering", "driver_safety")
    added = {"provider_ranking": ("data_first_day", "data_last_day", "covered_days",
                                  "data_coverage", "partial", "verdict", "verdict_reasons"),
             "device_kpis": ("censored", "target", "meets_target"),
             "violations": ("escalation_due", "escalation_failure", "driver_id")}
    rows = w.con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() "
                         "WHERE schema_name = 'mart'").fetchall()
    missing = [f"{t}.{c}" for t, c, note in rows
               if (t in new_views or c in added.get(t, ()))
               and not (note and re.search(r"[\u4e00-\u9fff]", note)
                        and re.search(r"[A-Za-z]{3}", note))]
    assert missing == []
    assert {t for t, _, _ in rows} >= set(new_views)
