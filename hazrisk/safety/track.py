"""Vehicle trajectories as whole columns, and the evidence each step between two fixes gives.

A :class:`Track` holds the usable, non-drift fixes of many vehicles sorted by (vehicle, GNSS
time, ``pos_seq``). Everything is a numpy column; a "pair" ``k`` is the step from fix ``k`` to
fix ``k + 1`` (arrays of length ``n - 1``; a step across two vehicles has state ``BOUNDARY``).

Pair states (the gap policy, see ``hazrisk/safety/README.md``):

``DRIVE``
    fixes at most ``gap_s`` apart, and the first fix is moving (GNSS speed > ``moving_kmh``).
    A fix's state holds until the next fix ("sample and hold"), so moving fixes every 30 s
    from 08:00 and a stopped fix at 12:00 are exactly 4 h of driving.
``STOP``
    fixes at most ``gap_s`` apart otherwise, or a longer silence with less than
    ``stationary_km`` displacement and both ends stopped (evidence that it did not move).
``GAP_DRIVE``
    a silence longer than ``gap_s`` that moved, where no rest of ``rest_min_s`` can have fitted:
    ``dt - distance / gap_max_kmh < rest_min_s`` (``gap_max_kmh`` = 1.7 km/min, the
    offline-displacement bound). Counted as driving for its whole length.
``GAP_UNKNOWN``
    any other silence: it moved (or ends moving) but a rest could have fitted. It is neither
    driving nor rest: it adds no driving time, no rest time, and it ends a continuous-driving
    stretch because continuity is not evidenced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from hazrisk.drift import drift_mask, haversine_km, kept_steps, unit_days
from hazrisk.localtime import OFFSET_S
from hazrisk.safety.params import SafetyParams

#: Beijing time's fixed offset from UTC, seconds (conf ``[period] timezone``, hazrisk.localtime).
BEIJING_OFFSET_S = OFFSET_S

BOUNDARY, DRIVE, STOP, GAP_DRIVE, GAP_UNKNOWN = 0, 1, 2, 3, 4


def local_day(t: np.ndarray) -> np.ndarray:
    """Beijing day number (days since 1970-01-01 in Beijing time) of epoch seconds."""
    return np.floor((t + BEIJING_OFFSET_S) / 86400.0).astype(np.int64)


def window_cum(t: np.ndarray, start_s: int, end_s: int) -> np.ndarray:
    """Seconds of the daily Beijing window [start_s, end_s) elapsed up to epoch ``t``.

    The window may wrap midnight (22:00-06:00). ``window_cum(b) - window_cum(a)`` is the
    overlap of [a, b) with the window on every day, exactly.
    """
    loc = t + BEIJING_OFFSET_S
    day = np.floor(loc / 86400.0)
    sec = loc - day * 86400.0
    if start_s <= end_s:
        per_day = end_s - start_s
        within = np.clip(sec - start_s, 0.0, per_day)
    else:
        per_day = end_s + (86400 - start_s)
        within = np.minimum(sec, end_s) + np.maximum(0.0, sec - start_s)
    return np.asarray(day * per_day + within)


def window_cum_inverse(y: np.ndarray, start_s: int, end_s: int) -> np.ndarray:
    """Earliest epoch time at which :func:`window_cum` reaches ``y``."""
    per_day = end_s - start_s if start_s <= end_s else end_s + (86400 - start_s)
    day = np.floor(y / per_day)
    r = y - day * per_day
    sec = start_s + r if start_s <= end_s else np.where(r <= end_s, r, start_s + (r - end_s))
    return np.asarray(day * 86400.0 + sec - BEIJING_OFFSET_S)


def in_window(t: np.ndarray, start_s: int, end_s: int) -> np.ndarray:
    """Whether epoch ``t`` lies in the daily Beijing window [start_s, end_s)."""
    sec = np.mod(t + BEIJING_OFFSET_S, 86400.0)
    if start_s <= end_s:
        return np.asarray((sec >= start_s) & (sec < end_s))
    return np.asarray((sec >= start_s) | (sec < end_s))


@dataclass
class Track:
    """Qualified, located, non-drift fixes of many vehicles, sorted by (vehicle, time,
    pos_seq)."""

    vehicles: np.ndarray      # object: vehicle ids, indexed by ``vid``
    vid: np.ndarray           # int32 vehicle index per fix
    t: np.ndarray             # float64 epoch seconds (GNSS time)
    lat: np.ndarray
    lon: np.ndarray
    speed: np.ndarray         # GNSS speed km/h
    acc_on: np.ndarray        # bool
    backfill: np.ndarray      # bool: from a 0x0704 blind-area backfill
    pos_seq: np.ndarray       # int64
    enterprises: np.ndarray   # object: enterprise ids, indexed by ``ent``
    ent: np.ndarray           # int32
    providers: np.ndarray
    prov: np.ndarray
    terminals: np.ndarray
    term: np.ndarray
    drift_vid: np.ndarray     # vehicle index of each dropped drift fix
    drift_t: np.ndarray       # its time
    step_km: np.ndarray = field(default_factory=lambda: np.zeros(0))  # fix k -> k+1, km
    _xy: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _projected: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), repr=False)

    def __post_init__(self) -> None:
        if self.step_km.size != max(self.n - 1, 0):
            self.step_km = haversine_km(self.lat[:-1], self.lon[:-1], self.lat[1:],
                                        self.lon[1:]) if self.n > 1 else np.zeros(0)

    @property
    def n(self) -> int:
        return int(self.t.shape[0])

    def xy_at(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fixes ``idx`` in EPSG:4549 metres (each fix projected once, when first asked for:
        the detectors need the moving ones only)."""
        from hazrisk.safety.geo import project

        if self._xy is None:
            self._xy = (np.full(self.n, np.nan), np.full(self.n, np.nan))
            self._projected = np.zeros(self.n, dtype=bool)
        x, y = self._xy
        todo = idx[~self._projected[idx]]
        if todo.size:
            x[todo], y[todo] = project(self.lon[todo], self.lat[todo])
            self._projected[todo] = True
        return x[idx], y[idx]

    def vehicle_of(self, idx: np.ndarray) -> np.ndarray:
        return np.asarray(self.vehicles[self.vid[idx]], dtype=object)

    @classmethod
    def from_arrow(cls, table: pa.Table, params: SafetyParams) -> Track:
        """Build from the result of ``sql/positions.sql`` (the qualified fixes, sorted): drift
        is judged over them per vehicle-day (:mod:`hazrisk.drift`, the rates' definition),
        then the drift fixes and the fixes without a GNSS fix (status bit 1 clear) are
        dropped."""
        vehicles, vid = _codes(table.column("vehicle_id"))
        enterprises, ent = _codes(table.column("enterprise_id"))
        providers, prov = _codes(table.column("provider_id"))
        terminals, term = _codes(table.column("terminal_phone"))
        t = table.column("t_us").to_numpy(zero_copy_only=False).astype(np.float64) / 1e6
        lat = table.column("lat_deg").to_numpy(zero_copy_only=False).astype(np.float64)
        lon = table.column("lon_deg").to_numpy(zero_copy_only=False).astype(np.float64)
        speed = table.column("speed_kmh").to_numpy(zero_copy_only=False).astype(np.float64)
        acc = _bool(table.column("acc_on"))
        back = _bool(table.column("is_backfill"))
        seq = table.column("pos_seq").to_numpy(zero_copy_only=False).astype(np.int64)
        step = haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
        drift = drift_mask(unit_days(vid, t), t, lat, lon, params.drift, step)
        located = (_bool(table.column("is_located")) if "is_located" in table.column_names
                   else np.ones(t.shape[0], bool))
        keep = ~drift & located
        return cls(
            vehicles=vehicles, vid=vid[keep], t=t[keep], lat=lat[keep], lon=lon[keep],
            speed=speed[keep], acc_on=acc[keep], backfill=back[keep], pos_seq=seq[keep],
            enterprises=enterprises, ent=ent[keep], providers=providers, prov=prov[keep],
            terminals=terminals, term=term[keep], drift_vid=vid[drift], drift_t=t[drift],
            step_km=kept_steps(step, np.flatnonzero(keep), lat, lon),
        )


