"""Precision and recall of ``safety.violations`` against the simulator's truth.

Matching rule: a detected event and a true event match when they have the same vehicle, the
same rule and overlapping [start, end] intervals.

The detectors are judged against the **observable** truth only, as the simulator marks it
(``truth/README.md``): ``violations.csv`` and ``alarms.csv`` carry ``observable`` (the same
rules re-applied by the simulator to the samples that reached the platform — real time or
backfill — reading silences by the gap policy, still find the event; alarms: their real-time
frame was received), and ``violations_observable_only.csv`` lists the events those delivered
samples show although the true track does not (e.g. a day of exactly 8 h 00 min of true
driving that one lost stopped fix makes 8 h 00 min 58 s: a fix's state holds until the next
fix, so a correct detector must report it). A violation whose evidence never reached the
platform (terminal powered off, backfill lost), or whose delivered samples cannot show it
(driving across a silence in which a 20 min rest could have fitted: ``evidence = partial``),
is not observable and is left out of the recall.

- recall = matched observable events / observable events (true observable events plus the
  observable-only ones); ``recall_raw`` over every true event, reported only;
- precision = matched detected / detected, where a detected event is correct when it matches
  any true event (observable or not: it is a real violation) or an observable-only event.

Detected ``faulty_terminal_dispatch`` events with ``cause = offline`` (a departure during a
real-time silence without a ticket) have no counterpart in the simulator's truth; they are
reported as ``faulty_terminal_dispatch:offline`` and not judged.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

COLS = ["vehicle_id", "rule_id", "start", "end", "observable"]


def _epoch(x: pd.Series) -> pd.Series:
    return (pd.to_datetime(x, utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta("1s")


def _rule_id(rule: pd.Series, sub: pd.Series) -> np.ndarray:
    r = np.asarray(rule, dtype=object)
    s = sub.astype(object).fillna("").to_numpy(dtype=object)
    return np.where(r == "fatigue", "fatigue_" + s, r)


def _bool(x: pd.Series) -> pd.Series:
    return x.astype(str).str.lower().isin(["true", "1"])


def true_events(sim: Path) -> pd.DataFrame:
    """Every true event (violations and ADAS/DSM alarms) with its ``observable`` flag."""
    tv = pd.read_csv(sim / "truth" / "violations.csv")
    tv["rule_id"] = _rule_id(tv["rule"], tv["subkind"])
    ta = pd.read_csv(sim / "truth" / "alarms.csv")
    ta["rule_id"] = ta["system"] + "_" + ta["alarm_type"]
    ta["start"] = ta["time"]
    ta["end"] = ta["time"]
    out = pd.concat([tv[COLS], ta[COLS]], ignore_index=True)
    out["observable"] = _bool(out["observable"])
    out["s"], out["e"] = _epoch(out["start"]), _epoch(out["end"])
    return out


def observable_only_events(sim: Path) -> pd.DataFrame:
    """Events the delivered samples show that the true track does not."""
    o = pd.read_csv(sim / "truth" / "violations_observable_only.csv")
    o["rule_id"] = _rule_id(o["rule"], o["subkind"])
    o["observable"] = True
    o = o[COLS].copy()
    o["s"], o["e"] = _epoch(o["start"]), _epoch(o["end"])
    return o


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
    """Per rule: n_true, recall_raw, n_observable (of which n_observable_only), recall,
    n_detected, precision."""
    registered = {r[0] for r in con.sql("SELECT DISTINCT vehicle_id FROM core.vehicles")
                  .fetchall()}
    truth = true_events(sim)
    truth = truth[truth["vehicle_id"].isin(registered)].reset_index(drop=True)
    extra = observable_only_events(sim)
    extra = extra[extra["vehicle_id"].isin(registered)].reset_index(drop=True)
    det = con.sql("SELECT vehicle_id, CASE WHEN rule_id = 'faulty_terminal_dispatch' AND "
                  "json_extract_string(detail_json, '$.cause') = 'offline' THEN rule_id || "
                  "':offline' ELSE rule_id END AS rule_id, epoch(start_time) AS s, "
                  "epoch(end_time) AS e FROM safety.violations").to_df()
    truth["hit"], _ = _matched(truth, det)
    extra["hit"], _ = _matched(extra, det)
    _, det["hit"] = _matched(pd.concat([truth, extra], ignore_index=True), det)
    obs = pd.concat([truth[truth["observable"]], extra], ignore_index=True)
    return pd.concat([
        truth.groupby("rule_id").agg(n_true=("hit", "size"), recall_raw=("hit", "mean")),
        obs.groupby("rule_id").agg(n_observable=("hit", "size"), recall=("hit", "mean")),
        extra.groupby("rule_id").agg(n_observable_only=("hit", "size")),
        det.groupby("rule_id").agg(n_detected=("hit", "size"), precision=("hit", "mean")),
    ], axis=1).sort_index()
