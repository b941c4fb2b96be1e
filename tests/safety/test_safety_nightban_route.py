"""Night ban (expressway 00:00-06:00 Beijing) and approved routes/areas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from safety_builders import World, ts


def _of(df: pd.DataFrame, v: str) -> pd.DataFrame:
    return df[df["vehicle_id"] == v].reset_index(drop=True)


@pytest.fixture(scope="module")
def night() -> pd.DataFrame:
    w = World()
    w.road("E1", "expressway", [(0, 0), (80_000, 0)])
    w.road("O1", "other", [(0, 10_000), (80_000, 10_000)])
    for v in ("A", "B", "C", "D", "E", "F"):
        w.vehicle(v)
    # A: on the expressway 23:50:00 .. 23:59:50 (fixes every 10 s), stopped at 00:00:00
    w.drive("A", ts("2026-10-01 23:50:00"), 600, every=10, speed=70, y0=0)
    # B: on the expressway from 00:00:00 for 2 min
    w.drive("B", ts("2026-10-02 00:00:00"), 120, every=10, speed=70, x0=20_000, y0=0)
    # C: the same on an 'other' road
    w.drive("C", ts("2026-10-02 00:00:00"), 120, every=10, speed=50, y0=10_000)
    # D: a trip 23:55 -> 00:10 on the expressway: the part from 00:00:00
    w.drive("D", ts("2026-10-01 23:55:00"), 900, every=10, speed=70, x0=40_000, y0=0)
    # E: exactly 60 s (00:00:00 .. 00:01:00) -> not more than 60 s; F: 70 s -> event
    w.drive("E", ts("2026-10-02 01:00:00"), 70, every=10, speed=70, x0=60_000, y0=0)
    w.drive("F", ts("2026-10-02 01:00:00"), 80, every=10, speed=70, x0=70_000, y0=0)
    w.detect("2026-10-01", "2026-10-03")
    return w.violations("night_ban")


def test_2359_vs_0000(night: pd.DataFrame) -> None:
    assert len(_of(night, "A")) == 0
    b = _of(night, "B")
    assert len(b) == 1 and b.loc[0, "start_t"] == ts("2026-10-02 00:00:00")
    assert b.loc[0, "end_t"] == ts("2026-10-02 00:01:50")


def test_only_expressways(night: pd.DataFrame) -> None:
    assert len(_of(night, "C")) == 0


def test_trip_into_the_window(night: pd.DataFrame) -> None:
    d = _of(night, "D")
    assert len(d) == 1 and d.loc[0, "start_t"] == ts("2026-10-02 00:00:00")
    assert d.loc[0, "end_t"] == ts("2026-10-02 00:09:50")


def test_more_than_60_s(night: pd.DataFrame) -> None:
    assert len(_of(night, "E")) == 0
    assert len(_of(night, "F")) == 1


@pytest.fixture(scope="module")
def routes() -> pd.DataFrame:
    w = World()
    # enterprise E1: a route along y = 0 with a 500 m buffer; an area 10 x 10 km at x 50-60 km
    w.route("R1", [(0, 0), (40_000, 0)], 500, enterprise_id="E1")
    w.area("A1", [(50_000, -5000), (60_000, -5000), (60_000, 5000), (50_000, 5000)],
           enterprise_id="E1")
    # vehicle VS has its own route along y = 3000 (enterprise fences do not apply to it)
    w.route("RV", [(0, 3000), (40_000, 3000)], 500, enterprise_id="E1", vehicle_id="VS")
    for v in ("IN", "OUT", "AREA", "GAP", "PARK", "VS", "VSX", "NOF"):
        w.vehicle(v, enterprise_id="E2" if v == "NOF" else "E1")
    t = ts("2026-10-01 09:00:00")
    w.drive("IN", t, 300, speed=50, x0=1000, y0=499.9)     # inside the buffer edge
    w.drive("OUT", t, 300, speed=50, x0=1000, y0=500.5)    # just outside
    w.drive("AREA", t, 300, speed=50, x0=51_000, y0=4000)  # off the route but in the area
    # GAP: leaves the corridor for 50 s only (fixes every 10 s) -> none
    x = 1000 + np.arange(12) * 10 * 50 / 3.6
    y = np.where((np.arange(12) >= 3) & (np.arange(12) <= 8), 2000.0, 0.0)
    w.fixes("GAP", t + np.arange(12) * 10.0, x, y, 50.0)
    w.park("PARK", t, 3600, 20_000, 5000)                    # parked outside: not judged
    w.drive("VS", t, 300, speed=50, x0=1000, y0=3000)      # on its own route
    w.vehicle("VSX")
    w.route("RX", [(0, 3000), (40_000, 3000)], 500, enterprise_id="E1", vehicle_id="VSX")
    w.drive("VSX", t, 300, speed=50, x0=1000, y0=0)        # on the enterprise route only
    w.drive("NOF", t, 300, speed=50, x0=1000, y0=9000)     # enterprise without fences
    w.detect("2026-10-01", "2026-10-02")
    return w.violations("off_route")


def test_route_buffer_edge(routes: pd.DataFrame) -> None:
    assert len(_of(routes, "IN")) == 0
    out = _of(routes, "OUT")
    assert len(out) == 1 and out.loc[0, "duration_s"] == 270
    assert "R1" in out.loc[0, "detail_json"] and "A1" in out.loc[0, "detail_json"]


def test_area_allows_any_road(routes: pd.DataFrame) -> None:
    assert len(_of(routes, "AREA")) == 0


def test_short_excursion_and_parking(routes: pd.DataFrame) -> None:
    assert len(_of(routes, "GAP")) == 0
    assert len(_of(routes, "PARK")) == 0


def test_vehicle_fences_replace_enterprise_fences(routes: pd.DataFrame) -> None:
    assert len(_of(routes, "VS")) == 0
    assert len(_of(routes, "VSX")) == 1
    assert len(_of(routes, "NOF")) == 0
