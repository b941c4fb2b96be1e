"""Vehicle-based rates (1–4) and 入网率/上线率 on hand-built registries; answers by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rates_builders import JPEG, OCT, PNG, World, bj, online, pick

from hazrisk.rates import Period, compute_rates
from hazrisk.rates.compute import EmptyPeriodError

T1 = bj("2026-11-01 00:00:00")  # end of October (Beijing)


def test_vehicle_data_conformance(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("V1", "P1")                                   # conformant
    w.vehicle("V2", "P1", plate="ZJ12345")                  # plate pattern
    w.vehicle("V3", "P1", plate_color=7)                    # colour not a JT/T 697.7 code
    w.vehicle("V4", "P1", vin="1M8GDM9AOKP042788")          # VIN with O
    w.vehicle("V5", "P1", owner_name="  ")                  # blank owner
    w.vehicle("V6", "P1", plate="浙A88888", plate_color=2)  # duplicate plate+colour ...
    w.vehicle("V7", "P1", plate="浙A88888", plate_color=2)  # ... both fail
    w.vehicle("V8", "P1", vin="1M8GDM9A1KP042788")          # bad check digit: warning only
    w.vehicle("V9", "P1", plate="浙A88888", plate_color=1)  # same plate, other colour: ok
    w.vehicle("V10", "P1", plate="ZJ00000")                 # never sent data: not in network
    for v in ("V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9"):
        online(w, v)
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "vehicle_data_conformance") == (3, 9)  # V1, V8, V9
    checks = dict(w.con.execute(
        "SELECT vehicle_id, checks FROM rates.vehicle_results "
        "WHERE metric = 'vehicle_data_conformance'").fetchall())
    assert checks["V2"] == ["plate"]
    assert checks["V3"] == ["plate_color"]
    assert checks["V4"] == ["vin"]
    assert checks["V5"] == ["missing:owner_name"]
    assert checks["V6"] == checks["V7"] == ["duplicate_plate"]
    assert checks["V8"] == [] and checks["V9"] == []
    detail = w.con.execute(
        "SELECT detail FROM rates.vehicle_results WHERE vehicle_id = 'V8' "
        "AND metric = 'vehicle_data_conformance'").fetchall()[0][0]
    assert '"vin_check_digit_ok":false' in detail.replace(" ", "")


def test_terminal_domain_correctness(world: World) -> None:
    w = world
    w.provider("P1", "jt.p1.cn")
    phones = {v: w.vehicle(v, "P1") for v in [f"V{i}" for i in range(1, 11)]}
    ok_at = T1 - timedelta(days=10)
    w.answer(phones["V1"], ok_at, "jt.p1.cn")                                # correct
    w.answer(phones["V2"], ok_at, "jt.p1.cn:7008;JT.P1.CN.:7009")            # 2019 form: correct
    w.answer(phones["V3"], ok_at, "10.1.2.3")                                # bare IP
    w.answer(phones["V4"], ok_at, "jt.other.cn")                             # wrong domain
    w.answer(phones["V5"], ok_at, "jt.p1.cn", backup="1.2.3.4:7008")          # backup is an IP
    # V6: no answer at all
    w.answer(phones["V7"], T1 - timedelta(days=30, seconds=1), "jt.p1.cn")   # 30 d + 1 s: too old
    w.answer(phones["V8"], T1 - timedelta(days=30), "jt.p1.cn")              # exactly 30 d: ok
    w.answer(phones["V9"], ok_at, "jt.p1.cn")                                # older correct ...
    w.answer(phones["V9"], ok_at + timedelta(hours=1), "jt.p9.cn")           # ... latest wrong
    w.answer(phones["V10"], ok_at, "jt.p1.cn")                               # correct in period,
    w.answer(phones["V10"], T1 + timedelta(days=1), "8.8.8.8")               # wrong only after it
    for v in phones:
        online(w, v)
    online(w, "V1", "2026-10-31 23:00:00")  # data to the month end: judged as of it
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "terminal_domain_correctness") == (4, 10)  # V1, V2, V8, V10
    checks = dict(w.con.execute(
        "SELECT vehicle_id, checks FROM rates.vehicle_results "
        "WHERE metric = 'terminal_domain_correctness'").fetchall())
    assert checks["V3"] == ["main_is_ip"]
    assert checks["V4"] == ["main_wrong_domain"]
    assert checks["V5"] == ["backup_is_ip"]
    assert checks["V6"] == ["no_answer"]
    assert checks["V7"] == ["answer_too_old"]
    assert checks["V9"] == ["main_wrong_domain"]


def test_image_upload_correctness(world: World) -> None:
    w = world
    w.provider("P1")
    for v in ("V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8"):
        w.vehicle(v, "P1")
        online(w, v)
    w.images("V1")                                                        # correct
    w.image("V2", "registration_cert", "a2")
    w.image("V2", "driving_licence", "b2")                                # body photo missing
    w.images("V3")
    w.image("V3", "driving_licence", "gif3", magic="47494638", uploaded="2026-09-02 10:00:00")
    w.image("V4", "registration_cert", "same4")                           # slot duplicates
    w.image("V4", "driving_licence", "same4")                             # within the vehicle
    w.image("V4", "body_photo", "c4")
    w.images("V5")
    w.images("V6")
    w.image("V6", "body_photo", "sha-V5-body_photo", uploaded="2026-09-03 10:00:00")  # = V5's
    w.image("V7", "registration_cert", "x7", magic="00000000")            # bad first upload ...
    w.images("V7")                                                        # ... then correct
    w.con.execute("UPDATE core.images SET uploaded_at = uploaded_at + INTERVAL 1 DAY "
                  "WHERE vehicle_id = 'V7' AND sha256 LIKE 'sha-%'")
    w.image("V8", "registration_cert", "p8", magic=PNG)                   # PNG + JPEG: correct
    w.image("V8", "driving_licence", "q8", magic=JPEG)
    w.image("V8", "body_photo", "r8", magic=PNG)
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "image_upload_correctness") == (3, 8)  # V1, V7, V8
    checks = dict(w.con.execute(
        "SELECT vehicle_id, checks FROM rates.vehicle_results "
        "WHERE metric = 'image_upload_correctness'").fetchall())
    assert checks["V2"] == ["image_missing:body_photo"]
    assert checks["V3"] == ["image_undecodable:driving_licence"]
    assert checks["V4"] == ["image_duplicate:driving_licence", "image_duplicate:registration_cert"]
    assert checks["V5"] == checks["V6"] == ["image_duplicate:body_photo"]


def test_operator_phone_verification(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("V1", "P1", operator_phone="13912345678")
    w.vehicle("V2", "P1", operator_phone="12912345678")      # 12x: not a mobile prefix
    w.vehicle("V3", "P1", operator_phone="1391234567")       # 10 digits
    w.vehicle("V4", "P1", operator_phone="13912345674")
    w.vehicle("V5", "P1", operator_phone="13912345675")
    w.vehicle("V6", "P1", operator_phone="13912345676")
    w.vehicle("V7", "P1", operator_phone="13912345677")
    w.vehicle("V8", "P1", operator_phone=None)
    w.verification("V1", "13912345678", T1 - timedelta(days=100))
    w.verification("V2", "12912345678", T1 - timedelta(days=100))
    w.verification("V4", "13912345674", T1 - timedelta(days=365, seconds=1))  # too old
    w.verification("V5", "13912345675", T1 - timedelta(days=365))             # exactly 12 months
    w.verification("V6", "13912345676", T1 - timedelta(days=10), result="fail")
    w.verification("V7", "13800000000", T1 - timedelta(days=10))              # another number
    for v in ("V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8"):
        online(w, v)
    online(w, "V1", "2026-10-31 23:00:00")  # data to the month end: judged as of it
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "operator_phone_verification") == (2, 8)  # V1, V5
    checks = dict(w.con.execute(
        "SELECT vehicle_id, checks FROM rates.vehicle_results "
        "WHERE metric = 'operator_phone_verification'").fetchall())
    assert checks["V2"] == checks["V3"] == ["phone_pattern"]
    assert checks["V4"] == ["verification_too_old"]
    assert checks["V6"] == ["verification_failed"]
    assert checks["V7"] == ["no_verification"]
    assert checks["V8"] == ["phone_missing"]


def test_network_entry_and_online(world: World) -> None:
    w = world
    w.provider("P1")
    for v in ("E1", "E2", "E3", "E4", "E5"):
        w.vehicle(v, "P1")
    w.pos("E1", "2026-10-03 10:00:10")                 # qualified in October: entered, online
    w.pos("E2", "2026-09-20 10:00:00")                 # qualified in September only
    w.pos("E3", "2026-10-03 10:00:50", lat=0.0)        # only unqualified records
    w.pos("E3", "2026-10-03 11:00:00", lat=0.0)
    w.pos("E5", "2026-11-02 10:00:00")                 # first qualified record after the period
    # E4: registered, never sent anything
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "network_entry") == (2, 5)   # E1, E2
    assert pick(rows, "P1", "online") == (1, 2)          # E1 of {E1, E2}
    # rates 1-4 count vehicles in network only (E1, E2)
    assert pick(rows, "P1", "vehicle_data_conformance") == (2, 2)
    checks = dict(w.con.execute(
        "SELECT vehicle_id, checks FROM rates.vehicle_results WHERE metric = 'network_entry'"
    ).fetchall())
    assert checks == {"E1": [], "E2": [], "E3": ["never_qualified"], "E4": ["never_qualified"],
                      "E5": ["never_qualified"]}


def test_network_basis_registered(world: World) -> None:
    from hazrisk.config import load_rules

    w = world
    w.provider("P1")
    w.vehicle("E1", "P1")
    w.vehicle("E4", "P1")  # never sent data
    online(w, "E1")
    w.resolve()
    rules = load_rules(overrides={"rates": {"network_basis": "registered",
                                            "sources": {"network_basis": "test"}}})
    rows = compute_rates(w.con, OCT, rules)
    assert pick(rows, "P1", "online") == (1, 2)
    assert pick(rows, "P1", "vehicle_data_conformance") == (2, 2)


def test_partial_period_judged_against_coverage(world: World) -> None:
    """Issue 13: a month with data on 10-01..10-07 only. Registry evidence is judged as of the
    end of the last day with data (10-08 00:00), not the month's end: an answer of 10-01 12:00
    is 6.5 days old then (correct), while against 11-01 00:00 it would be 30.5 days old, more
    than [domain] max_answer_age_days = 30 ('answer_too_old'). An empty month is refused."""
    w = world
    w.provider("P1", "jt.p1.cn")
    phone = w.vehicle("V1", "P1")
    w.answer(phone, "2026-10-01 12:00:00", "jt.p1.cn")
    online(w, "V1", "2026-10-01 10:00:00")
    online(w, "V1", "2026-10-07 10:00:00")
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "terminal_domain_correctness") == (1, 1)
    (period,) = w.con.execute("SELECT data_first_day, data_last_day, covered_days, partial "
                              "FROM rates.periods WHERE period = '2026-10'").fetchall()
    assert [str(period[0]), str(period[1]), period[2], period[3]] == [
        "2026-10-01", "2026-10-07", 2, True]
    with pytest.raises(EmptyPeriodError, match="2026-12: no position records"):
        compute_rates(w.con, Period.parse("2026-12"))
    assert w.con.execute("SELECT count(*) FROM rates.periods WHERE period = '2026-12'"
                         ).fetchall() == [(0,)]
