"""Precision and recall of ``safety.violations`` against the simulator's truth.

Matching rule: a detected event and a true event match when they have the same vehicle, the
same rule and overlapping [start, end] intervals. Precision = matched detected / detected;
recall = matched true / true, over the *observable* true events, and raw over all of them.

Observable: the simulator's own rule definitions (``hazrisk.simulate.events``) re-applied to
the true samples that reached the platform (delivered in real time or by backfill) still
produce an overlapping event — a violation whose evidence was never delivered (terminal
powered off, never online, backfill lost) cannot be detected by any detector. Short-run rules
(speeding, night ban, off route) also need a delivered sample inside the event (the
simulator's runs would bridge a silence). ADAS/DSM alarms travel only in real-time 0x0200
frames: observable when their sample was delivered in real time. Offline displacement is
judged by the simulator on the received records already: always observable. A dispatch with
a faulty terminal (the simulator: moving samples while a fault ticket is open) is observable
when a delivered moving sample lies in it (a power fault leaves no data at all).

Detected ``faulty_terminal_dispatch`` events with ``cause = offline`` (a departure during a
real-time silence without a ticket) have no counterpart in the simulator's truth; they are
reported as ``faulty_terminal_dispatch:offline`` and not judged.

``evidence_gap`` (fatigue events, reported, not used by the bound): the delivered samples of
the spell up to the event's start contain a silence in which a 20 min rest could have fitted
at the 1.7 km/min bound — the platform's data do not show the continuity the truth asserts
(hazrisk.safety's gap policy then ends the stretch).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from hazrisk.config import load_rules
from hazrisk.simulate import events as sim_events
from hazrisk.simulate.movement import Track as SimTrack
from hazrisk.simulate.registry import allowed_checker

DELIVERED = ("realtime", "backfill")
SHORT_RULES = ("speeding", "night_ban", "off_route")


def _epoch(x: pd.Series) -> pd.Series:
    return (pd.to_datetime(x, utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta("1s")


def _rule_id(rule: pd.Series | np.ndarray, sub: pd.Series | list[object]) -> np.ndarray:
    r = np.asarray(rule, dtype=object)
    s = pd.Series(list(sub), dtype=object).fillna("").to_numpy(dtype=object)
    return np.where(r == "fatigue", "fatigue_" + s, r)


def true_events(sim: Path) -> pd.DataFrame:
    tv = pd.read_csv(sim / "truth" / "violations.csv")
    tv["rule_id"] = _rule_id(tv["rule"], tv["subkind"])
    ta = pd.read_csv(sim / "truth" / "alarms.csv")
    ta["rule_id"] = ta["system"] + "_" + ta["alarm_type"].replace(
        {"headway_too_close": "headway"})
    ta["start"] = ta["time"]
    ta["end"] = ta["time"]
    cols = ["vehicle_id", "rule_id", "start", "end"]
    out = pd.concat([tv[cols], ta[cols]], ignore_index=True)
    out["s"], out["e"] = _epoch(out["start"]), _epoch(out["end"])
    return out


def oracle_events(sim: Path, trajectories: pd.DataFrame) -> pd.DataFrame:
    """The simulator's rules on the delivered samples only."""
    def feats(name: str) -> list[dict[str, object]]:
        return list(json.loads((sim / "registry" / name).read_text(encoding="utf-8"))["features"])

    allowed = allowed_checker(feats("routes.geojson"), feats("areas.geojson"))
    ent = pd.read_csv(sim / "truth" / "vehicles.csv").set_index("vehicle_id")["enterprise_id"]
    rules = load_rules()
    rows: list[tuple[str, str, int, int]] = []
    ok = trajectories[trajectories["delivery"].isin(DELIVERED)]
    for vid, x in ok.groupby("vehicle_id", sort=True):  # per vehicle: the simulator's API
        if ent.get(vid) not in allowed:
            continue
        tr = SimTrack(t=x["t"].to_numpy(np.int64), lat=x["lat"].to_numpy(),
                      lon=x["lon"].to_numpy(), speed=x["speed"].to_numpy(),
                      road_class=np.where(x["road_class"] == "expressway", 0, 1).astype(np.int8),
                      acc=x["acc_on"].to_numpy(), loaded=np.zeros(len(x), bool),
                      odo_km=x["odometer_km"].to_numpy())
        for ev in sim_events.detect(tr, rules, allowed[ent[vid]]):
            rid = _rule_id(np.array([ev["rule"]]), [ev["subkind"] or None])[0]
            rows.append((str(vid), str(rid), int(ev["start"]), int(ev["end"])))
    return pd.DataFrame(rows, columns=["vehicle_id", "rule_id", "s", "e"])


