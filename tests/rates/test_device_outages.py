"""D2 data preservation: the expected points of an outage, split at the evidence inside it.

Hand-computed with the default intervals (no 0x0104 answer: [upload_interval] moving_max_s
30 s driving, parked_max_s 300 s parked). Each stretch between consecutive evidence points (the
opening real-time record, the backfilled records, the closing real-time record) counts
max(1, round(driven s / 30 + parked s / 300)) report steps; an outage's expected points = its
steps - 1 (README "Device KPIs").
"""

from __future__ import annotations

from rates_builders import LAT0, OCT, World, at, north

from hazrisk.rates import compute_devices

S = "2026-10-06 08:00:00"


def _d2(w: World) -> dict[str, tuple[float, float]]:
    rows = compute_devices(w.con, OCT)
    return {r["maker_id"]: (r["numerator"], r["denominator"]) for r in rows
            if r["metric"] == "data_preservation" and r["device_model"] == "*"}


def test_backfill_switching_from_driving_to_parked(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1", maker_id="M1", device_model="X")
    w.pos("A", at(S, 0), speed=60.0, acc=True)                            # opens, 60 km/h
    # backfilled: driving at 60 km/h (0.5 km / 30 s), arrives at 120 s, ACC off, sleep reports;
    # the samples at 60 s and 600 s were lost (overflow)
    w.pos("A", at(S, 30), north(LAT0, 0.5), speed=60.0, acc=True, backfill=True)
    w.pos("A", at(S, 90), north(LAT0, 1.5), speed=60.0, acc=True, backfill=True)
    w.pos("A", at(S, 120), north(LAT0, 2.0), speed=0.0, acc=True, backfill=True)
    w.pos("A", at(S, 300), north(LAT0, 2.0), backfill=True)               # ACC off, parked
    w.pos("A", at(S, 900), north(LAT0, 2.0), backfill=True)
    w.pos("A", at(S, 1200), north(LAT0, 2.0))                             # closes, parked
    w.resolve()
    # stretches: 0-30 driving: 1; 30-90 driving: 60/30 = 2; 90-120 driving -> stopped,
    # 0.5 km at 60 km/h = 30 s driven: 1; 120-300 stopped (ACC on -> off, no displacement):
    # 180/300 -> 1; 300-900 parked: 600/300 = 2; 900-1200 parked: 1 (the closing record).
    # Steps 8 -> 7 expected (the old whole-gap estimate: round(1200 / 30) - 1 = 39), 5 recovered.
    assert _d2(w)["M1"] == (5, 7)
    flags = w.con.execute(
        "SELECT CAST(epoch(device_time) - epoch(?) AS INTEGER), outage_expected, outage "
        "FROM rates.position_flags WHERE vehicle_id = 'A' ORDER BY device_time",
        [at(S, 0)]).fetchall()
    assert flags == [(0, 0, False), (30, 1, True), (90, 2, True), (120, 1, True),
                     (300, 1, True), (900, 2, True), (1200, 0, True)]


def test_gap_without_backfill_or_displacement(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("B", "P1", maker_id="M2", device_model="Y")
    w.pos("B", at(S, 0), speed=40.0, acc=True)        # driving as the gap opens
    w.pos("B", at(S, 1800))                           # parked at the same place 30 min later
    w.resolve()
    # no displacement: driven 0 km / 40 km/h = 0 s, 1800 s parked: 1800/300 = 6 steps -> 5
    # expected (old: driving at the opening -> round(1800 / 30) - 1 = 59); nothing recovered
    assert _d2(w)["M2"] == (0, 5)


def test_gap_driving_at_both_ends_but_barely_moved(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("C", "P1", maker_id="M3", device_model="Z")
    w.pos("C", at(S, 0), speed=50.0, acc=True)
    w.pos("C", at(S, 3600), north(LAT0, 2.0), speed=50.0, acc=True)
    w.resolve()
    # 2 km in an hour (2 km/h < [rates] outage_parked_below_kmh 5): mostly parked; driven
    # 2 km / 50 km/h = 144 s: 144/30 + 3456/300 = 4.8 + 11.52 -> 16 steps -> 15 expected
    # (old: 119)
    assert _d2(w)["M3"] == (0, 15)


def test_backfill_marks_a_short_gap_as_outage(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("D", "P1", maker_id="M4", device_model="W")
    w.pos("D", at(S, 0), speed=50.0, acc=True)
    w.pos("D", at(S, 30), north(LAT0, 0.4), speed=50.0, acc=True, backfill=True)
    w.pos("D", at(S, 60), north(LAT0, 0.8), speed=50.0, acc=True)
    w.resolve()
    # 60 s is not > 2 x 30 s, but a backfilled point lies in it: an outage of 1 point
    assert _d2(w)["M4"] == (1, 1)
