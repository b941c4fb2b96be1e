"""The observable truth of one vehicle: what reached the platform (delivery code of each
true sample), which true events the delivered samples show (``observable`` / ``evidence``)
and the data preservation during outages (device KPI D2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hazrisk.simulate.movement import events
from hazrisk.simulate.movement.track import Track
from hazrisk.simulate.terminal import recording

if TYPE_CHECKING:
    from hazrisk.simulate.vehicle import Context

#: delivery codes (truth.outputs.DELIVERY) of samples that reached the platform as usable fixes
DELIVERED = (0, 4)  # realtime, backfill
_TRACK_RULES = ("speeding", "night_ban", "fatigue", "off_route")
_SHORT_RULES = ("speeding", "night_ban", "off_route")


def observability(track: Track, delivery: np.ndarray, violations: list[dict[str, Any]],
                   alarm_cases: list[dict[str, Any]], alarms: dict[str, np.ndarray],
                   ok_alarm: np.ndarray, ctx: Context, eid: str) -> list[dict[str, Any]]:
    """Mark each true event ``observable`` / ``evidence`` and return the observable-only events.

    The observable version of the truth: the same rules (``events.detect``) on the samples that
    reached the platform (real time or backfill), reading silences by ``events.GapPolicy``.
    A true track-rule event is observable when an observable event of the same rule and
    subkind overlaps it (short-run rules also need a delivered sample inside it); ``evidence``
    is ``delivered`` (observable), ``partial`` (samples were delivered inside it but they do
    not show it: e.g. driving across a silence in which a rest could have fitted) or ``none``
    (nothing delivered inside it). Offline displacement is judged on the received records:
    always observable. A faulty-terminal dispatch needs a delivered moving (> 5 km/h) sample.
    ADAS/DSM alarms travel only in real-time frames: observable when their frame was received.
    Returned: the observable events that overlap no true event (``in_truth`` false), e.g. a
    day at 8 h 00 min of true driving that the delivered fixes show as 8 h 00 min 58 s
    because a stopped fix was lost (a fix's state holds until the next fix).
    """
    t = track.t
    ok = np.isin(delivery, DELIVERED)
    sel = np.flatnonzero(ok)
    sub = Track(t=t[sel], lat=track.lat[sel], lon=track.lon[sel], speed=track.speed[sel],
                road_class=track.road_class[sel], acc=track.acc[sel],
                loaded=track.loaded[sel], odo_km=track.odo_km[sel])
    obs = events.detect(sub, ctx.rules, ctx.allowed[eid], events.GapPolicy.from_rules(ctx.rules))
    cum_ok = np.r_[0, np.cumsum(ok)]
    cum_mv = np.r_[0, np.cumsum(ok & (track.speed > 5))]
    used = np.zeros(len(obs), bool)
    for ev in violations:
        lo = int(np.searchsorted(t, ev["start"], "left"))
        hi = int(np.searchsorted(t, ev["end"], "right"))
        inside = int(cum_ok[hi] - cum_ok[lo])
        rule = ev["rule"]
        if rule in _TRACK_RULES:
            hit = np.array([o["rule"] == rule and o["subkind"] == ev["subkind"]
                            and o["start"] <= ev["end"] and ev["start"] <= o["end"]
                            for o in obs], bool)
            used |= hit
            seen = bool(hit.any()) and (inside > 0 or rule not in _SHORT_RULES)
        elif rule == "faulty_terminal_dispatch":
            seen = cum_mv[hi] - cum_mv[lo] > 0
        else:  # offline_displacement: judged on the received records
            seen = True
        ev["observable"] = bool(seen)
        ev["evidence"] = "delivered" if seen else ("partial" if inside else "none")
    sent = set(alarms["idx"][ok_alarm].tolist())
    for a in alarm_cases:
        i = int(a["start_idx"])
        a["observable"] = bool(i in sent and delivery[i] == 0)
    return [{k: v for k, v in o.items() if k not in ("start_idx", "end_idx")}
            | {"in_truth": False} for o, u in zip(obs, used, strict=True) if not u]


def delivery_codes(plan: recording.Plan, rt: np.ndarray, rec: dict[str, np.ndarray], t_end: int
              ) -> np.ndarray:
    """Per sample, how it reached the platform (codes: truth.outputs.DELIVERY)."""
    d = np.full(len(rt), 7, dtype=np.int8)  # unrecorded
    d[plan.state == recording.STORED] = 6  # pending unless backfilled or lost
    d[plan.backfill_lost] = 5
    d[rt] = 0
    d[rt & (plan.qfault > 0)] = 1
    d[rt & (plan.ffault == recording.F_CHECKSUM)] = 2
    d[rt & plan.dropped] = 3
    got = np.zeros(len(rt), bool)
    got[rec["idx"]] = True
    d[got & rec_backfill_mask(rec, len(rt))] = 4
    late = rt & ~plan.dropped & (plan.ffault != recording.F_CHECKSUM) & ~got
    d[late] = 8  # received after the window
    return d


def preservation(state: np.ndarray, delivery: np.ndarray) -> dict[str, int]:
    """Data preservation during outages (device KPI D2) of one vehicle.

    An outage sample is a sample of the terminal's clock (the true track, at its report
    interval) taken while it was offline (blind-area storage) or without power, i.e. one the
    platform did not get in real time because of the outage; counted when the outage ended
    before the window's end (a real-time record received after it), as only then does the
    platform see the gap. Recovered = delivered by 0x0704 blind-area backfill. GNSS faults
    (real-time reports without a fix) leave no gap; a never-online terminal has none either.
    """
    silent = (state == recording.STORED) | (state == recording.UNRECORDED)
    received = np.flatnonzero((delivery == 0) | (delivery == 1))  # realtime, faulted
    closed = np.arange(len(state)) < (received[-1] if len(received) else -1)
    out = silent & closed
    return {"expected_points": int(out.sum()),
            "recovered_points": int((out & (delivery == 4)).sum())}


def rec_backfill_mask(rec: dict[str, np.ndarray], n: int) -> np.ndarray:
    m = np.zeros(n, bool)
    m[rec["idx"][rec["backfill"]]] = True
    return m
