"""Zhejiang's city outlines for the violations map (``hazrisk.geodata``, offline; no tile
server), simplified for the browser and loaded once per server process."""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from typing import Any

import streamlit as st

#: Simplification of the city outlines for the browser (degrees; ~500 m, 2.5 MB -> 0.2 MB).
OUTLINE_TOLERANCE_DEG = 0.005


@functools.lru_cache(maxsize=2)
def _outlines(tolerance: float) -> dict[str, Any]:
    from hazrisk.geodata import zhejiang

    cities = zhejiang("city")
    cities = cities.assign(geometry=cities.geometry.simplify(tolerance, preserve_topology=True))
    result: dict[str, Any] = json.loads(cities[["short_zh", "name_en", "geometry"]].to_json())
    return result


def _warm_outlines() -> None:
    """Load and simplify the outlines once per server process, off the page's path, so the
    first visit of the map page does not pay for reading the boundary package."""
    from hazrisk.geodata import GeodataError

    with contextlib.suppress(GeodataError):  # the page itself says why there is no map
        _outlines(OUTLINE_TOLERANCE_DEG)


# Started when the server first imports this module (the login page), not on the map page.
threading.Thread(target=_warm_outlines, name="outline-warmup", daemon=True).start()


def boundaries() -> dict[str, Any] | None:
    """Zhejiang's 11 city outlines as GeoJSON (``hazrisk.geodata``, offline; no tile server),
    or ``None`` with the reason shown when the boundary package is not installed."""
    from hazrisk.geodata import GeodataError

    try:
        return _outlines(OUTLINE_TOLERANCE_DEG)
    except GeodataError as exc:
        st.caption(f"无行政区划底图 · no boundaries: {exc}")
        return None