def _codes(col: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary-encode a string column: (values as object array, int32 codes; -1 = NULL)."""
    enc = col.dictionary_encode().combine_chunks()
    values = np.asarray(enc.dictionary.to_pylist() + [None], dtype=object)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    codes = np.where(np.isnan(idx.astype(np.float64)), len(values) - 1, idx)
    return values, codes.astype(np.int32)


def _bool(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


# ---------------------------------------------------------------------------------------------
# Pairs: the step between consecutive fixes, and its state.
# ---------------------------------------------------------------------------------------------


@dataclass
class Pairs:
    """Per step ``k`` (fix ``k`` -> ``k + 1``): timing, distance, state and driving time."""

    same: np.ndarray      # bool: both fixes of the same vehicle
    t0: np.ndarray
    t1: np.ndarray
    dt: np.ndarray
    dkm: np.ndarray
    state: np.ndarray     # int8, see module doc
    drive_s: np.ndarray   # driving seconds credited to the step
    drive_km: np.ndarray  # km credited to driving (DRIVE, GAP_DRIVE) and to unknown gaps

    @property
    def driving(self) -> np.ndarray:
        return np.asarray((self.state == DRIVE) | (self.state == GAP_DRIVE))


def pairs(track: Track, p: SafetyParams) -> Pairs:
    """Classify every step of ``track`` (see the module docstring)."""
    vid, t = track.vid, track.t
    if track.n < 2:
        z = np.zeros(0)
        return Pairs(np.zeros(0, bool), z, z, z, z, np.zeros(0, np.int8), z, z)
    same = vid[1:] == vid[:-1]
    t0, t1 = t[:-1], t[1:]
    dt = t1 - t0
    dkm = track.step_km
    mov0 = track.speed[:-1] > p.moving_kmh
    mov1 = track.speed[1:] > p.moving_kmh
    observed = dt <= p.gap_s
    drive_obs = observed & mov0
    gap = ~observed
    gap_stop = gap & (dkm < p.stationary_km) & ~mov0 & ~mov1
    min_drive = dkm / p.gap_max_kmh * 3600.0
    gap_drive = gap & ~gap_stop & (dt - min_drive < p.rest_min_s)
    state = np.full(dt.shape, STOP, dtype=np.int8)
    state[drive_obs] = DRIVE
    state[gap_drive] = GAP_DRIVE
    state[gap & ~gap_stop & ~gap_drive] = GAP_UNKNOWN
    state[~same] = BOUNDARY
    driving = (state == DRIVE) | (state == GAP_DRIVE)
    drive_s = np.where(driving, dt, 0.0)
    drive_km = np.where(driving | (state == GAP_UNKNOWN), dkm, 0.0)
    return Pairs(same, t0, t1, np.where(same, dt, 0.0), np.where(same, dkm, 0.0), state,
                 drive_s, drive_km)


# ---------------------------------------------------------------------------------------------
# Runs and merging (whole-column).
# ---------------------------------------------------------------------------------------------


def runs(mask: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximal runs of True in ``mask`` (per element), never continuing across ``breaks``.

    ``breaks[i]`` True means element ``i`` is not continuous with element ``i - 1``. Returns
    (first, last) indices, inclusive.
    """
    m = np.asarray(mask, dtype=bool)
    if m.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    cont = ~np.asarray(breaks, dtype=bool)
    prev = np.r_[False, m[:-1] & cont[1:]]
    nxt = np.r_[m[1:] & cont[1:], False]
    return np.flatnonzero(m & ~prev), np.flatnonzero(m & ~nxt)


def merge_groups(key: np.ndarray, start: np.ndarray, end: np.ndarray,
                 within_s: float) -> np.ndarray:
    """Group ids for events sorted by (key, start): consecutive events of the same key whose gap
    (next start - running end) is at most ``within_s`` share a group."""
    if start.size == 0:
        return np.zeros(0, dtype=np.int64)
    run_end = _running_max_by_key(key, end)
    new = np.r_[True, (key[1:] != key[:-1]) | (start[1:] - run_end[:-1] > within_s)]
    return np.cumsum(new) - 1


def _running_max_by_key(key: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Running maximum of ``x`` restarting at each change of ``key`` (sorted by key)."""
    if x.size == 0:
        return x
    new = np.r_[True, key[1:] != key[:-1]]
    grp = np.cumsum(new) - 1
    span = float(np.nanmax(x) - np.nanmin(x)) + 1.0
    shifted = x + grp * span * 2
    return np.asarray(np.maximum.accumulate(shifted) - grp * span * 2)
