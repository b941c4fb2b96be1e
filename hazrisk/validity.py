"""The data-qualification checks of a position (数据合格率): one definition, one bit layout.

A decoded position is *qualified* when none of the checks below fails. The checks and their
bounds are ``conf/rules.toml`` ``[validity]`` (JT/T 809-2011 §4.5.8 ranges via the 2016
national table; the reserved status/alarm bits of JT/T 808-2019 tables 24 and 25). Ingest
computes the stored bits (``store.positions.quality_flags``) with :func:`check_bits` under the
rules it is given (``hazrisk ingest --conf``) and records their :func:`fingerprint` per file;
the rates (数据合格率, drift, segments), detection and the decoder's informational flags all
read these bits — nothing else re-derives them. ``unregistered`` is the one check that depends
on the registry rather than on the fix; it is computed where the registry is joined (the
rates' SQL, ``rates.position_checks``) and never stored.

Bit layout (:data:`CHECKS`, lowest bit first; a fix's first failed check is the lowest set
bit):

===  =====================  ====================================================================
bit  name                   fails when
===  =====================  ====================================================================
0    unregistered           no vehicle is assigned to the terminal at the fix (query time)
1    time_invalid           the GNSS (BCD) time does not parse
2    time_after_receive     GNSS time > receive time + ``time_max_future_s`` (receive time known)
3    longitude              missing, 0, or outside [``lon_min``, ``lon_max``]
4    latitude               missing, 0, or outside [``lat_min``, ``lat_max``]
5    gps_speed              missing, < 0 or > ``gps_speed_max_kmh``
6    tacho_speed            present and < 0 or > ``tacho_speed_max_kmh``
7    heading                missing, < 0 or > ``heading_max_deg``
8    altitude               missing or outside [``altitude_min_m``, ``altitude_max_m``]
9    status_reserved_bits   a status bit reserved in the fix's protocol version is set
10   alarm_reserved_bits    an alarm bit reserved in the fix's protocol version is set
===  =====================  ====================================================================

All bounds are inclusive: a value on the bound passes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.config import Rules, load_rules

#: The checks, in bit order (bit ``i`` = ``CHECKS[i]``).
CHECKS: tuple[str, ...] = (
    "unregistered", "time_invalid", "time_after_receive", "longitude", "latitude",
    "gps_speed", "tacho_speed", "heading", "altitude", "status_reserved_bits",
    "alarm_reserved_bits",
)
BIT: dict[str, int] = {name: 1 << i for i, name in enumerate(CHECKS)}
#: The bits stored at ingest (all but ``unregistered``, which depends on the registry).
STORED_MASK = sum(BIT.values()) & ~BIT["unregistered"]

#: The decoder's informational flag names (``hazrisk.jt808.errors.QUALITY_FLAGS``) for the
#: checks the decoder reports on one frame (its flag -> the check).
DECODER_FLAGS: dict[str, str] = {
    "invalid_bcd_time": "time_invalid",
    "lat_out_of_range": "latitude",
    "lon_out_of_range": "longitude",
    "speed_out_of_range": "gps_speed",
    "heading_out_of_range": "heading",
    "altitude_out_of_range": "altitude",
}

#: The columns :func:`check_bits` reads (``core.positions`` names).
INPUT_COLUMNS: tuple[str, ...] = (
    "device_time", "recv_time", "lat_deg", "lon_deg", "speed_kmh", "tacho_speed_kmh",
    "heading_deg", "altitude_m", "status", "alarm", "version",
)


@dataclass(frozen=True)
class Validity:
    """The ``[validity]`` bounds (the only loader: :meth:`from_rules`)."""

    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float
    gps_speed_max_kmh: float
    tacho_speed_max_kmh: float
    heading_max_deg: float
    altitude_min_m: float
    altitude_max_m: float
    time_max_future_s: float

    @classmethod
    def from_rules(cls, rules: Rules | None = None) -> Validity:
        """The bounds of ``rules`` (default: :func:`hazrisk.config.load_rules`)."""
        v = (rules or load_rules()).validity
        return cls(**{k: float(v[k]) for k in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def fingerprint(self) -> str:
        """SHA-256 of the bounds and the bit layout (flags stored under another differ)."""
        text = json.dumps({"checks": CHECKS, "bounds": self.as_dict()}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def differences(self, other: Mapping[str, Any]) -> list[str]:
        """``key: other -> self`` for each bound that differs from ``other`` (a stored dict)."""
        out = []
        for k, mine in self.as_dict().items():
            theirs = other.get(k)
            if theirs is None or float(theirs) != mine:
                out.append(f"{k} {theirs} -> {mine:g}")
        return out


def _num(table: pa.Table, name: str) -> np.ndarray:
    """A numeric column as float64 with NaN for NULL (NaN also when the column is absent)."""
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    col = table.column(name)
    if pa.types.is_timestamp(col.type):
        col = pc.cast(col.cast(pa.timestamp("us", tz="UTC")), pa.int64())
    return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _word(table: pa.Table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.zeros(table.num_rows, np.uint64)
    col = pc.fill_null(table.column(name).cast(pa.int64()), 0)
    return np.asarray(col.to_numpy(zero_copy_only=False)).astype(np.uint64)


def _outside(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Missing (NaN) or outside [lo, hi] (NaN compares False: no warning is raised)."""
    return ~((x >= lo) & (x <= hi))


