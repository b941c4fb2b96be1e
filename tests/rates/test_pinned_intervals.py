"""[rates] outage_factor (2), lookback_hours (24) and outage_parked_below_kmh (5), pinned by
hand-made records (a conf sweep found them unpinned: nudging each default passed every literal
test).

- An outage is a real-time gap longer than outage_factor x the report interval of the state
  as the gap opened: driving, 30 s ([upload_interval] moving_max_s), so more than 60 s.
- Records up to lookback_hours before the period start give the first in-period record its
  predecessor: a record exactly 24 h before 2026-10-01 00:00 (Beijing) is one, 24 h + 1 s
  before is not, which decides the first record's upload interval (数据上传时间间隔合格率)."""

from __future__ import annotations

import pytest
from rates_builders import LAT0, OCT, World, at, north, pick

from hazrisk.config import load_rules
from hazrisk.rates import compute_rates

S = "2026-10-06 08:00:00"


def test_the_defaults_these_scenarios_assume() -> None:
    r = load_rules()
    assert (r.rates["outage_factor"], r.rates["lookback_hours"],
            r.rates["outage_parked_below_kmh"]) == (2, 24, 5)
    assert r.upload_interval["moving_max_s"] == 30


@pytest.mark.parametrize("gap,outage", [(60, False), (61, True)])
def test_outage_factor(world: World, gap: int, outage: bool) -> None:
    """Driving at 60 km/h (0.5 km every 30 s), then one gap of ``gap`` s at the same speed."""
    w = world
    w.provider("P1")
    w.vehicle("G", "P1")
    w.pos("G", at(S, 0), LAT0, speed=60.0, acc=True)
    w.pos("G", at(S, 30), north(LAT0, 0.5), speed=60.0, acc=True)
    w.pos("G", at(S, 30 + gap), north(LAT0, 0.5 + gap / 60.0), speed=60.0, acc=True)
    w.resolve()
    compute_rates(w.con, OCT)
    flags = w.con.execute("SELECT rt_gap_s, rt_interval_s, outage FROM rates.position_flags "
                          "ORDER BY device_time").fetchall()
    assert flags[1:] == [(30.0, 30.0, False), (float(gap), 30.0, outage)]


def test_lookback_hours(world: World) -> None:
    """P1's vehicle has a record exactly 24 h before the period, P2's 24 h + 1 s before; both
    then report at 00:00:30 and 00:01:00 on 10-01. P1's first October record follows a 24 h
    gap (fails the interval rule): 1 of 2 qualified; P2's has no predecessor: 2 of 2."""
    w = world
    for provider, vehicle, before in (("P1", "A", "2026-09-30 00:00:00"),
                                      ("P2", "B", "2026-09-29 23:59:59")):
        w.provider(provider)
        w.vehicle(vehicle, provider)
        w.pos(vehicle, before)
        w.pos(vehicle, "2026-10-01 00:00:30")
        w.pos(vehicle, "2026-10-01 00:01:00")
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "upload_interval_qualification") == (1, 2)
    assert pick(rows, "P2", "upload_interval_qualification") == (2, 2)


@pytest.mark.parametrize("km,expected", [
    (4.9, 24),    # 4.9 km/h average: parked in between; 441 s driven at 40 km/h (14.7 steps
                  # of 30 s) + 3159 s parked (10.53 steps of 300 s) = 25 steps -> 24 expected
    (5.1, 119),   # 5.1 km/h: driving throughout, 3600 / 30 = 120 steps -> 119 expected
])
def test_outage_parked_below_kmh(world: World, km: float, expected: int) -> None:
    """[rates] outage_parked_below_kmh (5): an outage between two driving fixes 1 h apart whose
    straight line implies less than 5 km/h was mostly parked (data preservation's expected
    points, README "Device KPIs")."""
    w = world
    w.provider("P1")
    w.vehicle("O", "P1")
    w.pos("O", at(S, 0), LAT0, speed=40.0, acc=True)
    w.pos("O", at(S, 3600), north(LAT0, km), speed=40.0, acc=True)
    w.resolve()
    compute_rates(w.con, OCT)
    (last,) = w.con.execute("SELECT outage, outage_expected FROM rates.position_flags "
                            "ORDER BY device_time DESC LIMIT 1").fetchall()
    assert last == (True, expected)
