"""Behaviour events on the true track: ADAS/DSM alarms drawn, violations detected by the rules.

Violations are found on the *true* sampled track with the default rules (``conf/rules.toml``),
using these exact definitions (``truth/README.md`` repeats them):

* ``speeding``: consecutive samples with speed > limit of their road class (80 expressway /
  60 other); a run counts when ``t_last - t_first > event_min_duration_s`` (more than 30 s,
  超过30秒: exactly 30 s is not an event); runs whose
  gap (next start - previous end) is <= ``merge_window_s`` (60 s) merge; severity by the
  maximum ratio over the limit, ``serious`` at >= 0.5.
* ``night_ban``: consecutive samples on an expressway at > ``min_speed_kmh`` (5) in
  00:00-06:00 Beijing time; a run counts when ``t_last - t_first > min_duration_s`` (60 s).
* ``fatigue``: a *spell* runs from a moving sample to the last moving sample before a stop of
  >= ``rest_min_s`` (1200 s; stop = first to last stationary sample before moving again);
  ``continuous``: spell longer than 4 h (event from spell start + 4 h to spell end);
  ``night``: the part of a spell inside 22:00-06:00 longer than 2 h; ``daily``: more than 8 h
  of driving (sum of sample gaps after moving samples, gaps < 1200 s) in a Beijing day.
* ``off_route``: consecutive moving (> 5 km/h) samples outside every approved route buffer and
  area of the vehicle's enterprise; a run counts when ``t_last - t_first >= 60`` s.
* ``offline_displacement``: on the received real-time records the data-qualification rule
  accepts (see :func:`offline_displacement`).

The *observable* version (``detect(..., gaps=GapPolicy)``) runs the same rules on the samples
that reached the platform, reading silences by :class:`GapPolicy`; ``truth.observable.observability``
marks each true event with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hazrisk.simulate.movement.track import BJ, DAY, Track

#: Codes of the alarm types the simulator raises (names in :mod:`hazrisk.jt808.alarm_types`).
SIMULATED_ADAS: tuple[int, ...] = (0x01, 0x02, 0x03, 0x05)
SIMULATED_DSM: tuple[int, ...] = (0x01, 0x02, 0x03, 0x04)


def runs(mask: np.ndarray, breaks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(first index, last index) of each run of True; ``breaks[k]`` (length n - 1) cuts the
    run between samples ``k`` and ``k + 1``."""
    m = np.asarray(mask, bool)
    if breaks is None or len(m) < 2:
        mm = np.concatenate([[False], m, [False]])
        d = np.diff(mm.astype(np.int8))
        return np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    link = m[:-1] & m[1:] & ~np.asarray(breaks, bool)
    return (np.flatnonzero(m & ~np.r_[False, link]), np.flatnonzero(m & ~np.r_[link, False]))


@dataclass(frozen=True)
class GapPolicy:
    """How the *observable* rules read silences in the delivered samples (the platform's view).

    The true track has no silences (the terminal samples every interval); the samples that
    reached the platform do. A silence is a step longer than ``gap_s``. It is a stop when the
    vehicle stayed within ``stationary_km`` and both ends are stopped; driving when it moved
    and no rest of ``rest_s`` can have fitted (``dt - km / max_kmh < rest_s``); otherwise
    *unknown*: neither driving nor rest, and it ends a fatigue spell (continuity is not
    evidenced). Short-run rules (speeding, night ban, off route) break their runs at steps
    longer than ``run_gap_s``. The same policy as hazrisk.safety's gap policy
    (``[safety]`` in conf/rules.toml, max speed = the offline-displacement 1.7 km/min).
    """

    gap_s: int = 300
    stationary_km: float = 0.5
    max_kmh: float = 102.0
    rest_s: int = 1200
    run_gap_s: int = 120

    @classmethod
    def from_rules(cls, rules: Any) -> GapPolicy:
        sf = getattr(rules, "sections", {}).get("safety") or {}
        return cls(gap_s=int(sf.get("gap_s", 300)),
                   stationary_km=float(sf.get("stationary_km", 0.5)),
                   max_kmh=float(rules.offline_displacement.max_km_per_min) * 60.0,
                   rest_s=int(rules.fatigue.rest_min_s),
                   run_gap_s=int(sf.get("run_gap_s", 120)))

    def steps(self, track: Track) -> tuple[np.ndarray, np.ndarray]:
        """Per step (k -> k + 1): (silence counted as driving, unknown silence)."""
        from hazrisk.simulate.fleet.geo import haversine_km

        t, v = track.t, track.speed
        if len(t) < 2:
            z = np.zeros(0, bool)
            return z, z
        dt = np.diff(t).astype(np.float64)
        km = haversine_km(track.lat[:-1], track.lon[:-1], track.lat[1:], track.lon[1:])
        silence = dt > self.gap_s
        stop = (km < self.stationary_km) & (v[:-1] <= 0) & (v[1:] <= 0)
        drive = silence & ~stop & (dt - km / self.max_kmh * 3600.0 < self.rest_s)
        return drive, silence & ~stop & ~drive


