"""A terminal silent while its vehicle moved is a fault visible in the data (rates.untracked_
faults, ``silent_while_moving``): silent for MORE than [device] silent_fault_s (24 h) and moved
more than [device] silent_moved_km (1 km) between the fixes around the silence. Hand-made
pairs of fixes just at/below and above each bound (a conf sweep found both unpinned: nudging
either default passed every literal test)."""

from __future__ import annotations

from datetime import timedelta

from rates_builders import LAT0, OCT, World, bj, north

from hazrisk.config import load_rules
from hazrisk.rates import compute_devices

START = "2026-10-03 10:00:00"
CASES = {  # vehicle: (silence s, km moved, a fault?)
    "S86400": (86_400, 5.0, False),   # exactly 24 h: not more than 24 h
    "S86401": (86_401, 5.0, True),
    "K099": (50 * 3600, 0.99, False),
    "K101": (50 * 3600, 1.01, True),
}


def test_the_defaults_these_scenarios_assume() -> None:
    d = load_rules().device
    assert (d["silent_fault_s"], d["silent_moved_km"]) == (86_400, 1.0)


def test_silent_fault_thresholds(world: World) -> None:
    w = world
    w.provider("P1")
    for v, (silence, km, _) in CASES.items():
        w.vehicle(v, "P1", maker_id="M1", device_model="X")
        w.pos(v, START)
        w.pos(v, bj(START) + timedelta(seconds=silence), north(LAT0, km))
    w.resolve()
    compute_devices(w.con, OCT)
    got = {v for (v,) in w.con.execute(
        "SELECT vehicle_id FROM rates.untracked_faults WHERE kind = 'silent_while_moving'"
    ).fetchall()}
    assert got == {v for v, (_, _, fault) in CASES.items() if fault}
