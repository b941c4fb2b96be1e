"""Wilson interval, registry, periods, drill-down and the CLI's output shapes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rates_builders import LAT0, OCT, World, at, north, online

import hazrisk.rates as rates
from hazrisk.cli import main
from hazrisk.config import load_rules
from hazrisk.rates import Period, PeriodError, explain, metric_registry, wilson_interval


def test_wilson_known_values() -> None:
    # 5/10: the textbook Wilson 95 % interval (0.2366, 0.7634)
    lo, hi = wilson_interval(5, 10)
    assert (round(lo, 4), round(hi, 4)) == (0.2366, 0.7634)
    # 0/10: closed form (0, z²/(n + z²)) = (0, 0.2775)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1.959963984540054 ** 2 / (10 + 1.959963984540054 ** 2))
    assert round(hi, 4) == 0.2775
    assert wilson_interval(0, 0) == (None, None)


def test_wilson_sql_matches_python(world: World) -> None:
    rates.install(world.con)
    for k, n in ((5, 10), (0, 10), (10, 10), (81, 263), (1, 1), (0, 1), (0, 263), (263, 263)):
        lo, hi = world.con.execute(
            "SELECT rates.wilson_low($p, $n, 1.959963984540054), "
            "rates.wilson_high($p, $n, 1.959963984540054)", {"p": k / n, "n": n}).fetchall()[0]
        want = wilson_interval(k, n)
        assert lo == pytest.approx(want[0], abs=1e-12) and hi == pytest.approx(want[1], abs=1e-12)
        if k == 0:
            assert lo == 0.0 and want[0] == 0.0  # exactly, not 2e-17 above the rate
        if k == n:
            assert hi == 1.0 and want[1] == 1.0


def test_registry_complete_and_sourced() -> None:
    reg = metric_registry()
    assert list(reg)[:8] == list(rates.PROVIDER_METRICS[:8])
    assert {m.number for m in reg.provider()} >= {"1", "2", "3", "4", "5", "6", "7", "N1", "N2",
                                                   "N3", "N4"}
    for m in reg.values():
        assert m.name_zh and m.name_en and m.definition and m.source
        if m.party == "provider":
            assert m.weight_source and m.national_weight_source
    assert sum(m.weight for m in reg.values()) == 100           # research §2.2
    assert sum(m.national_weight for m in reg.values()) == 100  # national 2016 table
    assert reg["data_qualification"].floor == 0.8
    assert reg["network_entry"].floor == 0.9
    assert reg["drift_vehicles"].floor == 0.05 and reg["drift_vehicles"].direction == "lower"
    with pytest.raises(KeyError, match="unknown metric"):
        reg["nope"]
    assert set(rates.__all__) >= {"compute_rates", "explain", "metric_registry", "Period",
                                  "wilson_interval", "install", "ranking"}


def test_periods() -> None:
    p = Period.parse("2026-12")
    assert (p.start.isoformat(), p.end.isoformat(), p.previous().label) == (
        "2026-12-01", "2026-12-31", "2026-11")
    assert Period.parse("2026-03").previous().label == "2026-02"
    assert Period.parse("2026-01").previous().label == "2025-12"
    assert Period.between("2026-10-01", "2026-10-31").label == "2026-10"
    assert Period.parse("2026-10-05").label == "2026-10-05..2026-10-05"
    assert Period.parse("2026-10").t1.isoformat() == "2026-11-01T00:00:00+08:00"
    for bad in ("2026-13", "October", "2026-10-05..2026-10-01"):
        with pytest.raises(PeriodError):
            Period.parse(bad)


def _scenario(w: World) -> None:
    w.provider("P1", "jt.p1.cn")
    w.vehicle("A", "P1", vin="1M8GDM9AOKP042788")             # bad VIN
    w.vehicle("B", "P1")
    online(w, "A")
    w.pos("B", "2026-10-05 08:00:00", speed=40.0, acc=True)
    w.pos("B", "2026-10-05 08:00:45", north(LAT0, 0.5), speed=40.0, acc=True)   # 45 s gap
    w.pos("B", "2026-10-05 08:01:15", north(LAT0, 0.8), speed=170.0, acc=True)  # speed 170
    w.pos("B", at("2026-10-05 08:00:00", 400), north(LAT0, 3.0), speed=40.0, acc=True)
    w.resolve()


def test_explain_names_the_failing_check(world: World) -> None:
    _scenario(world)
    con = world.con
    vin = explain(con, "vehicle_data_conformance", OCT, provider="P1")
    assert [(r["vehicle_id"], r["checks"], r["label"]) for r in vin] == [
        ("A", ["vin"], "浙B00001")]
    gaps = explain(con, "upload_interval_qualification", OCT, provider="P1")
    assert [(r["vehicle_id"], r["checks"], r["detail"]["gap_s"]) for r in gaps] == [
        ("B", ["gap_over_moving_max"], 45.0), ("B", ["gap_over_moving_max"], 325.0)]
    bad = explain(con, "data_qualification", OCT, provider="P1")
    assert [(r["checks"], r["detail"]["speed_kmh"]) for r in bad] == [(["gps_speed"], 170.0)]
    seg = explain(con, "trajectory_completeness_km", OCT, provider="P1")
    assert len(seg) == 1 and seg[0]["detail"]["seg_s"] == 355.0  # from the last qualified fix
    assert seg[0]["detail"]["seg_km"] == pytest.approx(2.5, abs=1e-6)
    assert seg[0]["total"] == 1
    off = explain(con, "platform_connectivity", OCT, provider="P1", limit=2)
    assert off[0]["checks"][0].startswith("offline_minutes:") and off[0]["total"] >= 2
    with pytest.raises(ValueError, match="provider"):
        explain(con, "data_qualification", OCT)


def test_position_flags_view_is_reusable(world: World) -> None:
    _scenario(world)
    rates.install(world.con, load_rules())
    cols = {r[0] for r in world.con.execute("DESCRIBE rates.position_flags").fetchall()}
    assert {"pos_seq", "unit_id", "provider_id", "qualified", "qual_fail", "drift",
            "interval_ok", "gap_s", "gap_km", "seg_km", "seg_incomplete"} <= cols
    n = world.con.execute("SELECT count(*) FROM rates.position_flags").fetchall()[0][0]
    assert n == 5


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "w.duckdb")
    w = World(path)
    _scenario(w)
    w.ticket("t1", "A", "M1", "A", "2026-10-03 10:00:00", None)
    w.con.close()
    return path


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_cli_rates_json_shape(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(capsys, "rates", "--db", db, "--period", "2026-10", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert isinstance(rows, list) and len(rows) == len(rates.PROVIDER_METRICS)
    required = {"provider", "metric", "numerator", "denominator", "rate", "ci_low", "ci_high",
                "period", "name_zh", "name_en", "score"}
    for r in rows:
        assert required <= set(r), required - set(r)
        assert r["provider"] == "P1" and r["metric"] in rates.PROVIDER_METRICS
    dq = next(r for r in rows if r["metric"] == "data_qualification")
    assert (dq["numerator"], dq["denominator"]) == (4, 5)
    assert 0 <= dq["ci_low"] <= dq["rate"] <= dq["ci_high"] <= 1


def test_cli_other_forms(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(capsys, "rates", "--db", db, "--start", "2026-10-01", "--end",
                     "2026-10-31", "--provider", "P1", "--format", "csv")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert table[0]["period"] == "2026-10" and len(table) == len(rates.PROVIDER_METRICS)
    code, out = _cli(capsys, "rates", "--db", db, "--period", "2026-10", "--ranking")
    assert code == 0 and "P1" in out and "rank" in out
    code, out = _cli(capsys, "rates", "explain", "--db", db, "--period", "2026-10",
                     "--metric", "data_qualification", "--provider", "P1", "--format", "json")
    assert code == 0 and json.loads(out)[0]["checks"] == ["gps_speed"]
    code, out = _cli(capsys, "devices", "--db", db, "--period", "2026-10", "--format", "json")
    assert code == 0
    dev = json.loads(out)
    assert {(r["maker_id"], r["device_model"], r["metric"]) for r in dev} >= {
        ("M1", "A", "repair_24h"), ("M1", "*", "repair_24h")}
    code, out = _cli(capsys, "devices", "explain", "--db", db, "--period", "2026-10",
                     "--metric", "repair_24h", "--maker", "M1", "--format", "json")
    assert code == 0 and json.loads(out)[0]["checks"] == ["open"]
    code, _ = _cli(capsys, "rates", "--db", db)
    assert code == 2
    code, _ = _cli(capsys, "rates", "--db", db + ".missing", "--period", "2026-10")
    assert code == 2
