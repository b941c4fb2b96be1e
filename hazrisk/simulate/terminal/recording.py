"""What the terminal makes of the true track: outages, blind-area storage, faults, glitches.

Per sample of the track the plan says how it reaches the platform:

====  ============  =================================================================
state name          meaning
====  ============  =================================================================
0     realtime      sent as a 0x0200 when sampled (may still be dropped in transit)
1     stored        no network: kept in blind-area storage, sent as 0x0704 type 1 after
                    reconnection (the oldest points are lost when storage overflows)
2     unrecorded    terminal without power (driver pulled it, or a power fault)
3     no_fix        GNSS fault: sent in real time with lat = lon = 0, not positioned
====  ============  =================================================================

Outages are recorded in truth with their kind (``signal_loss``, ``power_off``, ``never_online``,
``fault_comm``, ``fault_power``, ``fault_gnss``), points expected, stored, delivered and lost.
Device faults also get a repair ticket. Field-level glitches (drift, invalid BCD time,
latitude out of range, clock jump, speed out of range) and frame corruption (bad check code,
truncated frame, garbage bytes) are drawn per real-time frame at the provider's rates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hazrisk.simulate.fleet.profiles import MakerProfile, ProviderProfile
from hazrisk.simulate.movement.track import Track

REALTIME, STORED, UNRECORDED, NO_FIX = 0, 1, 2, 3
#: field-level glitch codes (qfault) and frame-level corruption codes (ffault)
Q_NONE, Q_DRIFT, Q_BCD, Q_LAT, Q_FUTURE, Q_SPEED, Q_NOFIX = range(7)
Q_NAMES = ("", "drift", "invalid_bcd_time", "lat_out_of_range", "future_time",
           "speed_out_of_range", "no_fix")
F_NONE, F_CHECKSUM, F_TRUNCATED = 0, 1, 2
DRIFT_PER_FRAME = 0.002  # for terminals with a drifting GNSS
F_NAMES = ("", "bad_checksum", "truncated")


@dataclass
class Plan:
    state: np.ndarray                 # per sample
    dropped: np.ndarray               # real-time frame lost in transit
    latency_ms: np.ndarray            # per sample
    qfault: np.ndarray
    ffault: np.ndarray
    garbage_after: np.ndarray         # sample indices followed by a garbage item
    sent_lat: np.ndarray              # what the frame carries (drift, no fix ...)
    sent_lon: np.ndarray
    sent_speed: np.ndarray
    sent_time: np.ndarray             # device time as sent (clock jumps)
    backfill: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (reconnect t, idx)
    backfill_lost: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    connects: list[int] = field(default_factory=list)     # auth times (s)
    disconnects: list[int] = field(default_factory=list)
    outages: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    alarm: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # alarm word


def _paint(state: np.ndarray, t: np.ndarray, a: int, b: int, code: int) -> np.ndarray:
    i, j = np.searchsorted(t, a), np.searchsorted(t, b)
    state[i:j] = code
    return np.arange(i, j)


def plan_terminal(track: Track, veh: dict[str, Any], prov: ProviderProfile, maker: MakerProfile,
                  rng: np.random.Generator, t0: int, t_end: int) -> Plan:
    n = len(track)
    t = track.t
    days = (t_end - t0) / 86400.0
    state = np.zeros(n, dtype=np.int8)
    outages: list[dict[str, Any]] = []
    tickets: list[dict[str, Any]] = []
    moving_idx = np.flatnonzero(track.speed > 0)
    never = bool(veh.get("never_online", False))

    def at_moving() -> int:
        if len(moving_idx):
            return int(t[moving_idx[int(rng.integers(0, len(moving_idx)))]])
        return int(rng.integers(t0, t_end))

    spans: list[tuple[int, int, int, str, float]] = []  # (start, end, code, kind, loss)
    offline_share = float(veh["offline_share"])
    for _ in range(int(rng.poisson(prov.signal_loss_per_day * days))):
        a = at_moving()
        d = int(np.clip(rng.lognormal(np.log(420), 0.9), 90, 10800))
        loss = float(np.clip(rng.exponential(prov.backfill_loss), 0, 1)) if rng.random() < 0.6 else 0.0
        spans.append((a, a + d, STORED, "signal_loss", loss))
    for _ in range(int(rng.poisson(offline_share * days * 1.2))):
        a = at_moving()
        d = int(np.clip(rng.lognormal(np.log(5400), 0.6), 1800, 6 * 3600))
        spans.append((a, a + d, UNRECORDED, "power_off", 1.0))
    for _ in range(int(rng.poisson(maker.fault_per_day * days))):
        a = int(rng.integers(t0, t_end))
        kind = str(rng.choice(["fault_comm", "fault_power", "fault_gnss"], p=[0.45, 0.3, 0.25]))
        reported = a + int(np.clip(rng.lognormal(np.log(3600), 0.8), 300, 12 * 3600))
        repaired = reported + int(rng.lognormal(np.log(maker.repair_median_h * 3600), 0.7))
        code = {"fault_comm": STORED, "fault_power": UNRECORDED, "fault_gnss": NO_FIX}[kind]
        spans.append((a, repaired, code, kind, 1.0 - maker.preservation))
        tickets.append({"fault_kind": kind[6:], "started_at": a, "reported_at": reported,
                        "repaired_at": repaired if repaired < t_end else None})
    if never:
        spans = [(t0, t_end, UNRECORDED, "never_online", 1.0)]
        tickets = []
    # paint by precedence: no-fix < stored < unrecorded
    loss_at = np.zeros(n)
    for code in (NO_FIX, STORED, UNRECORDED):
        for a, b, c, _kind, loss in spans:
            if c == code:
                idx = _paint(state, t, a, b, c)
                loss_at[idx] = np.maximum(loss_at[idx], loss)
    for a, b, _c, kind, _loss in spans:
        sl = slice(np.searchsorted(t, a), np.searchsorted(t, b))
        outages.append({"kind": kind, "start": a, "end": min(b, t_end),
                        "expected_points": int(sl.stop - sl.start),
                        "moving_points": int((track.speed[sl] > 0).sum())})

    # real-time delivery, latency, transit loss
    rt = (state == REALTIME) | (state == NO_FIX)
    dropped = rt & (rng.random(n) < prov.p_dropped)
    latency = np.clip(rng.lognormal(np.log(prov.latency_ms), 0.6, n), 40, 30_000).astype(np.int64)
    sent_time = t.copy()
    sent_lat, sent_lon, sent_speed = track.lat.copy(), track.lon.copy(), track.speed.copy()
    qfault = np.zeros(n, dtype=np.int8)
    nofix = state == NO_FIX
    qfault[nofix] = Q_NOFIX
    sent_lat[nofix] = 0.0
    sent_lon[nofix] = 0.0
    cand = rt & ~dropped & ~nofix
    u = rng.random(n)
    p_drift = DRIFT_PER_FRAME if rng.random() < prov.p_drift else 0.0
    # clock jumps only where the gateway logs receive times (a raw capture has none to judge by)
    p_future = prov.p_future_time if prov.dump_format == "log" else 0.0
    edges = np.cumsum([p_drift, prov.p_invalid_bcd, prov.p_lat_out_of_range,
                       p_future, prov.p_speed_out_of_range])
    qcode = np.searchsorted(edges, u, side="right") + 1  # 1..6; 6 = none
    pick = cand & (qcode <= 5)
    qfault[pick] = qcode[pick]
    # drift only between regular real-time neighbours, so the default rule can detect it
    regular = cand & (qfault == Q_NONE)
    drift_idx = np.flatnonzero(qfault == Q_DRIFT)
    at_edge = (drift_idx == 0) | (drift_idx == n - 1)
    inner = drift_idx[~at_edge]
    at_edge[~at_edge] = ~(regular[inner - 1] & regular[inner + 1])
    qfault[drift_idx[at_edge]] = Q_NONE
    _apply_glitches(rng, track, qfault, sent_lat, sent_lon, sent_speed, sent_time)
    ffault = np.zeros(n, dtype=np.int8)
    clean = cand & (qfault == Q_NONE)
    v = rng.random(n)
    ffault[clean & (v < prov.p_bad_checksum)] = F_CHECKSUM
    ffault[clean & (v >= prov.p_bad_checksum) & (v < prov.p_bad_checksum + prov.p_truncated)] = F_TRUNCATED
    near_drift = np.flatnonzero(qfault == Q_DRIFT)
    ffault[np.concatenate([near_drift - 1, near_drift + 1])] = F_NONE  # keep drift detectable
    garbage_after = np.flatnonzero(clean & (ffault == F_NONE) & (rng.random(n) < prov.p_garbage))

    plan = Plan(state=state, dropped=dropped, latency_ms=latency, qfault=qfault, ffault=ffault,
                garbage_after=garbage_after, sent_lat=sent_lat, sent_lon=sent_lon,
                sent_speed=sent_speed, sent_time=sent_time, outages=outages, tickets=tickets)
    _connections(plan, t, loss_at, t_end)
    return plan


def _apply_glitches(rng: np.random.Generator, track: Track, q: np.ndarray, lat: np.ndarray,
                    lon: np.ndarray, speed: np.ndarray, time: np.ndarray) -> None:
    i = np.flatnonzero(q == Q_DRIFT)
    if len(i):  # a jump of 20-50 km in a random direction
        r = rng.uniform(20.0, 50.0, len(i))
        ang = rng.uniform(0, 2 * np.pi, len(i))
        lat[i] = np.round(lat[i] + r * np.cos(ang) / 111.2, 6)
        lon[i] = np.round(lon[i] + r * np.sin(ang) / (111.2 * np.cos(np.radians(lat[i]))), 6)
    i = np.flatnonzero(q == Q_LAT)
    lat[i] = np.round(lat[i] + 30.0, 6)  # a flipped high bit: 58-61 N, outside China
    i = np.flatnonzero(q == Q_SPEED)
    speed[i] = np.round(rng.uniform(165.0, 250.0, len(i)), 1)
    i = np.flatnonzero(q == Q_FUTURE)
    time[i] = time[i] + rng.integers(900, 7200, len(i))


def _connections(plan: Plan, t: np.ndarray, loss_at: np.ndarray, t_end: int) -> None:
    """Disconnected runs (stored/unrecorded) -> reconnect, auth, backfill, losses.

    The capture starts with a gateway restart: every terminal connects (authenticates) before
    its first real-time report; points stored before that are backfilled then.
    """
    online = (plan.state == REALTIME) | (plan.state == NO_FIX)
    n = len(t)
    lost: list[np.ndarray] = []
    pending: list[np.ndarray] = []
    edges = np.flatnonzero(np.diff(online.astype(np.int8))) + 1
    bounds = np.concatenate([[0], edges, [n]]).astype(np.int64)
    if n and online[0]:
        plan.connects.append(int(t[0]) - 2)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if a >= b or online[a]:
            continue
        if a > 0:
            plan.disconnects.append(int(t[a]))
        stored = np.arange(a, b)[plan.state[a:b] == STORED]
        if b >= n:  # still offline at the end of the window
            pending.append(stored)
            continue
        reconnect = int(t[b]) - 2
        plan.connects.append(reconnect)
        if len(stored):
            k = int(np.floor(float(loss_at[stored].max()) * len(stored)))
            lost.append(stored[:k])
            if len(stored) > k:
                plan.backfill.append((reconnect, stored[k:]))
    plan.backfill_lost = np.concatenate(lost) if lost else np.zeros(0, np.int64)
    plan.pending = np.concatenate(pending) if pending else np.zeros(0, np.int64)
