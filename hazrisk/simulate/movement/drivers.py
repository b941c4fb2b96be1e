"""Drivers on duty: shifts, swaps and the 0x0702 sign-in/out their IC cards report.

A vehicle's *shifts* are its driving stretches separated by stops of at least
:data:`SHIFT_BREAK_S` (2 h, or a day's end). A driver of the vehicle (``drivers.csv`` role
``driver``; the escort rides along but does not drive) inserts the IC card
(从业资格证 IC 卡) 1-10 min before the shift's first move and removes it 1-10 min after its
last; shifts rotate over the vehicle's drivers. With two drivers, a shift longer than
:data:`SWAP_AFTER_S` (3 h of shift time) swaps at its next stop of at least 20 min (a rest):
the first driver's card out 60 s after the stop begins, the second's in 60 s later. Driver
swaps therefore fall in stops, never while moving.

Each card event is reported as 0x0702 (JT/T 808-2013 8.47 / 2019 8.52: card status 1 in /
2 out, time; on insertion the IC read result 0 and the driver's name, qualification
certificate number — the resident ID number, as Chinese road-transport qualification
certificates use it —, issuing authority and expiry; a 2019 terminal adds the ID number)
when the terminal is connected at that moment (the sample at or before it was sent in real
time); a card event while the terminal is offline or powered off is lost (0x0702 is not
stored for blind-area backfill).

Truth: ``driver_sessions.csv`` (every true session, with ``in_reported`` / ``out_reported``)
and, per violation / alarm, ``driver_id`` (the true driver at its start) and
``driver_id_observable`` (what the delivered card events show by the warehouse's rule: a
session runs from a reported insertion to the terminal's next reported card event; the
driver is known by ID number on a 2019 terminal, else by name when the name is unique within
the enterprise, else stays ``Q:<certificate number>``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from hazrisk.localtime import BEIJING
from hazrisk.simulate.movement.track import Track

#: a stop at least this long ends a shift (s)
SHIFT_BREAK_S = 2 * 3600
#: a two-driver shift swaps at its first rest after this much shift time (s)
SWAP_AFTER_S = 3 * 3600
#: a stop at least this long is a rest where drivers can swap (s)
REST_S = 1200
ISSUER = "浙江省道路运输管理局"


@dataclass(frozen=True)
class Driver:
    """A driver as the IC card carries it."""

    driver_id: str
    name: str
    id_number: str
    observed_id: str  # what the warehouse can resolve from a card of this driver


def roster(drivers: list[dict[str, Any]], version: int, name_counts: dict[str, int]
           ) -> list[Driver]:
    """The vehicle's drivers (role ``driver``), each with the id the platform can resolve."""
    out = []
    for d in drivers:
        if d.get("role") != "driver":
            continue
        if version == 2019 or name_counts.get(str(d["name"]), 0) == 1:
            seen = str(d["driver_id"])
        else:
            seen = "Q:" + str(d["id_number"])
        out.append(Driver(str(d["driver_id"]), str(d["name"]), str(d["id_number"]), seen))
    return out


def _stops(track: Track) -> tuple[np.ndarray, np.ndarray]:
    """(last moving time before, next moving time after) of every pause between moving samples."""
    mv = track.t[track.speed > 5]
    return mv[:-1], mv[1:]


def shifts(track: Track, roster_: list[Driver], rng: np.random.Generator
           ) -> list[dict[str, Any]]:
    """True sessions (driver, start, end) of one vehicle, time-ordered, non-overlapping."""
    if not roster_ or not len(track.t):
        return []
    mv = track.t[track.speed > 5]
    if not len(mv):
        return []
    a, b = _stops(track)
    pause = b - a
    cut = np.flatnonzero(pause >= SHIFT_BREAK_S)
    firsts = np.r_[mv[0], b[cut]]
    lasts = np.r_[a[cut], mv[-1]]
    sessions: list[dict[str, Any]] = []
    prev_end = int(track.t[0]) - 1
    for k, (s, e) in enumerate(zip(firsts.tolist(), lasts.tolist(), strict=True)):
        who = k % len(roster_)
        start = max(int(s) - int(rng.integers(60, 601)), prev_end + 1)
        end = int(e) + int(rng.integers(60, 601))
        t = start
        if len(roster_) > 1:
            rests = np.flatnonzero((a >= s) & (b <= e) & (pause >= REST_S))
            last_swap = start
            for r in rests.tolist():
                if int(a[r]) - last_swap < SWAP_AFTER_S:
                    continue
                out_t = int(a[r]) + 60
                sessions.append({"driver": roster_[who], "start": t, "end": out_t})
                who = (who + 1) % len(roster_)
                t = out_t + 60
                last_swap = t
        sessions.append({"driver": roster_[who], "start": t, "end": end})
        prev_end = end
    return sessions


