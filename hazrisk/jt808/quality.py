"""Plausibility checks of decoded location fixes (the ``quality`` flags).

A fix that decodes but is implausible is kept, with a flag per failed check; the
data-qualification rate (数据合格率) counts them later. The ranges are the association's, from
``conf/rules.toml`` ``[validity]`` (JT/T 809-2011 §4.5.8 via the 2016 national table; the
speed bound is ``gps_speed_max_kmh``, the same key the rates' 数据合格率 reads), loaded once
and cached (:func:`limits`). All bounds are inclusive:
a value on the bound is plausible.

The strict decoder applies the *standard's* physical ranges instead (:func:`physical_problem`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hazrisk.jt808.errors import QUALITY_FLAGS


@dataclass(frozen=True)
class Limits:
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    speed_max_kmh: float
    heading_max_deg: float
    altitude_min_m: float
    altitude_max_m: float


@functools.cache
def limits() -> Limits:
    """The plausibility ranges from the rules file (loaded on first use, then cached)."""
    from hazrisk.config import load_rules

    rules = load_rules()
    v = rules.validity
    return Limits(
        lat_min=v["lat_min"],
        lat_max=v["lat_max"],
        lon_min=v["lon_min"],
        lon_max=v["lon_max"],
        speed_max_kmh=v["gps_speed_max_kmh"],
        heading_max_deg=v["heading_max_deg"],
        altitude_min_m=v["altitude_min_m"],
        altitude_max_m=v["altitude_max_m"],
    )


def location_flags(loc: Mapping[str, Any], lim: Limits | None = None) -> set[str]:
    """The quality flags of one decoded location block (0x0200 basic fields)."""
    lim = lim or limits()
    flags: set[str] = set()
    if loc.get("device_time", 0) is None:
        flags.add("invalid_bcd_time")
    lat, lon = loc.get("lat_deg"), loc.get("lon_deg")
    if lat is not None and not lim.lat_min <= lat <= lim.lat_max:
        flags.add("lat_out_of_range")
    if lon is not None and not lim.lon_min <= lon <= lim.lon_max:
        flags.add("lon_out_of_range")
    speed = loc.get("speed_kmh")
    if speed is not None and speed > lim.speed_max_kmh:
        flags.add("speed_out_of_range")
    heading = loc.get("heading_deg")
    if heading is not None and heading > lim.heading_max_deg:
        flags.add("heading_out_of_range")
    alt = loc.get("altitude_m")
    if alt is not None and not lim.altitude_min_m <= alt <= lim.altitude_max_m:
        flags.add("altitude_out_of_range")
    return flags


def quality_flags(locations: Iterable[Mapping[str, Any]]) -> list[str]:
    """Union of the flags of several fixes, in :data:`QUALITY_FLAGS` order."""
    lim = limits()
    found: set[str] = set()
    for loc in locations:
        found |= location_flags(loc, lim)
    return [f for f in QUALITY_FLAGS if f in found]


def physical_problem(loc: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """First value outside the standard's own range: ``(reason, key, detail)`` or None.

    JT/T 808-2019 table 23: latitude and longitude are degrees × 10^6 (≤ 90 / ≤ 180), the
    heading is 0-359. BCD times are checked while decoding.
    """
    lat, lon, heading = loc.get("lat_deg"), loc.get("lon_deg"), loc.get("heading_deg")
    if lat is not None and abs(lat) > 90:
        return "lat_out_of_range", "lat_deg", f"{lat} is not a latitude"
    if lon is not None and abs(lon) > 180:
        return "lon_out_of_range", "lon_deg", f"{lon} is not a longitude"
    if heading is not None and heading > 359:
        return "heading_out_of_range", "heading_deg", f"{heading} is not 0..359"
    return None
