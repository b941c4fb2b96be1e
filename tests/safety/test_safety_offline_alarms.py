"""Offline displacement, moving with a faulty/offline terminal, and ADAS/DSM alarm events."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from safety_builders import World, ts

T = ts("2026-10-01 09:00:00")


def _of(df: pd.DataFrame, v: str, rule: str) -> pd.DataFrame:
    return df[(df["vehicle_id"] == v) & (df["rule_id"] == rule)].reset_index(drop=True)


@pytest.fixture(scope="module")
def offline() -> pd.DataFrame:
    w = World()
    for v in ("G40", "G25", "S15", "FAST", "BF", "PK", "TK", "TL", "TS"):
        w.vehicle(v)
    # G40: real-time silence of 40 min while moving, 50 km further (1.25 km/min) -> event
    te, x, y = w.drive("G40", T, 600, speed=75, y0=0, stop_at_end=False)
    w.drive("G40", te + 2400, 600, speed=75, x0=x + 50_000, y0=y)
    # G25: 25 min silence -> none; S15: 40 min but 15 km -> none
    te, x, y = w.drive("G25", T, 600, speed=75, y0=10_000, stop_at_end=False)
    w.drive("G25", te + 1500, 600, speed=75, x0=x + 30_000, y0=y)
    te, x, y = w.drive("S15", T, 600, speed=75, y0=20_000, stop_at_end=False)
    w.drive("S15", te + 2400, 600, speed=75, x0=x + 15_000, y0=y)
    # FAST: 40 min, 90 km (2.25 km/min > 1.7: a jump, not driving) -> none
    te, x, y = w.drive("FAST", T, 600, speed=75, y0=30_000, stop_at_end=False)
    w.drive("FAST", te + 2400, 600, speed=75, x0=x + 90_000, y0=y)
    # BF: 40 min real-time silence filled by backfill (0x0704) -> still an offline displacement
    # (the platform saw nothing), not a dispatch (the silence began while driving)
    te, x, y = w.drive("BF", T, 600, speed=75, y0=40_000, stop_at_end=False)
    tb = te + np.arange(0, 2400, 30.0)
    w.fixes("BF", tb, x + (tb - te) * 75 / 3.6, y, 75.0, backfill=True)
    w.drive("BF", te + 2400, 600, speed=75, x0=x + 2400 * 75 / 3.6, y0=y)
    # PK: parked, terminal silent for 1 h, reappears 30 km away -> dispatched while offline
    w.fixes("PK", [T, T + 300], 0.0, 50_000.0, 0.0)
    w.drive("PK", T + 300 + 3600, 600, speed=60, x0=30_000, y0=50_000)
    # TK: fault ticket open 10:00-12:00; drives 10:30-11:00 -> dispatch with a faulty terminal
    w.ticket("TK", ts("2026-10-01 10:00:00"), ts("2026-10-01 12:00:00"))
    w.drive("TK", ts("2026-10-01 10:30:00"), 1800, speed=60, y0=60_000)
    w.drive("TK", ts("2026-10-01 13:00:00"), 1800, speed=60, x0=30_000, y0=60_000)
    # TL: stopped at a light (ACC on) as the signal goes for 40 min; backfill shows it driving
    te, x, y = w.drive("TL", T, 600, speed=60, y0=70_000, stop_at_end=False)
    w.fixes("TL", [te], x, y, 0.0, acc=True)
    tb = te + np.arange(30, 2400, 30.0)
    w.fixes("TL", tb, x + (tb - te) * 60 / 3.6, y, 60.0, backfill=True)
    w.drive("TL", te + 2400, 600, speed=60, x0=x + 2400 * 60 / 3.6, y0=y)
    # TS: the terminal dies at 09:30 while driving, the ticket opens at 10:00, the vehicle is
    # repaired at 10:59, seen again at 11:00 30 km further: the move may predate the ticket
    w.ticket("TS", ts("2026-10-01 10:00:00"), ts("2026-10-01 10:59:00"))
    te, x, y = w.drive("TS", T, 1800, speed=60, y0=80_000, stop_at_end=False)
    w.drive("TS", ts("2026-10-01 11:00:00"), 600, speed=60, x0=x + 30_000, y0=y)
    w.detect("2026-10-01", "2026-10-02")
    return w.violations()


def test_offline_displacement_thresholds(offline: pd.DataFrame) -> None:
    e = _of(offline, "G40", "offline_displacement")
    assert len(e) == 1 and e.loc[0, "duration_s"] == 2430  # last moving fix -> next fix
    assert e.loc[0, "distance_km"] == pytest.approx(50 + 30 * 75 / 3600, rel=5e-3)
    for v in ("G25", "S15", "FAST"):
        assert len(_of(offline, v, "offline_displacement")) == 0, v


def test_backfill_does_not_fill_a_real_time_silence(offline: pd.DataFrame) -> None:
    e = _of(offline, "BF", "offline_displacement")
    assert len(e) == 1
    assert json.loads(e.loc[0, "detail_json"])["backfilled_fixes"] == 80
    assert len(_of(offline, "BF", "faulty_terminal_dispatch")) == 0


def test_dispatch_while_offline(offline: pd.DataFrame) -> None:
    e = _of(offline, "PK", "faulty_terminal_dispatch")
    assert len(e) == 1 and json.loads(e.loc[0, "detail_json"])["cause"] == "offline"
    assert e.loc[0, "start_t"] == T + 300


def test_stop_before_a_blind_area_is_not_a_departure(offline: pd.DataFrame) -> None:
    assert len(_of(offline, "TL", "faulty_terminal_dispatch")) == 0
    assert len(_of(offline, "TL", "offline_displacement")) == 1


def test_silence_straddling_the_ticket_is_not_evidence(offline: pd.DataFrame) -> None:
    assert len(_of(offline, "TS", "faulty_terminal_dispatch")) == 0


def test_dispatch_with_open_fault_ticket(offline: pd.DataFrame) -> None:
    e = _of(offline, "TK", "faulty_terminal_dispatch")
    assert len(e) == 1  # the drive after the repair is not one
    assert e.loc[0, "start_t"] == ts("2026-10-01 10:30:00")
    assert e.loc[0, "end_t"] == ts("2026-10-01 11:00:00")
    assert json.loads(e.loc[0, "detail_json"])["cause"] == "fault_ticket"


def test_alarm_events_by_type_and_level(world: World) -> None:
    world.vehicle("V")
    world.drive("V", T, 600, speed=60)
    world.alarm("V", T + 60, "dsm", 0x02, level=1, alarm_id=11)   # phone: start ...
    world.alarm("V", T + 75, "dsm", 0x02, level=2, alarm_id=11)   # ... and end report
    world.alarm("V", T + 200, "adas", 0x01, level=1, alarm_id=12)  # forward collision
    world.alarm("V", T + 300, "adas", 0x09, level=1, alarm_id=13)  # user-defined type
    world.detect("2026-10-01", "2026-10-02")
    df = world.violations()
    got = df[df["rule_group"].isin(["adas", "dsm"])][["rule_id", "alarm_level", "duration_s"]]
    assert got.values.tolist() == [["dsm_phone", 2, 15.0], ["adas_forward_collision", 1, 0.0],
                                   ["adas_type_0x09", 1, 0.0]]
    day = world.con.sql("SELECT n_adas, n_dsm FROM safety.vehicle_days").fetchall()
    assert day == [(2, 1)]