def _matched(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    a = a.assign(_i=np.arange(len(a)))
    b = b.assign(_j=np.arange(len(b)))
    m = a[["vehicle_id", "rule_id", "s", "e", "_i"]].merge(
        b[["vehicle_id", "rule_id", "s", "e", "_j"]], on=["vehicle_id", "rule_id"],
        suffixes=("_a", "_b"))
    m = m[(m["s_a"] <= m["e_b"]) & (m["s_b"] <= m["e_a"])]
    return (np.isin(np.arange(len(a)), m["_i"].to_numpy()),
            np.isin(np.arange(len(b)), m["_j"].to_numpy()))


def evaluate(sim: Path, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per rule: n_true, recall_raw, n_observable, recall, n_detected, precision."""
    truth = true_events(sim)
    registered = {r[0] for r in con.sql("SELECT DISTINCT vehicle_id FROM core.vehicles")
                  .fetchall()}
    truth = truth[truth["vehicle_id"].isin(registered)].reset_index(drop=True)
    tr = pd.read_parquet(sim / "truth" / "trajectories.parquet")
    tr["vehicle_id"] = tr["vehicle_id"].astype(str)
    tr["delivery"] = tr["delivery"].astype(str)
    tr["road_class"] = tr["road_class"].astype(str)
    tr["t"] = _epoch(tr["time"])
    tr = tr.sort_values(["vehicle_id", "t"], kind="stable").reset_index(drop=True)
    observable, _ = _matched(truth, oracle_events(sim, tr))
    # delivered samples inside each true event (composite vehicle/time key)
    code = {v: i for i, v in enumerate(sorted(tr["vehicle_id"].unique()))}
    big = np.int64(10**10)
    comp = tr["vehicle_id"].map(code).to_numpy(np.int64) * big + tr["t"].to_numpy(np.int64)
    vc = truth["vehicle_id"].map(code).fillna(-1).to_numpy(np.int64)
    lo = np.searchsorted(comp, vc * big + truth["s"].to_numpy(np.int64), "left")
    hi = np.searchsorted(comp, vc * big + truth["e"].to_numpy(np.int64), "right")
    cum_ok = np.r_[0, np.cumsum(tr["delivery"].isin(DELIVERED).to_numpy())]
    cum_rt = np.r_[0, np.cumsum((tr["delivery"] == "realtime").to_numpy())]
    rule = truth["rule_id"]
    short = rule.isin(SHORT_RULES).to_numpy()
    observable = np.where(short, observable & (cum_ok[hi] - cum_ok[lo] > 0), observable)
    alarm = rule.str.startswith(("adas_", "dsm_")).to_numpy()
    observable = np.where(alarm, (hi > lo) & (cum_rt[hi] - cum_rt[lo] == hi - lo), observable)
    observable = np.where((rule == "offline_displacement").to_numpy(), True, observable)
    cum_mv = np.r_[0, np.cumsum((tr["delivery"].isin(DELIVERED) & (tr["speed"] > 5))
                                .to_numpy())]
    dispatch = (rule == "faulty_terminal_dispatch").to_numpy()
    observable = np.where(dispatch, cum_mv[hi] - cum_mv[lo] > 0, observable)
    truth["observable"] = observable
    truth["evidence_gap"] = _evidence_gaps(sim, truth, tr, comp, code, big)
    det = con.sql("SELECT vehicle_id, CASE WHEN rule_id = 'faulty_terminal_dispatch' AND "
                  "json_extract_string(detail_json, '$.cause') = 'offline' THEN rule_id || "
                  "':offline' ELSE rule_id END AS rule_id, epoch(start_time) AS s, "
                  "epoch(end_time) AS e FROM safety.violations").to_df()
    hit_t, hit_d = _matched(truth, det)
    truth["hit"], det["hit"] = hit_t, hit_d
    obs = truth[truth["observable"]]
    ev = obs[~obs["evidence_gap"]]
    return pd.concat([
        truth.groupby("rule_id").agg(n_true=("hit", "size"), recall_raw=("hit", "mean")),
        obs.groupby("rule_id").agg(n_observable=("hit", "size"), recall=("hit", "mean")),
        ev.groupby("rule_id").agg(n_evidenced=("hit", "size"),
                                  recall_evidenced=("hit", "mean")),
        det.groupby("rule_id").agg(n_detected=("hit", "size"), precision=("hit", "mean")),
    ], axis=1).sort_index()


def _evidence_gaps(sim: Path, truth: pd.DataFrame, tr: pd.DataFrame, comp: np.ndarray,
                   code: dict[str, int], big: np.int64) -> np.ndarray:
    """Fatigue events whose delivered spell (spell start .. event start) holds a silence in
    which a rest could have fitted (dt - km / 102 km/h >= 20 min, silences > 300 s)."""
    out = np.zeros(len(truth), dtype=bool)
    tv = pd.read_csv(sim / "truth" / "violations.csv")
    if "spell_start" not in tv:
        return out
    tv["rule_id"] = _rule_id(tv["rule"], tv["subkind"])
    tv["s"] = _epoch(tv["start"])
    spell = tv.dropna(subset=["spell_start"]).assign(ss=lambda d: _epoch(d["spell_start"]))
    ss = truth.merge(spell[["vehicle_id", "rule_id", "s", "ss"]].drop_duplicates(
        ["vehicle_id", "rule_id", "s"]), on=["vehicle_id", "rule_id", "s"], how="left")["ss"]
    ok = tr[tr["delivery"].isin(DELIVERED)].reset_index(drop=True)
    ocomp = ok["vehicle_id"].map(code).to_numpy(np.int64) * big + ok["t"].to_numpy(np.int64)
    same = ok["vehicle_id"].to_numpy()[1:] == ok["vehicle_id"].to_numpy()[:-1]
    dt = np.diff(ok["t"].to_numpy(np.float64))
    km = _haversine(ok["lat"].to_numpy(), ok["lon"].to_numpy())
    rest_fits = same & (dt > 300) & (dt - km / 102.0 * 3600 >= 1200)
    cum = np.r_[0, np.cumsum(rest_fits)]
    has = ss.notna().to_numpy()
    vc = truth["vehicle_id"].map(code).fillna(-1).to_numpy(np.int64)
    lo = np.searchsorted(ocomp, vc * big + np.nan_to_num(ss.to_numpy(), nan=0).astype(np.int64))
    hi = np.searchsorted(ocomp, vc * big + truth["s"].to_numpy(np.int64), side="right")
    lo = np.clip(lo, 0, cum.size - 1)
    hi = np.clip(hi - 1, 0, cum.size - 1)  # silences between fixes lo .. hi
    out[has] = (cum[np.maximum(hi, lo)] - cum[lo])[has] > 0
    return out


def _haversine(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat[:-1]), np.radians(lat[1:])
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon[1:] - lon[:-1]) / 2) ** 2)
    return np.asarray(2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(a, 1.0))))
