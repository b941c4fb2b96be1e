"""The data-qualification checks (数据合格率) have one definition: each bound pinned below / at /
above by hand, through the stored flags (:func:`hazrisk.validity.check_bits`, what ingest
stores) and BOTH consumers (the rates' qualified records, detection's qualified positions).

Default rules ([validity]): lon 73.55..135.0833, lat 3.85..53.55 (neither 0), GNSS speed
0..160, tacho speed 0..160, heading 0..359, altitude -200..6500, GNSS time at most 300 s after
the receive time, no reserved status/alarm bit. All bounds inclusive.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pytest
from rates_builders import LAT0, LON0, OCT, World, bj

from hazrisk.rates import compute_rates
from hazrisk.safety.pipeline import detect
from hazrisk.validity import BIT, CHECKS, Validity, check_bits, check_names

T = "2026-10-12 10:00:00"

# (case, fields of the fix, the check that fails or None)
CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("lat_min_at", {"lat": 3.85}, None),
    ("lat_min_below", {"lat": 3.849999}, "latitude"),
    ("lat_max_at", {"lat": 53.55}, None),
    ("lat_max_above", {"lat": 53.550001}, "latitude"),
    ("lat_zero", {"lat": 0.0}, "latitude"),
    ("lon_min_at", {"lon": 73.55}, None),
    ("lon_min_below", {"lon": 73.549999}, "longitude"),
    ("lon_max_at", {"lon": 135.0833}, None),
    ("lon_max_above", {"lon": 135.083301}, "longitude"),
    ("speed_at", {"speed": 160.0}, None),
    ("speed_above", {"speed": 160.1}, "gps_speed"),
    ("tacho_at", {"tacho_speed_kmh": 160.0}, None),
    ("tacho_above", {"tacho_speed_kmh": 160.1}, "tacho_speed"),
    ("tacho_negative", {"tacho_speed_kmh": -0.1}, "tacho_speed"),
    ("heading_at", {"heading_deg": 359}, None),
    ("heading_above", {"heading_deg": 360}, "heading"),
    ("alt_min_at", {"altitude_m": -200}, None),
    ("alt_min_below", {"altitude_m": -201}, "altitude"),
    ("alt_max_at", {"altitude_m": 6500}, None),
    ("alt_max_above", {"altitude_m": 6501}, "altitude"),
    ("future_at", {"recv_offset_s": -300}, None),       # GNSS time = receive + 300 s
    ("future_above", {"recv_offset_s": -301}, "time_after_receive"),
    ("future_behind", {"recv_offset_s": 3600}, None),   # received an hour later: fine
    ("status_reserved", {"status": 0x2 | 0x40}, "status_reserved_bits"),
    ("alarm_reserved_2013", {"alarm": 0x8000}, "alarm_reserved_bits"),
    ("alarm_bit15_2019", {"alarm": 0x8000, "version": 2019}, None),
]


def _fix(w: World, v: str, f: dict[str, Any]) -> None:
    f = dict(f)
    lat, lon = f.pop("lat", LAT0), f.pop("lon", LON0)
    speed = f.pop("speed", 0.0)
    offset = f.pop("recv_offset_s", None)
    if offset is not None:
        f["recv_time"] = bj(T) + timedelta(seconds=offset)
    w.pos(v, T, lat, lon, speed=speed, **f)


def test_each_bound_by_hand() -> None:
    v = Validity.from_rules()
    rows = []
    for _, f, _ in CASES:
        offset = f.get("recv_offset_s")
        rows.append({
            "device_time": bj(T), "lat_deg": f.get("lat", LAT0), "lon_deg": f.get("lon", LON0),
            "speed_kmh": f.get("speed", 0.0), "tacho_speed_kmh": f.get("tacho_speed_kmh"),
            "heading_deg": f.get("heading_deg", 0), "altitude_m": f.get("altitude_m", 10),
            "status": f.get("status", 2), "alarm": f.get("alarm", 0),
            "version": f.get("version", 2013),
            "recv_time": None if offset is None else bj(T) + timedelta(seconds=offset)})
    bits = check_bits(pa.Table.from_pylist(rows), v)
    for (case, _, fails), b in zip(CASES, bits.tolist(), strict=True):
        assert check_names(b) == ([fails] if fails else []), case


def test_invalid_time_and_missing_fields() -> None:
    table = pa.table({"device_time": pa.array([None], pa.timestamp("us", tz="UTC")),
                      "lat_deg": pa.array([None], pa.float64())})
    (b,) = check_bits(table, Validity.from_rules()).tolist()
    # no time; missing position, speed, heading, altitude fail; a missing tacho speed does not
    assert check_names(b) == ["time_invalid", "longitude", "latitude", "gps_speed", "heading",
                              "altitude"]
    assert not b & BIT["unregistered"]  # the registry's check is never stored


def test_bit_layout_is_the_rates_layout() -> None:
    assert CHECKS[0] == "unregistered" and len(CHECKS) == 11
    assert [BIT[c] for c in CHECKS] == [1 << i for i in range(11)]


@pytest.fixture(scope="module")
def both() -> tuple[World, dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    w = World()
    w.provider("P1")
    for case, f, _ in CASES:
        w.vehicle(case, "P1")
        _fix(w, case, f)
    w.resolve()
    compute_rates(w.con, OCT)
    detect(w.con, date(2026, 10, 12), date(2026, 10, 13))
    rates = {u: (int(r), int(q)) for u, r, q in w.con.execute(
        "SELECT unit_id, records, qualified FROM rates.day_partials").fetchall()}
    safety = {u: (int(r), int(q)) for u, r, q in w.con.execute(
        "SELECT vehicle_id, positions, positions_qualified + drift_points "
        "FROM safety.vehicle_days WHERE positions > 0").fetchall()}
    return w, rates, safety


def test_rates_and_detection_qualify_the_same_fixes(both: Any) -> None:
    w, rates, safety = both
    hand = {case: (1, int(fails is None)) for case, _, fails in CASES}
    assert rates == hand
    assert safety == hand
    # the rates' drill-down names the failed check
    named = dict(w.con.execute("SELECT vehicle_id, qual_fail FROM rates.position_flags"
                               ).fetchall())
    assert named == {case: fails for case, _, fails in CASES}


def test_scalar_fix_flags_equal_the_table_checks() -> None:
    """The codec's per-fix flags (numpy scalars) equal :func:`check_bits` on the same fixes as
    a table, value by value on and around every bound, missing fields included."""
    import random

    from hazrisk.validity import DECODER_FLAGS, decoder_flags, fix_flags

    v = Validity.from_rules()
    edges = {
        "lat_deg": [None, 0.0, v.lat_min, v.lat_max, v.lat_min - 1e-9, v.lat_max + 1e-9, 30.2],
        "lon_deg": [None, 0.0, v.lon_min, v.lon_max, v.lon_max + 1e-9, 120.3],
        "speed_kmh": [None, -1.0, 0.0, v.gps_speed_max_kmh, v.gps_speed_max_kmh + 0.1, 60.0],
        "heading_deg": [None, -1.0, 0.0, v.heading_max_deg, v.heading_max_deg + 1, 90.0],
        "altitude_m": [None, v.altitude_min_m - 1, v.altitude_min_m, v.altitude_max_m,
                       v.altitude_max_m + 1, 12.0],
        "device_time": [None, 1],
    }
    rnd = random.Random(7)
    fixes = [{k: rnd.choice(vals) for k, vals in edges.items()} for _ in range(400)]
    table = pa.table({
        **{k: pa.array([f[k] for f in fixes], pa.float64()) for k in edges if k != "device_time"},
        "device_time": pa.array([None if f["device_time"] is None else 0 for f in fixes],
                                pa.int64()).cast(pa.timestamp("us", tz="UTC")),
    })
    cols = decoder_flags(check_bits(table, v))
    present = {"lat_out_of_range": "lat_deg", "lon_out_of_range": "lon_deg",
               "speed_out_of_range": "speed_kmh", "heading_out_of_range": "heading_deg",
               "altitude_out_of_range": "altitude_m"}
    for i, fix in enumerate(fixes):
        want = [f for f in DECODER_FLAGS if cols[f"q_{f}"][i]
                and (f not in present or fix[present[f]] is not None)]
        assert fix_flags(fix, v) == want, fix
