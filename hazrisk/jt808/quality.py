"""Plausibility flags of decoded location fixes (the decoder's informational ``q_*`` flags).

A fix that decodes but is implausible is kept, with a flag per failed check. The checks are
the data-qualification checks of :mod:`hazrisk.validity` (the one definition, ``conf/rules.toml``
``[validity]``); the decoder reports the ones a single frame shows (:data:`hazrisk.validity.
DECODER_FLAGS`) under the default rules (:func:`limits`, loaded once). What ingest stores and
the rates and detection read is :func:`hazrisk.validity.check_bits` under the rules the ingest
was given (``hazrisk ingest --conf``), not these flags.

The strict decoder applies the *standard's* physical ranges instead (:func:`physical_problem`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from hazrisk.jt808.errors import QUALITY_FLAGS
from hazrisk.validity import Validity, fix_flags

#: The bounds the decoder's flags use (:class:`hazrisk.validity.Validity`).
Limits = Validity


@functools.cache
def limits() -> Validity:
    """The default rules' ``[validity]`` bounds (loaded on first use, then cached)."""
    return Validity.from_rules()


def location_flags(loc: Mapping[str, Any], lim: Validity | None = None) -> set[str]:
    """The quality flags of one decoded location block (0x0200 basic fields)."""
    return set(fix_flags(loc, lim or limits()))


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
