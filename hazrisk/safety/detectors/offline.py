"""Offline displacement (离线位移) and moving with a faulty or offline terminal.

``offline_displacement``: two consecutive *real-time* fixes of a vehicle (drift removed) at
least ``gap_s`` apart, more than ``distance_km`` apart, at an average of at most
``max_km_per_min`` (faster is drift, not driving). The event spans the silence. Backfilled
(0x0704) fixes do not fill the silence: the platform saw nothing at the time, which is what
离线位移 judges; what the backfill shows is judged by ``faulty_terminal_dispatch``.

``faulty_terminal_dispatch`` (the text forbids dispatching a vehicle whose terminal is faulty or
offline): the vehicle moved — a driving step, or a silence with displacement of at least
``stationary_km`` — while a fault ticket of its terminal was open: the step lies wholly in
[``reported_at``, ``repaired_at``) (open tickets: to the end of the data); a silence straddling
the report or the repair may have moved outside the ticket and is not evidence. Movement during a real-time silence is
also judged when it is a *departure*: a silence of at least ``offline_displacement.gap_s``
between two real-time fixes that began with the vehicle parked (stopped, ACC off — a stop at a
traffic light before a tunnel is not a departure), during which it moved
(backfilled (0x0704) driving, or displacement across the silence) — a terminal that was
offline when the vehicle set out. A silence that begins while driving (a tunnel, a blind
area) is not a dispatch decision and is judged by ``offline_displacement`` only. These carry
``detail.cause = 'offline'`` (``'fault_ticket'`` otherwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hazrisk.drift import kept_steps
from hazrisk.safety.detectors.events import empty_events, make_events, range_reduce, range_sum
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import DRIVE, GAP_DRIVE, GAP_UNKNOWN, Pairs, Track


def detect_offline_displacement(track: Track, p: SafetyParams) -> pd.DataFrame:
    rt = np.flatnonzero(~track.backfill)
    if rt.size < 2:
        return empty_events()
    a, b = rt[:-1], rt[1:]
    same = track.vid[a] == track.vid[b]
    dt = track.t[b] - track.t[a]
    dkm = kept_steps(track.step_km, rt, track.lat, track.lon)
    with np.errstate(divide="ignore", invalid="ignore"):
        kmpm = np.where(dt > 0, dkm / (dt / 60.0), np.inf)
    hit = np.flatnonzero(same & (dt >= p.offline_gap_s) & (dkm > p.offline_distance_km)
                         & (kmpm <= p.offline_max_km_per_min))
    if hit.size == 0:
        return empty_events()
    i0, i1 = a[hit], b[hit]
    detail = {"gap_s": dt[hit], "km_per_min": kmpm[hit], "backfilled_fixes": i1 - i0 - 1}
    return make_events("offline_displacement", track.vid[i0], track.t[i0], track.t[i1], i0,
                       i1, detail=detail, distance_km=dkm[hit], avg_speed_kmh=kmpm[hit] * 60.0)


def _moved(pr: Pairs, p: SafetyParams) -> np.ndarray:
    return np.asarray((pr.state == DRIVE) | (pr.state == GAP_DRIVE)
                      | ((pr.state == GAP_UNKNOWN) & (pr.dkm >= p.stationary_km)))


def detect_faulty_terminal(track: Track, pr: Pairs, tickets: pd.DataFrame,
                           p: SafetyParams) -> pd.DataFrame:
    """``tickets``: columns vehicle_id, ticket_id, start_t, end_t (epoch s; end NaN = open)."""
    frames = [_ticket_events(track, pr, tickets, p), _offline_events(track, pr, p)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty_events()


def _ticket_events(track: Track, pr: Pairs, tickets: pd.DataFrame,
                   p: SafetyParams) -> pd.DataFrame:
    if tickets.empty or pr.dt.size == 0:
        return empty_events()
    vmap = pd.Series(np.arange(track.vehicles.size), index=track.vehicles)
    vmap = vmap[np.asarray(pd.notna(vmap.index), dtype=bool)]
    tk = tickets[tickets["vehicle_id"].isin(vmap.index)]
    if tk.empty:
        return empty_events()
    tv = vmap.reindex(tk["vehicle_id"]).to_numpy(dtype=np.int64)
    a = tk["start_t"].to_numpy(dtype=float)
    b = np.nan_to_num(tk["end_t"].to_numpy(dtype=float), nan=np.inf)
    # steps of a vehicle in composite time (vehicle, t0); steps overlapping [a, b)
    span = float(track.t.max() - track.t.min()) + 4 * 86400.0
    base = track.t.min() - 86400.0
    pv = track.vid[:-1].astype(np.float64)
    comp0 = pv * span + (pr.t0 - base)
    comp1 = pv * span + (np.where(pr.same, pr.t1, pr.t0) - base)  # monotone
    a_c = tv * span + np.clip(a - base, 0, span - 1)
    b_c = tv * span + np.clip(b - base, 0, span - 1)
    moved = _moved(pr, p) & pr.same
    # steps wholly inside [a, b): a silence straddling the report (or the repair) may have
    # moved before the ticket opened (or after it closed) — not evidence
    lo = np.searchsorted(comp0, a_c, side="left")
    hi = np.searchsorted(comp1, b_c, side="right")  # exclusive
    hi = np.maximum(hi, lo)
    cm = np.r_[0, np.cumsum(moved)]
    n_moved = cm[hi] - cm[np.minimum(lo, hi)]
    ok = n_moved > 0
    if not ok.any():
        return empty_events()
    lo, hi, a, b, tv = lo[ok], hi[ok], a[ok], b[ok], tv[ok]
    first_m = np.searchsorted(cm, cm[lo] + 1, side="left") - 1
    last_m = np.searchsorted(cm, cm[hi], side="left") - 1
    start = np.maximum(pr.t0[first_m], a)
    end = np.minimum(pr.t1[last_m], b)
    km = np.where(moved, pr.dkm, 0.0)
    detail = {"cause": np.full(start.size, "fault_ticket", dtype=object),
              "ticket_id": tk["ticket_id"].to_numpy(dtype=object)[ok],
              "ticket_reported_t": a, "ticket_repaired_t": np.where(np.isfinite(b), b, np.nan),
              "moved_steps": n_moved[ok]}
    return make_events("faulty_terminal_dispatch", tv, start, end, first_m, last_m + 1,
                       detail=detail, distance_km=range_sum(km, first_m, last_m + 1),
                       peak_speed_kmh=range_reduce(track.speed, first_m, last_m + 1,
                                                   np.maximum))


def _offline_events(track: Track, pr: Pairs, p: SafetyParams) -> pd.DataFrame:
    """Departures during a real-time silence: the silence (≥ ``offline_displacement.gap_s``
    between two real-time fixes) began with the vehicle parked (stopped, ACC off), and it
    moved meanwhile (backfilled driving, or displacement across the silence)."""
    rt = np.flatnonzero(~track.backfill)
    if rt.size < 2:
        return empty_events()
    same = track.vid[rt[1:]] == track.vid[rt[:-1]]
    dt = track.t[rt[1:]] - track.t[rt[:-1]]
    parked = (track.speed[rt[:-1]] <= p.moving_kmh) & ~track.acc_on[rt[:-1]]
    cand = np.flatnonzero(same & (dt >= p.offline_gap_s) & parked)
    if cand.size == 0:
        return empty_events()
    i0, i1 = rt[cand], rt[cand + 1]
    moved = np.r_[_moved(pr, p) & pr.same, False].astype(np.int64)
    n_moved = range_reduce(moved, i0, i1 - 1, np.add)
    ok = n_moved > 0
    if not ok.any():
        return empty_events()
    i0, i1 = i0[ok], i1[ok]
    km = np.where(_moved(pr, p) & pr.same, pr.dkm, 0.0)
    detail = {"cause": np.full(i0.size, "offline", dtype=object),
              "backfilled_fixes": (i1 - i0 - 1), "moved_steps": n_moved[ok],
              "silence_s": track.t[i1] - track.t[i0]}
    return make_events("faulty_terminal_dispatch", track.vid[i0], track.t[i0], track.t[i1], i0,
                       i1, detail=detail, distance_km=range_sum(km, i0, i1),
                       peak_speed_kmh=range_reduce(track.speed, i0, i1, np.maximum))
