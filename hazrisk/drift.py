"""Drift (漂移): the one definition, used by the rates (漂移车辆率, segments) and by detection.

A *drift fix* is a qualified fix (:mod:`hazrisk.validity`) that cannot be where it says
(``conf/rules.toml`` ``[drift]``; the national practice, research §1.8):

* an isolated **spike**: more than ``spike_km`` from both neighbouring qualified fixes while
  those are within ``neighbour_km`` of each other; or
* **implied speed**: the speed implied from the *last good fix* (the latest earlier fix that
  is neither a spike nor drift) exceeds ``implied_speed_kmh``.

The second rule is a recursion along the fixes; it is computed exactly (:func:`drift_flags`):
where every step is possible the recursion is trivial (the previous fix is the last good
one), so it is walked fix by fix only from an impossible step until it is back on a good fix
whose next step is possible — whole-column numpy elsewhere. A run of any length is found.

**Judged per unit-day**: a fix's verdict depends only on the qualified fixes of its unit
(vehicle) and Beijing day, in (GNSS time, ``pos_seq``) order — never on the period asked for,
the batching or the engine. The recursion starts from the day's first fix that is neither a
spike nor followed by an impossible step (its *anchor*; the day's first non-spike fix when
there is none); a fix before the anchor is drift when the speed implied between it and the
anchor is impossible. A step with no time between two fixes is impossible when they are more
than ``neighbour_km`` apart. Distances are great-circle (:func:`haversine_km`).

The rates (:mod:`hazrisk.rates.drift`) store the verdicts of each day they compute; detection
computes the same verdicts over the fixes it reads
(:meth:`hazrisk.safety.track.Track.from_arrow`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hazrisk.config import Rules, load_rules
from hazrisk.localtime import OFFSET_S

EARTH_RADIUS_KM = 6371.0088

@dataclass(frozen=True)
class DriftRules:
    """The ``[drift]`` thresholds of the drift-fix rule (the only loader: :meth:`from_rules`)."""

    implied_speed_kmh: float
    spike_km: float
    neighbour_km: float

    @classmethod
    def from_rules(cls, rules: Rules | None = None) -> DriftRules:
        d = (rules or load_rules()).drift
        return cls(float(d.implied_speed_kmh), float(d.spike_km), float(d.neighbour_km))


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                 lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km, element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0))))


def unit_days(unit: np.ndarray, t: np.ndarray) -> np.ndarray:
    """One int64 key per (unit code, Beijing day of epoch seconds ``t``; the zone is conf
    ``[period] timezone``, :mod:`hazrisk.localtime`): the groups drift is judged in. Equal keys
    are adjacent when the fixes are sorted by (unit, time)."""
    day = np.floor((t + OFFSET_S) / 86400.0).astype(np.int64)  # < 10^6 until 4707
    return np.asarray(unit.astype(np.int64) * 1_000_000 + day)


def drift_flags(unit: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                r: DriftRules, step_km: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(drift, spike) masks of fixes sorted by (unit, time, pos_seq); ``unit`` is the group
    key (:func:`unit_days` for the project's per unit-day verdicts). ``spike``: drift by the
    spike rule (the reason); the other drift fixes are drift by implied speed. ``step_km``:
    :func:`haversine_km` from each fix to the next, when the caller measured it already."""
    n = t.shape[0]
    drift = np.zeros(n, dtype=bool)
    if n == 0:
        return drift, drift.copy()
    same = unit[1:] == unit[:-1]                      # step k: fix k -> k + 1 within a group
    spike = np.zeros(n, dtype=bool)
    d = (step_km if step_km is not None
         else haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:]))
    if n >= 3:
        # the neighbours' distance only where both steps are long (the rest cannot be spikes)
        k = np.flatnonzero(same[:-1] & same[1:] & (d[:-1] > r.spike_km) & (d[1:] > r.spike_km))
        around = haversine_km(lat[k], lon[k], lat[k + 2], lon[k + 2])
        spike[k[around <= r.neighbour_km] + 1] = True
    drift |= spike
    idx = np.flatnonzero(~spike)                      # the implied-speed recursion's fixes
    # the steps between the recursion's consecutive fixes: the step already measured where no
    # spike lies between them (the same function of the same coordinates), else measured
    step = np.empty(max(idx.size - 1, 0))
    adjacent = idx[1:] == idx[:-1] + 1
    step[adjacent] = d[idx[:-1][adjacent]]
    a, b = idx[:-1][~adjacent], idx[1:][~adjacent]
    step[~adjacent] = haversine_km(lat[a], lon[a], lat[b], lon[b])
    drift[idx[_implied_drift(unit[idx], t[idx], lat[idx], lon[idx], r, step)]] = True
    return drift, spike


