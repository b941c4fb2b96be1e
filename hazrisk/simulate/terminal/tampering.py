"""Terminal tampering (implementing opinion 三.1(5) 不得破坏、屏蔽、篡改): alarm bits a few
terminals report, and the counts the warehouse must find (``truth/tampering.csv``).

One registered vehicle in nine (``vidx % 9 == 4``) tampers, the kind cycling with ``vidx // 9``:

* ``antenna_cut`` / ``antenna_short`` / ``gnss_fault``: the GNSS antenna open-circuit /
  short-circuit / GNSS module fault bit (JT/T 808 table 24 bits 5 / 6 / 4) on every report of
  one 10-40 min episode that starts while driving (while parked for a vehicle that never
  drives in the window);
* ``power_pulls``: the main-power-down bit (bit 8) switched on three times in one Beijing day,
  each time while driving, for 1-5 min (the terminal runs on its backup battery).

Bits go on real-time and blind-area reports alike (0x0704 carries the same location block),
never on samples with a data-quality fault or on ADAS/DSM alarm frames (their own bodies), so
what the platform gets is exactly the bits of the delivered samples. Expected, per vehicle,
Beijing day and kind, by the warehouse's definitions (hazrisk/safety/README.md "Tampering"):
``reports`` and ``moving_reports`` (speed > ``[safety] moving_speed_kmh``) of the delivered
reports with the bit; ``repeated_power_pulls`` when the power-down bit switched on (the
previous delivered report, in device-time order, did not have it) while moving at least
``[safety] power_pulls_min`` times in the day (``reports`` = those switches).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hazrisk.simulate.movement.track import BJ, DAY, Track

KINDS = ("antenna_cut", "antenna_short", "gnss_fault", "power_pulls")
BIT = {"gnss_fault": 4, "antenna_cut": 5, "antenna_short": 6, "power_down": 8}


def kind_of(vidx: int, registered: bool) -> str | None:
    """The tampering this vehicle does (None for most)."""
    if not registered or vidx % 9 != 4:
        return None
    return KINDS[(vidx // 9) % len(KINDS)]


def alarm_bits(kind: str | None, track: Track, clean: np.ndarray, rng: np.random.Generator
               ) -> np.ndarray:
    """Per sample, the alarm word (0 outside the episodes). ``clean`` marks the samples that
    may carry a bit (no data-quality fault, not an ADAS/DSM frame)."""
    t = track.t
    alarm = np.zeros(len(t), np.int64)
    start = np.flatnonzero(clean & (track.speed > 10))
    if kind is None or not len(start) and kind == "power_pulls":
        return alarm
    if kind != "power_pulls":
        start = start if len(start) else np.flatnonzero(clean)  # a parked vehicle: parked
        if not len(start):
            return alarm
        i = int(start[int(rng.integers(0, len(start)))])
        j = int(np.searchsorted(t, t[i] + int(rng.integers(600, 2401))))
        alarm[i:j] |= 1 << BIT[kind]
    else:
        day = (t[start] + BJ) // DAY
        days, counts = np.unique(day, return_counts=True)
        pick = start[day == days[int(np.argmax(counts))]]
        last = -10 ** 12
        n = 0
        for i in pick.tolist():
            if n == 3:
                break
            if t[i] - last < 1800:
                continue
            j = int(np.searchsorted(t, t[i] + int(rng.integers(60, 301))))
            alarm[i:max(j, i + 1)] |= 1 << BIT["power_down"]
            last, n = int(t[i]), n + 1
    alarm[~clean] = 0
    return alarm


def expected(alarm: np.ndarray, delivered: np.ndarray, device_t: np.ndarray,
             speed: np.ndarray, pulls_min: int, moving_kmh: float) -> list[dict[str, Any]]:
    """Rows ``day, kind, reports, moving_reports`` the warehouse should find (module doc).

    ``delivered`` marks the samples stored as positions with a device time, ``device_t`` /
    ``speed`` what their reports carry."""
    rows: list[dict[str, Any]] = []
    idx = np.flatnonzero(delivered)
    idx = idx[np.argsort(device_t[idx], kind="stable")]
    a, tt, sp = alarm[idx], device_t[idx], speed[idx]
    day = (tt + BJ) // DAY
    moving = sp > moving_kmh
    for kind, bit in BIT.items():
        on = (a >> bit) & 1 == 1
        for d in np.unique(day[on]).tolist():
            sel = on & (day == d)
            rows.append({"day": int(d), "kind": kind, "reports": int(sel.sum()),
                         "moving_reports": int((sel & moving).sum())})
    down = (a >> BIT["power_down"]) & 1 == 1
    switch = down & ~np.r_[False, down[:-1]] & moving
    for d in np.unique(day[switch]).tolist():
        n = int((switch & (day == d)).sum())
        if n >= pulls_min:
            rows.append({"day": int(d), "kind": "repeated_power_pulls", "reports": n,
                         "moving_reports": n})
    return rows


__all__ = ["BIT", "KINDS", "alarm_bits", "expected", "kind_of"]
