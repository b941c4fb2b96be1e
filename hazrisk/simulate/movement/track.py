"""True movement of one vehicle: trips, stops, rests, overnight parking and driving behaviour.

The track is sampled on the terminal's own clock: every ``moving_interval_s`` while ACC is on,
every ``parked_interval_s`` while ACC is off, plus a report at each ACC change. Times are
integer epoch seconds; positions are rounded to 1e-6 degree and speeds to 0.1 km/h, the wire
resolution, so the truth is exactly what an honest terminal sends.

Behaviour (per vehicle, from ``fleet.vehicles``): speeding episodes per 100 km (some shorter
than 30 s on purpose), rests skipped by fatigue-prone drivers, night departures, toll-avoiding
legs off the approved route. Normal speeds never exceed the road-class limit, so every
speeding event in the truth comes from an episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hazrisk.localtime import OFFSET_S
from hazrisk.simulate.fleet import geo

DAY = 86400
BJ = OFFSET_S  # Beijing offset, seconds (conf [period] timezone)
_CRUISE = {0: (74.0, 3.0), 1: (50.0, 4.0)}  # class code -> (mean, sd) km/h
_MAX_SPEED = 150.0


@dataclass
class Track:
    """A vehicle's sampled true trajectory (all arrays the same length, time-sorted)."""

    t: np.ndarray          # int64 epoch seconds
    lat: np.ndarray
    lon: np.ndarray
    speed: np.ndarray      # km/h, 0.1 resolution
    road_class: np.ndarray  # int8: 0 expressway, 1 other
    acc: np.ndarray        # bool
    loaded: np.ndarray     # bool
    odo_km: np.ndarray     # odometer
    heading: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    altitude: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    off_route_leg: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    trip_km_by_day: dict[int, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)