def _failed(*, t: Any, recv: Any, lat: Any, lon: Any, speed: Any, tacho: Any, heading: Any,
            alt: Any, status: Any, alarm: Any, v2019: Any, v: Validity) -> dict[str, Any]:
    """Each check's failure (bits 1-10) of numpy arrays — or of numpy scalars (one fix,
    :func:`fix_flags`): the same expressions evaluate both. Numbers are float64 with NaN for
    unknown, times epoch microseconds, status and alarm uint64 words."""
    from hazrisk.jt808 import flags  # the reserved bits are the wire format's (no import cycle)

    future = (t - recv) / 1e6 > v.time_max_future_s   # NaN (unknown) compares False
    tacho_bad = (tacho < 0) | (tacho > v.tacho_speed_max_kmh)

    def by_version(mask_2019: int, mask_2013: int) -> Any:
        a, b = np.uint64(mask_2019), np.uint64(mask_2013)
        return np.where(v2019, a, b) if isinstance(v2019, np.ndarray) else (a if v2019 else b)

    status_mask = by_version(flags.STATUS_RESERVED_MASK_2019, flags.STATUS_RESERVED_MASK_2013)
    alarm_mask = by_version(flags.ALARM_RESERVED_MASK_2019, flags.ALARM_RESERVED_MASK_2013)
    return {
        "time_invalid": np.isnan(t),
        "time_after_receive": future,
        "longitude": _outside(lon, v.lon_min, v.lon_max) | (lon == 0),
        "latitude": _outside(lat, v.lat_min, v.lat_max) | (lat == 0),
        "gps_speed": _outside(speed, 0.0, v.gps_speed_max_kmh),
        "tacho_speed": tacho_bad,
        "heading": _outside(heading, 0.0, v.heading_max_deg),
        "altitude": _outside(alt, v.altitude_min_m, v.altitude_max_m),
        "status_reserved_bits": (status & status_mask) != 0,
        "alarm_reserved_bits": (alarm & alarm_mask) != 0,
    }


def check_bits(table: pa.Table, v: Validity) -> np.ndarray:
    """The stored check bits (uint16, :data:`CHECKS` layout) of each row of ``table``.

    ``table`` holds (some of) :data:`INPUT_COLUMNS`; times as timestamps, a missing column
    counts as NULL. ``unregistered`` (bit 0) is never set here.
    """
    failed = _failed(
        t=_num(table, "device_time"), recv=_num(table, "recv_time"),
        lat=_num(table, "lat_deg"), lon=_num(table, "lon_deg"),
        speed=_num(table, "speed_kmh"), tacho=_num(table, "tacho_speed_kmh"),
        heading=_num(table, "heading_deg"), alt=_num(table, "altitude_m"),
        status=_word(table, "status"), alarm=_word(table, "alarm"),
        v2019=_num(table, "version") == 2019, v=v)
    bits = np.zeros(table.num_rows, np.uint16)
    for name, mask in failed.items():
        bits |= np.asarray(mask, bool).astype(np.uint16) * np.uint16(BIT[name])
    return bits


def check_names(bits: int) -> list[str]:
    """The failed checks of one row's bits, in bit order."""
    return [name for i, name in enumerate(CHECKS) if (int(bits) >> i) & 1]


def decoder_flags(bits: np.ndarray) -> dict[str, np.ndarray]:
    """The decoder's per-fix flag columns (``q_<flag>``, bool) from :func:`check_bits`."""
    return {f"q_{flag}": (bits & np.uint16(BIT[check])) != 0
            for flag, check in DECODER_FLAGS.items()}


def fix_flags(fix: Mapping[str, Any], v: Validity) -> list[str]:
    """The decoder flag names (:data:`DECODER_FLAGS`) one decoded fix fails (scalar path:
    the checks of :func:`check_bits` on numpy scalars, ~15 µs; a one-row table cost 260)."""
    def num(key: str) -> np.float64:
        x = fix.get(key)
        return np.float64(np.nan if x is None else x)

    nan, zero = np.float64(np.nan), np.uint64(0)
    failed = _failed(
        t=np.float64(0.0 if fix.get("device_time", 0) is not None else np.nan), recv=nan,
        lat=num("lat_deg"), lon=num("lon_deg"), speed=num("speed_kmh"), tacho=nan,
        heading=num("heading_deg"), alt=num("altitude_m"), status=zero, alarm=zero,
        v2019=np.False_, v=v)
    # a field the frame does not carry is not a failed check of the frame
    return [flag for flag, check in DECODER_FLAGS.items()
            if failed[check] and (flag not in _PRESENT or fix.get(_PRESENT[flag]) is not None)]


#: The field each range flag of :func:`fix_flags` is about.
_PRESENT = {"lat_out_of_range": "lat_deg", "lon_out_of_range": "lon_deg",
            "speed_out_of_range": "speed_kmh", "heading_out_of_range": "heading_deg",
            "altitude_out_of_range": "altitude_m"}
