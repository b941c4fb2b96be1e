"""Fatigue: exactly 4 h vs 4 h + one report, 19 vs 20 min rests, night, daily, midnight and
period boundaries, and data gaps (the gap policy of hazrisk.safety.track).

Fixes every 30 s while moving (sample and hold: a fix's state holds until the next fix).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from safety_builders import World, ts

H = 3600.0


def _of(df: pd.DataFrame, v: str, rule: str) -> pd.DataFrame:
    return df[(df["vehicle_id"] == v) & (df["rule_id"] == rule)].reset_index(drop=True)


@pytest.fixture(scope="module")
def oct1() -> tuple[World, pd.DataFrame]:
    w = World()
    for v in ("X4", "X4P", "R19", "R20", "N1", "N2", "D9", "GD", "GS", "GU"):
        w.vehicle(v)
    t0 = ts("2026-10-01 08:00:00")
    # X4: moving fixes 08:00:00 .. 12:00:00, stopped at 12:00:30 -> exactly 4 h: no event
    te, x, y = w.drive("X4", t0, 4 * H + 30, y0=0)
    w.park("X4", te, 3600, x, y)
    # X4P: one more moving report (last moving fix at 12:00:30, stop at 12:01:00)
    te, x, y = w.drive("X4P", t0, 4 * H + 60, y0=10_000)
    w.park("X4P", te, 3600, x, y)
    # R19 / R20: 3 h, a stop of 19 / 20 min, 1.5 h more
    for v, rest, y0 in (("R19", 19 * 60, 20_000), ("R20", 20 * 60, 30_000)):
        te, x, y = w.drive(v, t0, 3 * H, y0=y0)
        w.park(v, te, rest - 60, x, y, every=60)
        te, x, y = w.drive(v, te + rest, 1.5 * H, x0=x, y0=y)
        w.park(v, te, 3600, x, y)
    # N1: night 22:30 -> 00:45 continuous (2 h 15 min in the night window) -> night event
    te, x, y = w.drive("N1", ts("2026-10-01 22:30:00"), 2.25 * H, y0=40_000)
    w.park("N1", te, 3600, x, y)
    # N2: 22:00 -> 23:59 (1 h 59 min) -> none
    te, x, y = w.drive("N2", ts("2026-10-01 22:00:00"), 1 * H + 59 * 60, y0=50_000)
    w.park("N2", te, 3600, x, y)
    # D9: three 3 h stretches with 30 min rests: 06-09, 09:30-12:30, 13-16 -> 9 h in the day
    t = ts("2026-10-01 06:00:00")
    x, y = 0.0, 60_000.0
    for _ in range(3):
        te, x, y = w.drive("D9", t, 3 * H, x0=x, y0=y, speed=40)
        w.park("D9", te, 1800, x, y)
        t = te + 1800
    # gaps: 3 h driving, a 40 min silence, 1.5 h driving
    # GD: moved 50 km in the silence (no 20 min rest fits at <= 102 km/h) -> continuous
    te, x, y = w.drive("GD", t0, 3 * H, y0=70_000, stop_at_end=False)
    w.drive("GD", te + 2400, 1.5 * H, x0=x + 50_000, y0=y)
    # GS: did not move and stopped at both ends -> a rest
    te, x, y = w.drive("GS", t0, 3 * H, y0=80_000)
    w.drive("GS", te + 2400, 1.5 * H, x0=x, y0=y)
    # GU: 90 min silence, moved 20 km (a rest could fit) -> unknown: ends the stretch
    te, x, y = w.drive("GU", t0, 3 * H, y0=90_000, stop_at_end=False)
    w.drive("GU", te + 5400, 1.5 * H, x0=x + 20_000, y0=y)
    w.detect("2026-10-01", "2026-10-03")
    return w, w.violations()


def test_exactly_four_hours_is_not_a_violation(oct1: tuple[World, pd.DataFrame]) -> None:
    _, df = oct1
    assert len(_of(df, "X4", "fatigue_continuous")) == 0


def test_four_hours_and_one_report(oct1: tuple[World, pd.DataFrame]) -> None:
    _, df = oct1
    e = _of(df, "X4P", "fatigue_continuous")
    assert len(e) == 1
    assert e.loc[0, "start_t"] == ts("2026-10-01 12:00:00")
    assert e.loc[0, "end_t"] == ts("2026-10-01 12:00:30")
    assert json.loads(e.loc[0, "detail_json"])["stretch_start"] == ts("2026-10-01 08:00:00")
    assert json.loads(e.loc[0, "detail_json"])["stretch_drive_s"] == 4 * H + 60


def test_rest_19_vs_20_minutes(oct1: tuple[World, pd.DataFrame]) -> None:
    _, df = oct1
    e = _of(df, "R19", "fatigue_continuous")
    assert len(e) == 1  # 19 min is not a rest: 08:00 + 4 h
    assert e.loc[0, "start_t"] == ts("2026-10-01 12:00:00")
    assert len(_of(df, "R20", "fatigue_continuous")) == 0


def test_night_continuous(oct1: tuple[World, pd.DataFrame]) -> None:
    _, df = oct1
    e = _of(df, "N1", "fatigue_night")
    assert len(e) == 1
    assert e.loc[0, "start_t"] == ts("2026-10-02 00:30:00")  # 22:30 + 2 h, across midnight
    assert e.loc[0, "end_t"] == ts("2026-10-02 00:44:30")  # the last moving fix
    assert e.loc[0, "day"].isoformat()[:10] == "2026-10-02"
    assert len(_of(df, "N2", "fatigue_night")) == 0


def test_daily_cumulative(oct1: tuple[World, pd.DataFrame]) -> None:
    _, df = oct1
    assert len(_of(df, "D9", "fatigue_continuous")) == 0
    e = _of(df, "D9", "fatigue_daily")
    assert len(e) == 1
    assert e.loc[0, "start_t"] == ts("2026-10-01 15:00:00")  # the 8th hour ends at 15:00
    assert e.loc[0, "end_t"] == ts("2026-10-01 16:00:00")


def test_gap_with_displacement_counts_as_driving(oct1: tuple[World, pd.DataFrame]) -> None:
    _, df = oct1
    e = _of(df, "GD", "fatigue_continuous")
    assert len(e) == 1 and e.loc[0, "start_t"] == ts("2026-10-01 12:00:00")


def test_gap_without_movement_is_rest(oct1: tuple[World, pd.DataFrame]) -> None:
    _, df = oct1
    assert len(_of(df, "GS", "fatigue_continuous")) == 0


def test_unknown_gap_ends_stretch_and_is_not_driving(oct1: tuple[World, pd.DataFrame]) -> None:
    w, df = oct1
    assert len(_of(df, "GU", "fatigue_continuous")) == 0
    day = w.con.sql("SELECT driving_h, km FROM safety.vehicle_days WHERE vehicle_id = 'GU' "
                    "AND day = DATE '2026-10-01'").fetchall()[0]
    # the silence (from the last moving fix at 10:59:30) is not driving time ...
    assert day[0] == pytest.approx(4.5 - 30 / H)
    assert day[1] == pytest.approx(4.5 * 50 + 20, rel=5e-3)  # ... but its displacement is km


def test_fatigue_minutes_in_history(oct1: tuple[World, pd.DataFrame]) -> None:
    w, _ = oct1
    rows = dict(w.con.sql("SELECT vehicle_id, fatigue_min FROM safety.vehicle_days "
                          "WHERE day = DATE '2026-10-01'").fetchall())
    assert rows["X4"] == 0 and rows["X4P"] == pytest.approx(0.5)  # 12:00:00 -> 12:00:30
    assert rows["R19"] == pytest.approx(48.5)  # 12:00 -> 12:48:30 (last moving fix)


def test_trip_across_midnight_and_period_boundary() -> None:
    """A stretch 20:00 (30 Sep) -> 01:00 (1 Oct): the 4 h onset (00:00) and the night onset
    (00:00) belong to 1 Oct, the October period; detecting September alone does not see them,
    detecting October alone does (context before the range)."""
    w = World()
    w.vehicle("M")
    te, x, y = w.drive("M", ts("2026-09-30 20:00:00"), 5 * H)
    w.park("M", te, 3600, x, y)
    w.detect("2026-09-30", "2026-10-01")
    assert len(w.violations()) == 0
    sep = w.con.sql("SELECT km, driving_h, night_h FROM safety.vehicle_days "
                    "WHERE vehicle_id = 'M' AND day = DATE '2026-09-30'").fetchall()[0]
    assert sep == pytest.approx((4 * 50, 4.0, 2.0), rel=5e-3)  # km on the sphere
    w.detect("2026-10-01", "2026-11-01")
    df = w.violations()
    assert sorted(df["rule_id"]) == ["fatigue_continuous", "fatigue_night"]
    assert set(df["start_t"]) == {ts("2026-10-01 00:00:00")}
    assert set(df["day"].astype(str).str[:10]) == {"2026-10-01"}
    oct_ = w.con.sql("SELECT km, driving_h, night_h FROM safety.vehicle_days "
                     "WHERE vehicle_id = 'M' AND day = DATE '2026-10-01'").fetchall()[0]
    assert oct_ == pytest.approx((50.0, 1.0, 1.0), rel=5e-3)
    months = w.con.sql("SELECT period, n_fatigue FROM safety.enterprise_months "
                       "ORDER BY period").fetchall()
    assert months == [("2026-09", 0), ("2026-10", 2)]


def test_rolling_window_option() -> None:
    from hazrisk.safety import SafetyParams

    w = World()
    w.vehicle("R")
    # 5 h on 1 Oct 18:00-23:00 (rests every 2.5 h) and 4 h on 2 Oct 06:00-10:00: per calendar
    # day 5 h and 4 h (no event); in a rolling 24 h window 5 + 2 + 1 = 8 h at 09:30 on 2 Oct
    t = ts("2026-10-01 18:00:00")
    x = 0.0
    for start, hours in ((t, 2.5), (t + 3 * H, 2.5), (ts("2026-10-02 06:00:00"), 2.0),
                         (ts("2026-10-02 08:30:00"), 2.0)):
        te, x, y = w.drive("R", start, hours * H, x0=x)
        w.park("R", te, 1800, x, y)
    p = SafetyParams.from_rules()
    w.detect(params=p)
    assert len(w.violations("fatigue_daily")) == 0
    w.detect(params=SafetyParams(**{**p.__dict__, "daily_window": "rolling"}))
    e = w.violations("fatigue_daily")
    assert len(e) == 1 and e.loc[0, "start_t"] == pytest.approx(ts("2026-10-02 09:30:00"))
    assert np.isfinite(e.loc[0, "end_t"])