def card_messages(sessions: list[dict[str, Any]], connected: np.ndarray, t: np.ndarray,
                  version: int, t_end: int, latency_ms: int
                  ) -> tuple[list[tuple[int, int, dict[str, Any]]], list[dict[str, Any]]]:
    """0x0702 messages ``(send_ms, recv_ms, body)`` and the truth rows of the sessions.

    ``connected`` marks samples sent in real time; a card event is reported when the sample
    at or before it was (and it arrives before ``t_end``).
    """
    msgs: list[tuple[int, int, dict[str, Any]]] = []
    rows: list[dict[str, Any]] = []

    def reported(when: int) -> bool:
        i = int(np.searchsorted(t, when, side="right")) - 1
        return i >= 0 and bool(connected[i]) and when * 1000 + latency_ms < t_end * 1000

    for s in sessions:
        d: Driver = s["driver"]
        flags = []
        for status, when in ((1, s["start"]), (2, s["end"])):
            ok = reported(when)
            flags.append(ok)
            if not ok:
                continue
            body: dict[str, Any] = {"card_status": status,
                                    "time": dt.datetime.fromtimestamp(when, BEIJING)}
            if status == 1:
                body.update({"ic_result": 0, "driver_name": d.name,
                             "qualification_no": d.id_number, "issuer": ISSUER,
                             "cert_expiry": _expiry(d.id_number)})
                if version == 2019:
                    body["id_card_no"] = d.id_number
            msgs.append((when * 1000, when * 1000 + latency_ms, body))
        rows.append({"driver_id": d.driver_id, "start": s["start"], "end": s["end"],
                     "in_reported": flags[0], "out_reported": flags[1]})
    return msgs, rows


def _expiry(id_number: str) -> dt.date:
    return dt.date(2027 + int(id_number[14]) % 5, 1 + int(id_number[15]) % 12, 28)


def on_duty(sessions: list[dict[str, Any]], rows: list[dict[str, Any]], times: np.ndarray
            ) -> tuple[list[str | None], list[str | None]]:
    """(true driver, driver the reported card events show) at each of ``times``."""
    truth: list[str | None] = [None] * len(times)
    for s in sessions:
        inside = (times >= s["start"]) & (times < s["end"])
        for i in np.flatnonzero(inside).tolist():
            truth[i] = s["driver"].driver_id
    # reported card events in time order: a session from a reported insertion to the next
    # reported event of either kind
    events: list[tuple[int, int, str | None]] = []
    for s, r in zip(sessions, rows, strict=True):
        if r["in_reported"]:
            events.append((s["start"], 1, s["driver"].observed_id))
        if r["out_reported"]:
            events.append((s["end"], 2, None))
    events.sort(key=lambda e: (e[0], e[1]))
    seen: list[str | None] = [None] * len(times)
    for k, (when, status, who) in enumerate(events):
        if status != 1:
            continue
        until = events[k + 1][0] if k + 1 < len(events) else np.iinfo(np.int64).max
        for i in np.flatnonzero((times >= when) & (times < until)).tolist():
            seen[i] = who
    return truth, seen


__all__ = ["ISSUER", "REST_S", "SHIFT_BREAK_S", "SWAP_AFTER_S", "Driver", "card_messages",
           "on_duty", "roster", "shifts"]
