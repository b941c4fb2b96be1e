"""The simulator's truth definitions on literal, hand-computed cases: censored repair tickets,
escalation, tampering counts and the driver on duty (the warehouse is compared with the same
definitions on the sample in tests/safety/test_safety_simulated.py and tests/rates/)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hazrisk.config import load_rules
from hazrisk.simulate.movement import drivers
from hazrisk.simulate.terminal import tampering
from hazrisk.simulate.truth.handling import add_escalation
from hazrisk.simulate.truth.outputs import _device_kpis

H = 3600
END = 1_790_000_000  # the window's end (epoch s)


def test_censored_tickets_are_left_out_of_the_repair_rate() -> None:
    """M1: repaired in 23 h (hit), repaired in 25 h (miss), open and reported 30 h before the
    end (miss: its 24 h are over), open and reported 10 h before the end (censored).
    -> 4 tickets, 1 censored, 1 within 24 h, rate 1 / 3. Exactly 24 h before the end is not
    censored (its 24 h are over at the end)."""
    base = {"maker_id": "M1", "device_model": "A"}
    tickets = pd.DataFrame([
        {**base, "reported_at": END - 50 * H, "repaired_at": END - 27 * H},
        {**base, "reported_at": END - 60 * H, "repaired_at": END - 35 * H},
        {**base, "reported_at": END - 30 * H, "repaired_at": None},
        {**base, "reported_at": END - 10 * H, "repaired_at": None},
        {**base, "maker_id": "M2", "reported_at": END - 24 * H, "repaired_at": None},
    ])
    pres = pd.DataFrame(columns=["maker_id", "device_model", "expected_points",
                                 "recovered_points"])
    k = _device_kpis(tickets, pres, load_rules(), END).set_index(["maker_id", "device_model"])
    m1 = k.loc[("M1", "*")]
    assert (m1["faults"], m1["censored"], m1["repaired_within_24h"]) == (4, 1, 1)
    assert m1["repair_24h_rate"] == round(1 / 3, 6)
    m2 = k.loc[("M2", "*")]
    assert (m2["faults"], m2["censored"], m2["repair_24h_rate"]) == (1, 0, 0.0)


def _ev(start: int, end: int, rem: int | None, actions: str, rule: str = "speeding",
        sub: str = "") -> dict[str, object]:
    return {"vehicle_id": "V1", "rule": rule, "subkind": sub, "start": start, "end": end,
            "reminder_time": rem, "actions": actions}


def test_escalation_truth() -> None:
    """a: reminded while still running, escalated -> due, not a failure. b: reminded after it
    ended, the same rule again 30 min after the reminder (c) -> due, never escalated ->
    failure. c: reminded 2 h after its start -> not reminded (window 1 h), not due.
    d: a dismissed false alarm -> not handled. e: reminded after it ended, the next speeding
    61 min after the reminder -> not due."""
    t = 1_790_000_000
    ev = pd.DataFrame([
        _ev(t, t + 600, t + 300, "reminded;reported_safety_dept"),
        _ev(t + 10 * H, t + 10 * H + 60, t + 10 * H + 120, "reminded"),
        _ev(t + 10 * H + 120 + 1800, t + 10 * H + 2000, t + 12 * H + 1920, "reminded"),
        _ev(t + 20 * H, t + 20 * H, None, "dismissed", "adas", "lane_departure"),
        _ev(t + 30 * H, t + 30 * H + 40, t + 30 * H + 100, "reminded"),
        _ev(t + 31 * H + 100 + 60, t + 31 * H + 200, None, ""),
    ])
    got = add_escalation(ev, load_rules())
    cols = ["reminded", "escalation_due", "escalated", "escalation_failure", "dismissed",
            "handled"]
    rows = [tuple(bool(x) for x in r) for r in got[cols].itertuples(index=False)]
    assert rows == [
        (True, True, True, False, False, True),
        (True, True, False, True, False, True),
        (False, False, False, False, False, False),
        (False, False, False, False, True, False),
        (True, False, False, False, False, True),
        (False, False, False, False, False, False),
    ]


def test_tampering_expected_counts() -> None:
    """Delivered reports (device time order) with the power-down bit: on at 100 (moving),
    off at 110, on at 120 (moving), on at 130, off at 140, on at 150 (parked) -> 3 switches
    on, 2 of them moving: repeated_power_pulls 2 (min 2); power_down reports 4, moving 3.
    The report at 160 (bit on, moving) was not delivered: it counts nowhere."""
    bit = 1 << tampering.BIT["power_down"]
    t = np.array([100, 110, 120, 130, 140, 150, 160], np.int64)
    alarm = np.array([bit, 0, bit, bit, 0, bit, bit], np.int64)
    speed = np.array([40.0, 40.0, 40.0, 40.0, 0.0, 0.0, 40.0])
    delivered = np.array([True, True, True, True, True, True, False])
    rows = tampering.expected(alarm, delivered, t, speed, 2, 5.0)
    assert rows == [{"day": 0, "kind": "power_down", "reports": 4, "moving_reports": 3},
                    {"day": 0, "kind": "repeated_power_pulls", "reports": 2,
                     "moving_reports": 2}]
    assert tampering.expected(alarm, delivered, t, speed, 3, 5.0)[-1]["kind"] == "power_down"


def test_driver_on_duty_truth_and_lost_card_events() -> None:
    """D1 signs in at 100 and out at 200, D2 in at 260 (lost: terminal offline) and out at
    400. True: 150 -> D1, 230 -> nobody, 300 -> D2. Reported: 150 -> D1; 300 -> nobody (no
    reported insertion since D1's removal)."""
    d1 = drivers.Driver("D1", "张三", "330102199001011234", "D1")
    d2 = drivers.Driver("D2", "李四", "330102199202021234", "Q:330102199202021234")
    sessions = [{"driver": d1, "start": 100, "end": 200}, {"driver": d2, "start": 260, "end": 400}]
    rows = [{"in_reported": True, "out_reported": True},
            {"in_reported": False, "out_reported": True}]
    truth, seen = drivers.on_duty(sessions, rows, np.array([150, 230, 300]))
    assert truth == ["D1", None, "D2"] and seen == ["D1", None, None]
    rows[1]["in_reported"] = True
    assert drivers.on_duty(sessions, rows, np.array([300]))[1] == ["Q:330102199202021234"]
