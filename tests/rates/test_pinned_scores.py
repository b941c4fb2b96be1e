"""Hand-computed scenarios pinning the scoring floors, the stored Wilson bounds (the configured
``[rates] ci_z``) and the drift speed threshold (issue 15: tests that can fail).

A floor is "scores zero BELOW it" (``direction='higher'``) or "ABOVE it" (``'lower'``): a rate
exactly at its floor scores its points. Counts are chosen so the rate is the floor's double
exactly (7/10 == 0.70, 4/5 == 0.80, 1/20 == 0.05: IEEE division is correctly rounded).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from rates_builders import LAT0, OCT, World, at, north, pick

from hazrisk.config import load_rules
from hazrisk.rates import compute_rates, metric_registry

BASE = "2026-10-05 08:00:00"


def _row(rows: list[dict[str, object]], provider: str, metric: str) -> dict[str, object]:
    (row,) = [r for r in rows if r["provider_id"] == provider and r["metric"] == metric]
    return row


def _conf(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _qualification(w: World, vehicle: str, good: int, bad: int) -> None:
    """``good`` qualified and ``bad`` unqualified (latitude 0: out of range) October records,
    one minute apart."""
    for k in range(good + bad):
        w.pos(vehicle, at(BASE, 60 * k), lat=LAT0 if k < good else 0.0)


@pytest.mark.parametrize("good,bad,points", [
    (4, 1, 20 * 0.8),        # 4/5 = 80 %: exactly at the floor -> its points
    (7, 2, 0.0),             # 7/9 = 77.8 %: below -> 0
    (5, 1, 20 * 5 / 6),      # 5/6 = 83.3 %: above -> its points
])
def test_data_qualification_floor(world: World, good: int, bad: int, points: float) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    _qualification(w, "A", good, bad)
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "data_qualification") == (good, good + bad)
    row = _row(rows, "P1", "data_qualification")
    assert row["score"] == pytest.approx(points)
    assert row["national_score"] == pytest.approx(points / 20 * 30)  # national weight 30
    reg = metric_registry()
    assert reg["data_qualification"].floor == 0.80
    assert reg["data_qualification"].points(good / (good + bad)) == pytest.approx(points)


@pytest.mark.parametrize("complete,incomplete,points", [
    (7, 3, 10 * 0.7),        # 7/10 = 70 %: exactly at the floor -> its points
    (6, 3, 0.0),             # 6/9 = 66.7 %: below -> 0
    (8, 3, 10 * 8 / 11),     # 8/11 = 72.7 %: above
])
def test_completeness_floor(world: World, tmp_path: Path, complete: int, incomplete: int,
                            points: float) -> None:
    """轨迹完整率 (count form): vehicle-days without an incomplete segment, weighted 10 through
    the conf (the scenario does not depend on the default scheme's weights)."""
    rules = load_rules(_conf(tmp_path, '[rate_weights]\ntrajectory_completeness = 10\n'
                                       '[rate_weights.sources]\n'
                                       'trajectory_completeness = "test"\n'))
    w = world
    w.provider("P1")
    for k in range(complete):
        w.vehicle(f"C{k}", "P1")
        w.pos(f"C{k}", at(BASE, 0))                       # one fix: a complete day
    for k in range(incomplete):
        w.vehicle(f"I{k}", "P1")
        w.pos(f"I{k}", at(BASE, 0), speed=50.0, acc=True)
        w.pos(f"I{k}", at(BASE, 61), north(LAT0, 1.5), speed=50.0, acc=True)  # 61 s, 1.5 km
    w.resolve()
    rows = compute_rates(w.con, OCT, rules)
    assert pick(rows, "P1", "trajectory_completeness") == (complete, complete + incomplete)
    assert _row(rows, "P1", "trajectory_completeness")["score"] == pytest.approx(points)
    reg = metric_registry(rules)
    assert reg["trajectory_completeness"].floor == 0.70
    assert reg["trajectory_completeness"].points(0.7) == pytest.approx(10 * 0.7)
    assert reg["trajectory_completeness_km"].floor == 0.70


def _drift_fleet(w: World, vehicles: int, drifting: int) -> None:
    """``vehicles`` online vehicles; ``drifting`` of them with an isolated 2 km spike."""
    w.provider("P1")
    for k in range(vehicles):
        v = f"V{k:02d}"
        w.vehicle(v, "P1")
        spike = 2.0 if k < drifting else 0.0
        for j, km in enumerate([0.0, 0.0, spike, 0.0]):
            w.pos(v, at(BASE, 60 * j), north(LAT0, km))


@pytest.mark.parametrize("vehicles,drifting,points", [
    (20, 1, 15 * 0.95),      # 1/20 = 5 %: exactly at the ceiling -> its points
    (19, 1, 0.0),            # 1/19 = 5.3 %: above -> 0
    (21, 1, 15 * 20 / 21),   # 1/21 = 4.8 %: below
])
def test_drift_vehicle_rate_ceiling(world: World, vehicles: int, drifting: int,
                                    points: float) -> None:
    w = world
    _drift_fleet(w, vehicles, drifting)
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert pick(rows, "P1", "drift_vehicles") == (drifting, vehicles)
    assert _row(rows, "P1", "drift_vehicles")["national_score"] == pytest.approx(points)


# --------------------------------------------------------------------------------------------
# Stored intervals: Wilson score interval at the configured z
# --------------------------------------------------------------------------------------------

def _stored_bounds(w: World) -> tuple[float, float]:
    ((lo, hi),) = w.con.execute(
        "SELECT ci_low, ci_high FROM rates.provider_rates WHERE period = '2026-10' "
        "AND provider_id = 'P1' AND metric = 'data_qualification'").fetchall()
    return lo, hi


def test_stored_interval_is_wilson_at_the_default_z(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    _qualification(w, "A", 4, 1)
    w.resolve()
    compute_rates(w.con, OCT)
    # p = 0.8, n = 5, z = 1.959964: centre (p + z²/2n)/(1 + z²/n) = 0.669655,
    # half z·sqrt(p(1-p)/n + z²/4n²)/(1 + z²/n) = 0.294121
    lo, hi = _stored_bounds(w)
    assert lo == pytest.approx(0.3755346, abs=1e-6)
    assert hi == pytest.approx(0.9637759, abs=1e-6)


def test_stored_interval_follows_the_configured_z(world: World, tmp_path: Path) -> None:
    rules = load_rules(_conf(tmp_path, '[rates]\nci_z = 1.0\n'
                                       '[rates.sources]\nci_z = "test: a 68 % interval"\n'))
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    _qualification(w, "A", 4, 1)
    w.resolve()
    rows = compute_rates(w.con, OCT, rules)
    # z = 1: centre (0.8 + 0.1)/1.2 = 0.75, half sqrt(0.032 + 0.01)/1.2 = 0.170783
    half = math.sqrt(0.042) / 1.2
    lo, hi = _stored_bounds(w)
    assert (lo, hi) == (pytest.approx(0.75 - half, abs=1e-9), pytest.approx(0.75 + half,
                                                                           abs=1e-9))
    row = _row(rows, "P1", "data_qualification")
    assert (row["ci_low"], row["ci_high"]) == (lo, hi)


# --------------------------------------------------------------------------------------------
# Drift: implied speed from the last good fix, [drift] implied_speed_kmh = 160
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("km,drift", [
    (4.0 * 159.0 / 160.0, False),   # 159 km/h implied: not drift
    (4.0 * 161.0 / 160.0, True),    # 161 km/h implied: drift
])
def test_drift_implied_speed_threshold(world: World, km: float, drift: bool) -> None:
    """A steady track (30 s, 0.4 km steps: 48 km/h), then one fix ``km`` further east-north in
    90 s (4 km in 90 s = 160 km/h), then one as far again 10 min later (slow from both): only
    the implied speed can flag the jump (no spike: its neighbours are 8 km apart)."""
    w = world
    w.provider("P1")
    w.vehicle("D", "P1")
    lat = LAT0
    for k in range(4):
        w.pos("D", at(BASE, 30 * k), lat, speed=50.0, acc=True)
        lat = north(lat, 0.4)
    last = north(LAT0, 1.2)
    w.pos("D", at(BASE, 90 + 90), north(last, km), speed=50.0, acc=True)
    w.pos("D", at(BASE, 90 + 90 + 600), north(last, 2 * km), speed=50.0, acc=True)
    w.resolve()
    compute_rates(w.con, OCT)
    flags = w.con.execute(
        "SELECT drift, drift_reason FROM rates.position_flags ORDER BY device_time").fetchall()
    assert [f[0] for f in flags] == [False] * 4 + [drift, False]
    if drift:
        assert flags[4][1] == "implied_speed"
