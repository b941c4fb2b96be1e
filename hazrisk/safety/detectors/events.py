"""Event frames produced by the detectors, and whole-column reductions over index ranges."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: Columns every detector returns (indices refer to the :class:`~hazrisk.safety.track.Track`).
EVENT_COLUMNS: tuple[str, ...] = (
    "rule_id", "vid", "start_t", "end_t", "i0", "i1", "peak_speed_kmh", "avg_speed_kmh",
    "limit_kmh", "over_ratio", "severity", "distance_km", "detail_json",
)


def make_events(rule_id: str, vid: np.ndarray, start_t: np.ndarray, end_t: np.ndarray,
                i0: np.ndarray, i1: np.ndarray, *, detail: dict[str, Any] | None = None,
                **cols: Any) -> pd.DataFrame:
    """A frame with :data:`EVENT_COLUMNS`; missing measure columns are NULL.

    ``detail`` maps evidence names to columns; they are serialised into ``detail_json`` (one
    JSON object per event, NaN/None as null) by pandas' JSON writer, not a Python loop.
    """
    n = int(np.asarray(start_t).shape[0])
    df = pd.DataFrame({
        "rule_id": np.full(n, rule_id, dtype=object),
        "vid": np.asarray(vid, dtype=np.int64),
        "start_t": np.asarray(start_t, dtype=float),
        "end_t": np.asarray(end_t, dtype=float),
        "i0": np.asarray(i0, dtype=np.int64),
        "i1": np.asarray(i1, dtype=np.int64),
    })
    for c in ("peak_speed_kmh", "avg_speed_kmh", "limit_kmh", "over_ratio", "distance_km"):
        df[c] = np.asarray(cols.get(c, np.full(n, np.nan)), dtype=float)
    df["severity"] = np.asarray(cols.get("severity", np.full(n, None, dtype=object)),
                                dtype=object)
    df["detail_json"] = detail_json(detail, n)
    return df[list(EVENT_COLUMNS)]


def detail_json(detail: dict[str, Any] | None, n: int) -> np.ndarray:
    """One JSON object string per row from a dict of equal-length columns."""
    if not detail or n == 0:
        return np.full(n, None, dtype=object)
    frame = pd.DataFrame({k: detail[k] for k in sorted(detail)})
    text = frame.to_json(orient="records", lines=True, force_ascii=False, double_precision=6)
    lines = text.rstrip("\n").split("\n")
    return np.asarray(lines, dtype=object)


def empty_events() -> pd.DataFrame:
    z = np.zeros(0)
    return make_events("", z, z, z, z, z)


def expand_ranges(s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the inclusive ranges [s, e], their range number, and each range's offset."""
    lens = (e - s + 1).astype(np.int64)
    offs = np.r_[0, np.cumsum(lens)[:-1]].astype(np.int64)
    idx = np.repeat(s.astype(np.int64) - offs, lens) + np.arange(int(lens.sum()))
    grp = np.repeat(np.arange(s.size), lens)
    return idx, grp, offs


def range_reduce(values: np.ndarray, s: np.ndarray, e: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc.reduce`` of ``values`` over each inclusive index range [s_i, e_i]."""
    if s.size == 0:
        return np.zeros(0, dtype=values.dtype)
    idx, _, offs = expand_ranges(s, e)
    return np.asarray(ufunc.reduceat(values[idx], offs))


def range_sum(values: np.ndarray, s: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Sum of ``values[s_i:stop_i]`` for each range (0 when empty), over the range's own
    elements only: the same result whatever else the array holds (a difference of running
    sums over the whole batch would carry the batch's rounding)."""
    out = np.zeros(s.size, dtype=np.float64)
    full = np.flatnonzero(stop > s)
    if full.size:
        out[full] = range_reduce(np.asarray(values, dtype=np.float64), s[full],
                                 stop[full] - 1, np.add)
    return out


def range_argmax(values: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Index (into ``values``) of the maximum in each inclusive range (first on ties)."""
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    idx, grp, _ = expand_ranges(s, e)
    order = np.lexsort((idx, -values[idx], grp))
    first = np.r_[True, grp[order][1:] != grp[order][:-1]]
    return np.asarray(idx[order][first])


def merge_ranges(group: np.ndarray, s: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Collapse ranges sharing a group id (groups consecutive): (min s, max e) per group."""
    if s.size == 0:
        return s, e
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return s[starts], np.maximum.reduceat(e, starts)
