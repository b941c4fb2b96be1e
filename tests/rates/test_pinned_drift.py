"""The drift spike thresholds of the rates' SQL (``rates.position_flags``): a qualified fix is
a spike when it is more than [drift] spike_km (1 km) from both neighbours while they are within
[drift] neighbour_km (200 m) of each other. Hand-made tracks just below and above each bound
(issue 15: thresholds pinned by literal scenarios; the implied-speed bound is pinned in
test_pinned_scores.py). Fixes 10 minutes apart, so no implied speed comes near 160 km/h."""

from __future__ import annotations

import math

import pytest
from rates_builders import LAT0, LON0, OCT, World, at, north

from hazrisk.config import load_rules
from hazrisk.rates import compute_rates

BASE = "2026-10-05 08:00:00"


def test_the_defaults_these_scenarios_assume() -> None:
    d = load_rules().drift
    assert (d["spike_km"], d["neighbour_km"]) == (1.0, 0.2)


def _east(lon: float, km: float) -> float:
    return lon + km / (math.pi / 180.0 * 6371.0088 * math.cos(math.radians(LAT0)))


def _flags(w: World, points: list[tuple[float, float]]) -> list[tuple[bool, str | None]]:
    w.provider("P1")
    w.vehicle("D", "P1")
    for k, (lat, lon) in enumerate(points):
        w.pos("D", at(BASE, 600 * k), lat, lon, speed=20.0, acc=True)
    w.resolve()
    compute_rates(w.con, OCT)
    return [(bool(d), r) for d, r in w.con.execute(
        "SELECT drift, drift_reason FROM rates.position_flags ORDER BY device_time").fetchall()]


@pytest.mark.parametrize("km,drift", [(0.99, False), (1.01, True)])
def test_spike_km(world: World, km: float, drift: bool) -> None:
    p = (LAT0, LON0)
    got = _flags(world, [p, p, (north(LAT0, km), LON0), p, p])
    assert [d for d, _ in got] == [False, False, drift, False, False]
    if drift:
        assert got[2][1] == "spike"


@pytest.mark.parametrize("apart,drift", [(0.19, True), (0.21, False)])
def test_spike_neighbour_km(world: World, apart: float, drift: bool) -> None:
    """The fix 3 km east of its neighbours, which are ``apart`` km from each other."""
    a, b = (LAT0, LON0), (north(LAT0, apart), LON0)
    got = _flags(world, [a, a, (LAT0, _east(LON0, 3.0)), b, b])
    assert [d for d, _ in got] == [False, False, drift, False, False]