class _Builder:
    def __init__(self, rng: np.random.Generator, veh: dict[str, object], t0: int, t_end: int,
                 net: geo.Network) -> None:
        self.rng = rng
        self.veh = veh
        self.net = net
        self.t_end = t_end
        self.dt_m = int(veh["moving_interval_s"])  # type: ignore[call-overload]
        self.dt_p = int(veh["parked_interval_s"])  # type: ignore[call-overload]
        self.t = t0 - int(rng.integers(0, self.dt_p))  # terminal clock phase
        self.node = str(veh["home_node"])
        _, lat, lon, _ = net.nodes[self.node]
        self.pos = (lat, lon)
        self.odo = float(rng.uniform(20_000, 600_000))
        self.loaded = False
        self.park_next: int | None = None  # next sleep report while still parked
        self.cont_drive = 0.0  # continuous driving seconds since last >= 20 min rest
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.km_by_day: dict[int, float] = {}

    # -- primitives -------------------------------------------------------------------------
    def _emit(self, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, v: np.ndarray,
              cls: np.ndarray, acc: bool, off: bool) -> None:
        n = len(t)
        if not n:
            return
        self.parts.append((t.astype(np.int64), lat, lon, v, cls.astype(np.int8),
                           np.full(n, acc), np.full(n, self.loaded), np.full(n, off),
                           np.full(n, self.odo)))

    def park(self, until: int) -> None:
        """Stationary from ``self.t`` to ``until``: ACC off after a short while, sleep reports."""
        until = min(until, self.t_end)
        if until <= self.t:
            return
        start = self.park_next if self.park_next is not None else \
            self.t + int(self.rng.integers(30, 180))
        ts = np.arange(start, until, self.dt_p, dtype=np.int64)
        self._emit(ts, *self._here(len(ts)), np.zeros(len(ts)), np.ones(len(ts)), False, False)
        self.park_next = int(ts[-1]) + self.dt_p if len(ts) else start
        if until - self.t >= 1200:
            self.cont_drive = 0.0
        self.t = until

    def _here(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(n, self.pos[0]), np.full(n, self.pos[1])

    def drive(self, dest: str, *, off_route: bool, skip_rest_p: float, night: bool) -> None:
        """Drive from the current node to ``dest`` along the approved (or a toll-avoiding) route."""
        net = self.net
        route = net.route(self.node, dest)
        if off_route:
            alt = net.route(self.node, dest, expressway_penalty=2.6)
            off_route = alt.edge_ids != route.edge_ids
            route = alt if off_route else route
        rng = self.rng
        dt = self.dt_m
        runs = route.class_runs()
        targets = []
        for a, b, c in runs:
            mean, sd = _CRUISE[c]
            cruise = float(np.clip(rng.normal(mean, sd), mean - 10, geo.SPEED_LIMIT_KMH[geo.CLASS_NAME[c]] - 3))
            n = int(np.ceil((b - a) / (cruise * dt / 3600.0))) + 2
            targets.append(np.full(n, cruise))
        v = np.concatenate(targets)
        n = len(v)
        v = v + _ar1(rng, n)
        ramp = min(n, 4)
        v[:ramp] = np.minimum(v[:ramp], np.array([0.0, 18.0, 36.0, 52.0])[:ramp])
        episode = np.zeros(n, bool)
        # speeding episodes (some bursts shorter than the 30 s event threshold)
        lam = float(self.veh["speeding_rate"]) * route.length_km / 100.0  # type: ignore[arg-type]
        for _ in range(int(rng.poisson(lam))):
            i0 = int(rng.integers(ramp, max(ramp + 1, n - 2)))
            dur = float(np.clip(rng.lognormal(np.log(150), 0.8), 20, 900))
            k = 1 if rng.random() < 0.25 else int(np.ceil(dur / dt)) + 1
            over = float(np.clip(rng.lognormal(np.log(0.12), 0.6), 0.04, 0.8))
            sl = slice(i0, min(n, i0 + k))
            cls_guess = 0 if v[i0] > 62 else 1
            lim = geo.SPEED_LIMIT_KMH[geo.CLASS_NAME[cls_guess]]
            v[sl] = lim * (1 + over) + rng.normal(0, 1.0, sl.stop - sl.start)
            episode[sl] = True
        # short traffic stops on ordinary roads
        other = np.concatenate([np.full(len(x), runs[j][2] == 1) for j, x in enumerate(targets)])
        for _ in range(int(rng.poisson(route.length_km / 60.0))):
            i0 = int(rng.integers(ramp, max(ramp + 1, n - 2)))
            k = int(rng.integers(1, 4))
            if other[i0] and not episode[i0:i0 + k].any():
                v[i0:i0 + k] = 0.0
        v = np.clip(v, 0.0, _MAX_SPEED)
        d = np.cumsum(v * dt / 3600.0)
        d = d - d[0]
        while d[-1] < route.length_km:  # extend if noise made the leg slower
            extra = np.full(20, _CRUISE[runs[-1][2]][0])
            v = np.concatenate([v, extra])
            episode = np.concatenate([episode, np.zeros(20, bool)])
            d = np.concatenate([d, d[-1] + np.cumsum(extra * dt / 3600.0)])
        k_end = int(np.searchsorted(d, route.length_km)) + 1
        v, d, episode = v[:k_end], np.minimum(d[:k_end], route.length_km), episode[:k_end]
        v[-1] = 0.0
        lat, lon, cls = route.at(d)
        limit = np.where(cls == 0, 80.0, 60.0)
        v = np.where(episode, v, np.minimum(v, limit - 0.2 - 1.5 * rng.random(len(v)) * (v > limit - 0.2)))
        v = np.round(np.maximum(v, 0.0), 1)
        t_rel = np.arange(len(v), dtype=np.int64) * dt
        odo0 = self.odo
        self._drive_pieces(t_rel, lat, lon, v, cls, d, odo0, off_route, skip_rest_p, night)
        self.node = dest
        self.pos = (float(lat[-1]), float(lon[-1]))

    def _drive_pieces(self, t_rel: np.ndarray, lat: np.ndarray, lon: np.ndarray, v: np.ndarray,
                      cls: np.ndarray, d: np.ndarray, odo0: float, off: bool,
                      skip_rest_p: float, night: bool) -> None:
        """Emit the leg, inserting rests when continuous driving reaches the driver's limit."""
        rng = self.rng
        i = 0
        n = len(t_rel)
        while i < n:
            limit_h = rng.uniform(2.4, 3.6) if not night else rng.uniform(1.6, 2.0)
            if rng.random() < skip_rest_p:
                limit_h = rng.uniform(4.3, 6.0)
            budget = max(0.0, limit_h * 3600 - self.cont_drive)
            j = max(i + 2, int(np.searchsorted(t_rel, t_rel[i] + budget, side="right")))
            remaining = (t_rel[-1] - t_rel[min(j, n - 1)]) if j < n else 0
            if j >= n or remaining < 900:
                j = n
            if j < n:  # brake to a stop at the service area
                v = v.copy()
                v[j - 1] = 0.0
            sl = slice(i, j)
            base = self.t - t_rel[i]
            self.odo = odo0 + float(d[j - 1])
            day = (self.t + BJ) // DAY
            self.km_by_day[day] = self.km_by_day.get(day, 0.0) + float(d[j - 1] - d[i])
            self._emit_drive(base + t_rel[sl], lat[sl], lon[sl], v[sl], cls[sl], odo0 + d[sl], off)
            self.cont_drive += float(t_rel[j - 1] - t_rel[i])
            self.t = int(base + t_rel[j - 1]) + 1
            self.pos = (float(lat[j - 1]), float(lon[j - 1]))
            if j < n:  # rest at a service area: >= 20 min counts, sometimes too short
                rest = int(rng.uniform(1260, 2700)) if rng.random() > 0.1 else int(rng.uniform(600, 1080))
                self.park(self.t + rest)
                i = j - 1  # resume from the stop sample (speed 0), reported again at resume
            else:
                i = n

    def _emit_drive(self, t: np.ndarray, lat: np.ndarray, lon: np.ndarray, v: np.ndarray,
                    cls: np.ndarray, odo: np.ndarray, off: bool) -> None:
        n = len(t)
        self.park_next = None
        self.parts.append((t.astype(np.int64), lat, lon, v, cls.astype(np.int8),
                           np.ones(n, bool), np.full(n, self.loaded), np.full(n, off), odo))

    def track(self) -> Track:
        cols = [np.concatenate([p[k] for p in self.parts]) for k in range(9)]
        t = cols[0]
        keep = (t >= 0)
        order = np.argsort(t, kind="stable")
        cols = [c[order][keep[order]] for c in cols]
        t = cols[0]
        # strictly increasing times (a piece boundary may repeat a second)
        for _ in range(3):
            dup = np.flatnonzero(np.diff(t) <= 0) + 1
            if not len(dup):
                break
            t[dup] = t[dup - 1] + 1
        lat = np.round(cols[1], 6)
        lon = np.round(cols[2], 6)
        tr = Track(t=t, lat=lat, lon=lon, speed=np.round(cols[3], 1), road_class=cols[4],
                   acc=cols[5], loaded=cols[6], odo_km=np.round(cols[8], 1),
                   off_route_leg=cols[7], trip_km_by_day=self.km_by_day)
        tr.heading = _headings(lat, lon)
        tr.altitude = _altitude(lat, lon)
        return tr


def _ar1(rng: np.random.Generator, n: int, phi: float = 0.8, sd: float = 1.6) -> np.ndarray:
    """AR(1)-like smooth noise (exponential-kernel filtered white noise, vectorised)."""
    k = phi ** np.arange(16)
    e = rng.normal(0.0, sd, n + 15)
    return np.convolve(e, k, mode="valid")[:n]


def _headings(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    n = len(lat)
    h = np.zeros(n)
    if n > 1:
        p1, p2 = np.radians(lat[:-1]), np.radians(lat[1:])
        dl = np.radians(lon[1:] - lon[:-1])
        y = np.sin(dl) * np.cos(p2)
        x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
        b = (np.degrees(np.arctan2(y, x)) + 360.0) % 360.0
        moved = (np.abs(lat[1:] - lat[:-1]) + np.abs(lon[1:] - lon[:-1])) > 2e-5
        idx = np.maximum.accumulate(np.concatenate([[0], np.where(moved, np.arange(1, n), 0)]))
        full = np.concatenate([[0.0], np.where(moved, b, 0.0)])
        h = full[idx]
    return (np.round(h).astype(np.int16)) % 360


def _altitude(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    inland = np.clip((121.0 - lon) / 2.5, 0.0, 1.0)
    alt = 6 + 180 * inland ** 1.5 + 25 * np.sin(lat * 37.0) * np.sin(lon * 29.0) * inland
    return np.round(np.maximum(alt, 1.0)).astype(np.int16)


def simulate_track(veh: dict[str, object], lanes: list[tuple[str, str]], net: geo.Network,
                   t0: int, days: int, rng: np.random.Generator) -> Track:
    """Plan and sample one vehicle's movement over ``days`` days from epoch second ``t0``."""
    t_end = t0 + days * DAY
    b = _Builder(rng, veh, t0, t_end, net)
    home = str(veh["home_node"])
    mean_km = float(np.mean([net.route(a, u).length_km * 2 for a, u in lanes]))
    work_p = float(np.clip(float(veh["annual_km"]) / 365.0 / max(mean_km, 50.0), 0.25, 0.95))  # type: ignore[arg-type]
    night_p = float(np.clip(1.5 * float(veh["night_share"]), 0.0, 0.9))  # type: ignore[arg-type]
    skip_p = float(np.clip(float(veh["fatigue_rate"]) / 3.5, 0.0, 0.9))  # type: ignore[arg-type]
    off_p = float(veh["offroute_rate"])  # type: ignore[arg-type]
    for day in range(days):
        day0 = t0 + day * DAY
        if b.t >= day0 + DAY - 3600:
            continue
        weekday = ((day0 + BJ) // DAY + 3) % 7  # 0 = Monday
        p = work_p * (0.55 if weekday >= 5 else 1.0)
        if b.node != home:  # overnight away: return home in the morning
            b.park(max(b.t, day0 + int(rng.uniform(6.3, 8.5) * 3600)))
            b.drive(home, off_route=rng.random() < off_p, skip_rest_p=skip_p, night=False)
            b.loaded = False
        if rng.random() >= p:
            continue
        night = rng.random() < night_p
        if night:
            dep_h = rng.uniform(2.0, 5.5) if rng.random() < 0.25 else rng.uniform(19.0, 22.5)
        else:
            dep_h = rng.uniform(6.1, 10.5)
        dep = day0 + int(dep_h * 3600)
        if dep <= b.t:
            dep = b.t + int(rng.uniform(1800, 5400))
        if dep >= t_end:
            break
        b.park(dep)
        load, unload = lanes[int(rng.integers(0, len(lanes)))]
        for dest, is_load in ((load, True), (unload, False)):
            if dest != b.node:
                b.drive(dest, off_route=rng.random() < off_p, skip_rest_p=skip_p,
                        night=_is_night(b.t))
            if b.t >= t_end:
                break
            b.park(b.t + int(rng.uniform(40, 120) * 60))  # loading / unloading, engine off
            b.loaded = is_load
        if b.t >= t_end:
            break
        hour = ((b.t + BJ) % DAY) / 3600
        back = net.route(b.node, home).length_km / 65.0 if b.node != home else 0.0
        if b.node != home and (night or hour + back < 22.0):
            b.drive(home, off_route=rng.random() < off_p, skip_rest_p=skip_p,
                    night=_is_night(b.t))
            b.loaded = False
    b.park(t_end + 1)
    tr = b.track()
    keep = (tr.t >= t0) & (tr.t < t_end)
    return _subset(tr, keep)


def _is_night(t: int) -> bool:
    h = ((t + BJ) % DAY) / 3600
    return h >= 22.0 or h < 6.0


def _subset(tr: Track, keep: np.ndarray) -> Track:
    return Track(t=tr.t[keep], lat=tr.lat[keep], lon=tr.lon[keep], speed=tr.speed[keep],
                 road_class=tr.road_class[keep], acc=tr.acc[keep], loaded=tr.loaded[keep],
                 odo_km=tr.odo_km[keep], heading=tr.heading[keep], altitude=tr.altitude[keep],
                 off_route_leg=tr.off_route_leg[keep], trip_km_by_day=tr.trip_km_by_day)
