"""Records that survive retention: legal holds (封存) and refusing to recompute purged days.

Scenario (hand-built): V1 (enterprise E1) and V2 (E2) each speed on an 'other' road (60 km/h)
at 70 km/h for 5 min on 2026-03-10, and drive again on 2026-10-10. V1 is held for
2026-03-10 only. ``retain --as-of 2026-10-15`` cuts dynamic data at 2026-04-15 00:00 Beijing
(6 months): V2's March fixes go, V1's stay (held); violations (3 years) all stay.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from safety_builders import World, ts

from hazrisk.cli import main
from hazrisk.rates import Period, compute_rates
from hazrisk.safety.records import (
    HoldError,
    PurgedRangeError,
    list_holds,
    purge_cutoff,
    release_hold,
    set_hold,
)
from hazrisk.store.connect import connect
from hazrisk.store.retention import retain


def _world() -> World:
    w = World()
    w.vehicle("V1", "E1")
    w.vehicle("V2", "E2")
    w.road("R1", "other", [(-1000.0, 0.0), (200_000.0, 0.0)])
    for v, y in (("V1", 0.0), ("V2", 0.0)):
        w.drive(v, ts("2026-03-10 09:00:00"), 300, speed=70.0, y0=y)
        w.drive(v, ts("2026-10-10 09:00:00"), 300, speed=50.0, y0=y)
    return w


def _positions(w: World, vehicle: str, before: str = "2026-04-01") -> int:
    return int(w.con.execute(
        "SELECT count(*) FROM core.positions WHERE vehicle_id = $v AND device_time < $t",
        {"v": vehicle, "t": before}).fetchall()[0][0])


def test_hold_keeps_raw_data_and_recompute_is_refused() -> None:
    w = _world()
    w.detect("2026-03-01", "2026-04-01")
    assert len(w.violations("speeding")) == 2
    before_v1 = _positions(w, "V1")
    assert before_v1 == _positions(w, "V2") == 11  # 10 moving fixes + the stop
    hold = set_hold(w.con, vehicle="V1", start=date(2026, 3, 10), end=date(2026, 3, 10),
                    reason="事故 2026-03-10 温岭")
    res = {r.table: r for r in retain(w.con, date(2026, 10, 15))}
    assert res["store.positions"].rows_held == 11
    assert _positions(w, "V1") == before_v1          # held: kept
    assert _positions(w, "V2") == 0                  # not held: purged
    assert purge_cutoff(w.con) is not None and purge_cutoff(w.con).first_day == date(2026, 4, 15)

    # recomputing March is refused; the kept violations and vehicle-days are untouched
    days_before = w.con.execute("SELECT count(*) FROM safety.vehicle_days").fetchall()[0][0]
    with pytest.raises(PurgedRangeError, match="2026-04-15"):
        w.detect("2026-03-01", "2026-04-01")
    assert len(w.violations("speeding")) == 2
    assert w.con.execute("SELECT count(*) FROM safety.vehicle_days").fetchall()[0][0] == days_before
    # a range on kept days still runs
    w.detect("2026-10-01", "2026-11-01")
    assert len(w.violations("speeding")) == 2

    # released: the next retention run removes V1's March data too
    release_hold(w.con, hold, reason="调查结束")
    with pytest.raises(HoldError, match="already released"):
        release_hold(w.con, hold, reason="again")
    res = {r.table: r for r in retain(w.con, date(2026, 10, 15))}
    assert res["store.positions"].rows_held == 0 and res["store.positions"].rows_deleted == 11
    assert _positions(w, "V1") == 0


def test_enterprise_hold_covers_its_vehicles() -> None:
    w = _world()
    set_hold(w.con, enterprise="E2", start=date(2026, 3, 1), end=date(2026, 3, 31),
             reason="事故")
    retain(w.con, date(2026, 10, 15))
    assert _positions(w, "V1") == 0 and _positions(w, "V2") == 11
    with pytest.raises(HoldError, match="not in the registry"):
        set_hold(w.con, vehicle="V9", start=date(2026, 3, 1), end=date(2026, 3, 1), reason="x")
    with pytest.raises(HoldError, match="exactly one"):
        set_hold(w.con, start=date(2026, 3, 1), end=date(2026, 3, 1), reason="x")


def test_rates_of_purged_period_refused_and_kept() -> None:
    w = _world()
    march = Period.parse("2026-03")
    rows = compute_rates(w.con, march)
    stored = w.con.execute("SELECT metric, numerator, denominator FROM rates.provider_rates "
                           "WHERE period = '2026-03' ORDER BY metric").fetchall()
    assert [r["denominator"] for r in rows if r["metric"] == "data_qualification"] == [22]
    retain(w.con, date(2026, 10, 15))
    with pytest.raises(PurgedRangeError, match="rates 2026-03"):
        compute_rates(w.con, march)
    assert w.con.execute("SELECT metric, numerator, denominator FROM rates.provider_rates "
                         "WHERE period = '2026-03' ORDER BY metric").fetchall() == stored


def test_hold_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    con = connect(db)
    con.execute("INSERT INTO core.vehicles (vehicle_id, terminal_phone, enterprise_id, "
                "import_id, source_row) VALUES ('V1', '013900000001', 'E1', 1, 2)")
    con.close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["hold", "set", "--db", db, "--vehicle", "V1", "--period", "2026-03",
                     "--reason", "事故", "--json"]) == 0
    (row,) = json.loads(out.getvalue())
    assert (row["first_day"], row["last_day"], row["active"]) == ("2026-03-01", "2026-03-31",
                                                                 True)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["hold", "set", "--db", db, "--vehicle", "V9", "--period", "2026-03",
                     "--reason", "x"]) == 1
    assert "V9 is not in the registry" in err.getvalue()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["hold", "release", "--db", db, str(row["hold_id"]), "--reason", "结案",
                     "--json"]) == 0
        assert main(["hold", "list", "--db", db, "--active", "--json"]) == 0
    con = connect(db)
    assert list_holds(con)[0]["release_reason"] == "结案"
    assert list_holds(con, active_only=True) == []