def drift_mask(unit: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
               r: DriftRules, step_km: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of drift fixes (:func:`drift_flags`)."""
    return drift_flags(unit, t, lat, lon, r, step_km)[0]


def kept_steps(step_km: np.ndarray, kept: np.ndarray, lat: np.ndarray,
               lon: np.ndarray) -> np.ndarray:
    """:func:`haversine_km` between consecutive fixes of ``kept`` (ascending indices), reusing
    ``step_km`` (fix k -> k + 1) where two kept fixes are adjacent: the same function of the
    same coordinates, measured once."""
    if kept.size < 2:
        return np.zeros(0)
    a, b = kept[:-1], kept[1:]
    adjacent = b == a + 1
    out = np.empty(a.size)
    out[adjacent] = step_km[a[adjacent]]
    far = ~adjacent
    out[far] = haversine_km(lat[a[far]], lon[a[far]], lat[b[far]], lon[b[far]])
    return out


def _impossible(a: np.ndarray, b: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                r: DriftRules, km: np.ndarray | None = None) -> np.ndarray:
    """Whether the speed implied from fix ``a`` to fix ``b`` (index arrays) is impossible
    (``km``: their distances, when already measured)."""
    if km is None:
        km = haversine_km(lat[a], lon[a], lat[b], lon[b])
    dt = t[b] - t[a]
    with np.errstate(divide="ignore", invalid="ignore"):
        kmh = km * 3600.0 / dt
    return np.asarray(np.where(dt > 0, kmh > r.implied_speed_kmh, km > r.neighbour_km))


def _impossible_1(a: int, b: int, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                  r: DriftRules) -> bool:
    """:func:`_impossible` of one pair of fixes (the walk's scalar step)."""
    p1, p2 = math.radians(lat[a]), math.radians(lat[b])
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon[b] - lon[a]) / 2) ** 2)
    km = 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(h, 1.0)))
    dt = float(t[b] - t[a])
    return km * 3600.0 / dt > r.implied_speed_kmh if dt > 0 else km > r.neighbour_km


def _implied_drift(unit: np.ndarray, t: np.ndarray, lat: np.ndarray, lon: np.ndarray,
                   r: DriftRules, step_km: np.ndarray | None = None) -> np.ndarray:
    """Drift by implied speed from the last good fix, per group, exactly (module docstring).
    ``step_km``: the distances fix k -> k + 1, when already measured."""
    n = t.shape[0]
    drift = np.zeros(n, dtype=bool)
    if n < 2:
        return drift
    k = np.arange(n - 1)
    ok_step = ~_impossible(k, k + 1, t, lat, lon, r, step_km) & (unit[1:] == unit[:-1])
    start = np.r_[True, unit[1:] != unit[:-1]]
    gid = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    end = np.r_[first[1:], n]                          # one past each group's last fix
    # anchor: the group's first fix whose next step is possible, else its first fix
    cand = np.flatnonzero(np.r_[ok_step, False])
    anchor = first.copy()
    cg = gid[cand]
    firsts = np.r_[True, cg[1:] != cg[:-1]] if cand.size else np.zeros(0, bool)
    anchor[cg[firsts]] = cand[firsts]
    # fixes before their group's anchor: drift when impossible from/to the anchor
    a_of = anchor[gid]
    before = np.flatnonzero(np.arange(n) < a_of)
    if before.size:
        drift[before] = _impossible(before, a_of[before], t, lat, lon, r)
    # after the anchor: trivial where the step into the fix is possible; walk from the others
    bad_in = np.flatnonzero(~ok_step) + 1             # fix j reached by an impossible step
    bad_in = bad_in[(bad_in > a_of[bad_in]) & ~start[bad_in]]
    pos = -1
    for j0 in bad_in.tolist():
        if j0 < pos:
            continue                                   # inside the previous walk
        last, j, stop = j0 - 1, j0, int(end[gid[j0]])
        while j < stop:
            if _impossible_1(last, j, t, lat, lon, r):
                drift[j] = True
            else:
                last = j
                if j + 1 >= stop or ok_step[j]:
                    j += 1
                    break                              # good, and the next step is possible
            j += 1
        pos = j
    return drift
