"""Per vehicle-day trajectory metrics (km, driving, night, fatigue, coverage, drift).

Steps are clipped to the range and split at Beijing midnights, their driving seconds and km
prorated by time, so a trip across midnight is counted on both days. Night time is the exact
overlap of driving steps with 22:00–06:00. ``covered_s`` counts steps shorter than the
offline gap (30 min); the rest of the day is offline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hazrisk.safety.params import SafetyParams
from hazrisk.safety.track import BEIJING_OFFSET_S, Pairs, Track, local_day, window_cum

DAY_COLUMNS: tuple[str, ...] = (
    "vehicle_id", "day", "enterprise_id", "provider_id", "online", "km", "driving_s",
    "night_km", "night_s", "fatigue_s", "covered_s", "drift_points", "road_unknown_fixes",
)


def _dates(day: np.ndarray) -> np.ndarray:
    return np.asarray(np.datetime64("1970-01-01", "D") + day.astype("timedelta64[D]"))


def day_metrics(track: Track, pr: Pairs, fatigue_s: np.ndarray, T0: float, T1: float,
                p: SafetyParams, *, road_unknown: np.ndarray | None = None) -> pd.DataFrame:
    """One row per (vehicle, Beijing day) in [T0, T1) with fixes or steps.

    ``road_unknown`` flags the fixes judged on an unknown road (counted per day)."""
    if track.n == 0:
        return pd.DataFrame(columns=list(DAY_COLUMNS))
    # steps overlapping the range, split at midnights
    k = np.flatnonzero(pr.same & (pr.t1 > T0) & (pr.t0 < T1) & (pr.dt > 0))
    a = np.maximum(pr.t0[k], T0)
    b = np.minimum(pr.t1[k], T1)
    d0 = local_day(a)
    d1 = local_day(np.maximum(b - 1e-6, a))
    npieces = (d1 - d0 + 1).astype(np.int64)
    rep = np.repeat(np.arange(k.size), npieces)
    # (first piece of each step; empty when no step overlaps the range, e.g. a day whose
    # batch has fixes in the context only)
    offs = np.arange(rep.size) - np.repeat(np.cumsum(npieces) - npieces, npieces)
    day = d0[rep] + offs
    day_start = day * 86400.0 - BEIJING_OFFSET_S
    pa = np.maximum(a[rep], day_start)
    pb = np.minimum(b[rep], day_start + 86400.0)
    kk = k[rep]
    dt = pr.dt[kk]
    frac = (pb - pa) / dt
    driving = pr.driving[kk]
    night = np.zeros(pa.size)  # the night share of the driving pieces only
    di = np.flatnonzero(driving)
    night[di] = (window_cum(pb[di], p.night_start_s, p.night_end_s)
                 - window_cum(pa[di], p.night_start_s, p.night_end_s))
    # group sums over contiguous (vehicle, day) runs: steps are in (vehicle, time) order
    vids = track.vid[kk].astype(np.int64)
    span = np.int64(1 << 24)
    key = vids * span + day
    sums = {
        "km": pr.drive_km[kk] * frac,
        "driving_s": pr.drive_s[kk] * frac,
        "night_km": np.where(dt > 0, pr.drive_km[kk] * night / dt, 0.0),
        "night_s": night,
        "fatigue_s": fatigue_s[kk] * frac,
        "covered_s": np.where(dt < p.offline_gap_s, pb - pa, 0.0),
    }
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
    ends = np.r_[starts[1:], key.size] - 1 if key.size else key
    agg = pd.DataFrame({c: np.add.reduceat(v, starts) if key.size else v
                        for c, v in sums.items()}, index=pd.Index(key[starts], name="key"))
    agg["ent_s"] = track.ent[kk][ends]
    agg["prov_s"] = track.prov[kk][ends]
    # fixes in range: online days, enterprise/provider of the day's last fix
    inr = np.flatnonzero((track.t >= T0) & (track.t < T1))
    fkey = track.vid[inr].astype(np.int64) * span + local_day(track.t[inr])
    flast = np.flatnonzero(np.r_[fkey[1:] != fkey[:-1], True]) if fkey.size else fkey
    fx = pd.DataFrame({"ent_f": track.ent[inr][flast], "prov_f": track.prov[inr][flast],
                       "online": True}, index=pd.Index(fkey[flast], name="key"))
    dr_in = (track.drift_t >= T0) & (track.drift_t < T1)
    dkey = track.drift_vid[dr_in].astype(np.int64) * span + local_day(track.drift_t[dr_in])
    du, dc = np.unique(dkey, return_counts=True)
    dg = pd.Series(dc, index=pd.Index(du, name="key"), name="drift_points")
    unk = np.zeros(track.n, dtype=bool) if road_unknown is None else road_unknown
    ui = inr[unk[inr]]
    uu, uc = np.unique(track.vid[ui].astype(np.int64) * span + local_day(track.t[ui]),
                       return_counts=True)
    ug = pd.Series(uc, index=pd.Index(uu, name="key"), name="road_unknown_fixes")
    out = agg.join(fx, how="outer").join(dg, how="outer").join(ug, how="outer").reset_index()
    okey = out["key"].to_numpy(np.int64)
    out["vid"] = okey // span
    out["day"] = okey % span
    ent = out["ent_f"].fillna(out["ent_s"]).fillna(len(track.enterprises) - 1).astype(np.int64)
    prov = out["prov_f"].fillna(out["prov_s"]).fillna(len(track.providers) - 1).astype(np.int64)
    res = pd.DataFrame({
        "vehicle_id": track.vehicles[out["vid"].to_numpy(np.int64)],
        "day": _dates(out["day"].to_numpy(np.int64)),
        "enterprise_id": track.enterprises[ent.to_numpy()],
        "provider_id": track.providers[prov.to_numpy()],
        "online": out["online"].astype("boolean").fillna(False).to_numpy(dtype=bool),
    })
    for c in ("km", "driving_s", "night_km", "night_s", "fatigue_s", "covered_s"):
        res[c] = out[c].fillna(0.0).to_numpy(dtype=float)
    res["drift_points"] = out["drift_points"].fillna(0).astype(np.int64).to_numpy()
    res["road_unknown_fixes"] = out["road_unknown_fixes"].fillna(0).astype(np.int64).to_numpy()
    return res[list(DAY_COLUMNS)]