def make_alarms(track: Track, veh: dict[str, Any], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """ADAS (0x64) and DSM (0x65) alarms: true events correlated with behaviour, plus false ones.

    Returns arrays ``idx`` (sample), ``system`` (0x64 or 0x65), ``alarm_type``, ``level``,
    ``true_event``; at most one alarm per sample.
    """
    moving = np.flatnonzero(track.speed > 30)
    empty = {"idx": np.zeros(0, np.int64), "system": np.zeros(0, np.int64),
             "alarm_type": np.zeros(0, np.int64), "level": np.zeros(0, np.int64),
             "true_event": np.zeros(0, bool)}
    if not len(moving):
        return empty
    km = float(track.odo_km[-1] - track.odo_km[0])
    limit = np.where(track.road_class == 0, 80.0, 60.0)
    over = np.flatnonzero(track.speed > limit)
    n_dsm = int(rng.poisson(float(veh["dsm_rate"]) * km / 1000.0))
    n_adas = int(rng.poisson((0.4 + 1.5 * float(veh["speeding_rate"])) * km / 1000.0))
    n_false = int(rng.poisson(0.5 * km / 1000.0))
    idx: list[int] = []
    system: list[int] = []
    atype: list[int] = []
    true_ev: list[bool] = []
    for _ in range(n_dsm):
        idx.append(int(moving[int(rng.integers(0, len(moving)))]))
        system.append(0x65)
        atype.append(int(rng.choice([1, 2, 3, 4], p=[0.25, 0.3, 0.2, 0.25])))
        true_ev.append(True)
    for _ in range(n_adas):
        pool = over if len(over) and rng.random() < 0.5 else moving
        idx.append(int(pool[int(rng.integers(0, len(pool)))]))
        system.append(0x64)
        atype.append(int(rng.choice([1, 2, 3, 5], p=[0.35, 0.35, 0.2, 0.1])))
        true_ev.append(True)
    for _ in range(n_false):
        idx.append(int(moving[int(rng.integers(0, len(moving)))]))
        sys_ = 0x64 if rng.random() < 0.5 else 0x65
        system.append(sys_)
        atype.append(int(rng.choice(list(SIMULATED_ADAS if sys_ == 0x64 else SIMULATED_DSM))))
        true_ev.append(False)
    if not idx:
        return empty
    arr_idx = np.array(idx)
    _, first = np.unique(arr_idx, return_index=True)
    first = np.sort(first)
    order = first[np.argsort(arr_idx[first], kind="stable")]
    return {"idx": arr_idx[order], "system": np.array(system)[order],
            "alarm_type": np.array(atype)[order],
            "level": rng.choice([1, 2], size=len(order), p=[0.7, 0.3]),
            "true_event": np.array(true_ev)[order]}


def _event(rule: str, sub: str, t: np.ndarray, i: int, j: int, **extra: Any) -> dict[str, Any]:
    return {"rule": rule, "subkind": sub, "start": int(t[i]), "end": int(t[j]),
            "start_idx": int(i), "end_idx": int(j), **extra}


def _run_breaks(track: Track, gaps: GapPolicy | None) -> np.ndarray | None:
    return None if gaps is None else np.diff(track.t) > gaps.run_gap_s


def speeding(track: Track, rules: Any, gaps: GapPolicy | None = None) -> list[dict[str, Any]]:
    sp = rules.speed
    limit = np.where(track.road_class == 0, float(sp.hazmat_expressway_kmh),
                     float(sp.hazmat_other_kmh))
    a, b = runs(track.speed > limit, _run_breaks(track, gaps))
    t = track.t
    keep = (t[b] - t[a]) > int(sp.event_min_duration_s)
    a, b = a[keep], b[keep]
    events: list[dict[str, Any]] = []
    for i, j in zip(a, b, strict=True):
        if events and t[i] - events[-1]["end"] <= int(sp.merge_window_s):
            events[-1]["end"], events[-1]["end_idx"] = int(t[j]), int(j)
        else:
            events.append(_event("speeding", "", t, int(i), int(j)))
    bands = list(sp.severity_bands)
    for e in events:
        sl = slice(e["start_idx"], e["end_idx"] + 1)
        ratio = track.speed[sl] / limit[sl] - 1.0
        k = int(np.argmax(ratio))
        e["max_speed_kmh"] = float(track.speed[sl][k])
        e["limit_kmh"] = float(limit[sl][k])
        e["over_ratio"] = round(float(ratio[k]), 4)
        band = int(np.searchsorted(bands, e["over_ratio"], side="right"))
        e["severity"] = "serious" if e["over_ratio"] >= float(bands[-1]) else f"band{band}"
    return events


def _tod(t: np.ndarray) -> np.ndarray:
    return (t + BJ) % DAY


def _hhmm(s: str) -> int:
    h, m = s.split(":")
    return int(h) * 3600 + int(m) * 60


def night_ban(track: Track, rules: Any, gaps: GapPolicy | None = None) -> list[dict[str, Any]]:
    nb = rules.night_ban
    tod = _tod(track.t)
    lo, hi = _hhmm(nb.start), _hhmm(nb.end)
    inside = (tod >= lo) & (tod < hi) if lo < hi else (tod >= lo) | (tod < hi)
    mask = inside & (track.road_class == 0) & (track.speed > float(nb.min_speed_kmh))
    a, b = runs(mask, _run_breaks(track, gaps))
    t = track.t
    return [_event("night_ban", "", t, int(i), int(j))
            for i, j in zip(a, b, strict=True) if t[j] - t[i] > int(nb.min_duration_s)]


def fatigue(track: Track, rules: Any, gaps: GapPolicy | None = None) -> list[dict[str, Any]]:
    fr = rules.fatigue
    t, v = track.t, track.speed
    rest = int(fr.rest_min_s)
    moving = v > 0
    gap_drive = unknown = np.zeros(max(len(t) - 1, 0), bool)
    spell_mv = moving
    if gaps is not None:  # delivered samples: a silence counted as driving joins the spell
        gap_drive, unknown = gaps.steps(track)
        spell_mv = moving | np.r_[gap_drive, False] | np.r_[False, gap_drive]
    if not spell_mv.any():
        return []
    mi = np.flatnonzero(spell_mv)
    # a stop between two moving samples counts as rest when the stationary stretch >= rest
    stat_len = np.zeros(len(mi) - 1, dtype=np.int64)
    has_stop = mi[1:] - mi[:-1] > 1
    stat_len[has_stop] = t[mi[1:][has_stop] - 1] - t[mi[:-1][has_stop] + 1]
    cut = has_stop & (stat_len >= rest)
    if gaps is not None:  # delivered samples: an unknown silence ends the spell
        cu = np.r_[0, np.cumsum(unknown)]
        cut |= cu[mi[1:]] - cu[mi[:-1]] > 0
    brk = np.flatnonzero(cut)
    starts = np.concatenate([[0], brk + 1])
    ends = np.concatenate([brk, [len(mi) - 1]])
    events: list[dict[str, Any]] = []
    cmax = int(fr.continuous_max_s)
    nmax = int(fr.night_continuous_max_s)
    n0, n1 = _hhmm(fr.night_start), _hhmm(fr.night_end)
    for s, e in zip(starts, ends, strict=True):
        ts, te = int(t[mi[s]]), int(t[mi[e]])
        if te - ts > cmax:
            k = int(np.searchsorted(t, ts + cmax, side="right"))
            events.append({"rule": "fatigue", "subkind": "continuous", "start": ts + cmax,
                           "end": te, "start_idx": k, "end_idx": int(mi[e]),
                           "spell_start": ts})
        # night windows overlapping the spell
        day0 = (ts + BJ) // DAY * DAY - BJ
        for d in range(day0 - DAY, te + DAY, DAY):
            w0, w1 = d + n0, d + DAY + n1
            a, b = max(ts, w0), min(te, w1)
            if b - a > nmax:
                k = int(np.searchsorted(t, a + nmax, side="right"))
                events.append({"rule": "fatigue", "subkind": "night", "start": a + nmax,
                               "end": b, "start_idx": k,
                               "end_idx": int(np.searchsorted(t, b, side="right") - 1),
                               "spell_start": ts})
    # daily cumulative driving
    dt = np.diff(t)
    drive = (moving[:-1] & (dt < rest) & ~unknown) | gap_drive
    day = (t[:-1] + BJ) // DAY
    dmax = int(fr.daily_cumulative_max_s)
    for d in np.unique(day[drive]):
        sel = np.flatnonzero(drive & (day == d))
        cum = np.cumsum(dt[sel])
        if cum[-1] > dmax:
            k = int(sel[int(np.searchsorted(cum, dmax, side="right"))])
            events.append({"rule": "fatigue", "subkind": "daily", "start": int(t[k + 1]),
                           "end": int(t[sel[-1] + 1]), "start_idx": k + 1,
                           "end_idx": int(sel[-1] + 1), "driving_s": int(cum[-1])})
    return sorted(events, key=lambda e: (e["start"], e["subkind"]))


def off_route(track: Track, allowed: Callable[[np.ndarray, np.ndarray], np.ndarray],
              min_duration_s: int = 60, merge_s: int = 60, gaps: GapPolicy | None = None
              ) -> list[dict[str, Any]]:
    moving = np.flatnonzero(track.speed > 5)
    outside = np.zeros(len(track), bool)
    if len(moving):
        outside[moving] = ~allowed(track.lat[moving], track.lon[moving])
    a, b = runs(outside, _run_breaks(track, gaps))
    t = track.t
    merged: list[list[int]] = []
    for i, j in zip(a, b, strict=True):
        if merged and t[i] - t[merged[-1][1]] <= merge_s:
            merged[-1][1] = int(j)
        else:
            merged.append([int(i), int(j)])
    return [_event("off_route", "", t, i, j) for i, j in merged if t[j] - t[i] >= min_duration_s]


def faulty_dispatch(track: Track, tickets: list[dict[str, Any]], t_end: int
                    ) -> list[dict[str, Any]]:
    """Moving while a fault ticket of the terminal is open (reported_at .. repaired_at)."""
    out = []
    for tk in tickets:
        a = int(tk["reported_at"])
        b = int(tk["repaired_at"]) if tk["repaired_at"] is not None else t_end
        sl = slice(int(np.searchsorted(track.t, a)), int(np.searchsorted(track.t, b)))
        mv = np.flatnonzero(track.speed[sl] > 5) + sl.start
        if len(mv):
            out.append({**_event("faulty_terminal_dispatch", tk["fault_kind"], track.t,
                                 int(mv[0]), int(mv[-1])), "seen_realtime": False,
                        "reminder_time": None, "reminder_via": None, "actions": ""})
    return out


def detect(track: Track, rules: Any,
           allowed: Callable[[np.ndarray, np.ndarray], np.ndarray],
           gaps: GapPolicy | None = None) -> list[dict[str, Any]]:
    """All truth violations of one vehicle, time-ordered.

    ``gaps``: ``None`` on the true track; a :class:`GapPolicy` on the samples that reached
    the platform (the observable version of the same rules).
    """
    sf = getattr(rules, "sections", {}).get("safety")
    fence = (int(sf["fence_min_duration_s"]), int(sf["fence_merge_s"])) if sf is not None \
        else (60, 60)
    ev = speeding(track, rules, gaps) + night_ban(track, rules, gaps) + \
        fatigue(track, rules, gaps) + off_route(track, allowed, *fence, gaps=gaps)
    return sorted(ev, key=lambda e: (e["start"], e["rule"], e["subkind"]))


def offline_displacement(rec: dict[str, np.ndarray], track: Track, rules: Any
                         ) -> list[dict[str, Any]]:
    """No real-time data for >= ``gap_s`` and moved > ``distance_km`` at <= ``max_km_per_min``.

    Judged on the real-time records the platform received (backfill excluded: the platform
    saw nothing at the time), in GNSS-time order, on the fixes the data-qualification rule
    (rules.md 数据合格率: parseable time not more than 5 min after the receive time, located
    inside the validity box, speed in range) accepts, drift points excluded: a clock-jumped
    fix does not end a silence.
    """
    from hazrisk.simulate.fleet.geo import haversine_km
    from hazrisk.simulate.truth.rates import qualified

    od = rules.offline_displacement
    ok = ~rec["backfill"] & qualified(rec, rules) & ~rec["drift"]
    i = np.flatnonzero(ok)
    i = i[np.argsort(rec["time"][i], kind="stable")]
    tt, la, lo = rec["time"][i], rec["lat"][i], rec["lon"][i]
    gap = np.diff(tt)
    km = haversine_km(la[:-1], lo[:-1], la[1:], lo[1:]) if len(i) > 1 else np.zeros(0)
    hit = (gap >= int(od.gap_s)) & (km > float(od.distance_km)) & \
        (km / np.maximum(gap / 60.0, 1e-9) <= float(od.max_km_per_min))
    out = []
    for k in np.flatnonzero(hit):
        out.append({"rule": "offline_displacement", "subkind": "", "start": int(tt[k]),
                    "end": int(tt[k + 1]), "start_idx": int(rec["idx"][i[k]]),
                    "end_idx": int(rec["idx"][i[k + 1]]), "distance_km": round(float(km[k]), 3),
                    "seen_realtime": True, "reminder_time": None, "reminder_via": None,
                    "actions": ""})
    return out
