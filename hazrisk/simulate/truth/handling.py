"""The handling truth under the warehouse's definitions (``[handling]`` in conf/rules.toml).

For each true violation or ADAS/DSM alarm (epoch-second ``start``/``end``,
``reminder_time``, ``actions`` as :func:`hazrisk.simulate.terminal.monitor.plan_handling` set them):

* ``reminded``: a reminder came within ``reminder_window_s`` (1 h) of the start (a later one
  is not handling);
* ``continued_after_reminder``: the event was still running at the reminder;
  ``repeated_after_reminder``: the same rule (``rule_id``) started again on the vehicle
  within ``repeat_window_s`` (1 h) after the reminder;
* ``escalation_due`` = reminded and (continued or repeated) (implementing opinion 三.3(1):
  remind -> enterprise safety department -> police); ``escalated``: reported to the safety
  department or the police; ``escalation_failure`` = due and never escalated;
* ``dismissed``: reviewed as a false alarm (not handling); ``handled`` = reminded or
  escalated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def rule_ids(rule: pd.Series, sub: pd.Series) -> pd.Series:
    """The warehouse's ``rule_id`` of true events (``fatigue_<kind>``, ``adas_<type>`` ...)."""
    s = sub.astype(object).where(sub.notna(), "").astype(str)
    out = rule.astype(str).copy()
    pick = rule.isin(["fatigue", "adas", "dsm"])
    out[pick] = rule[pick].astype(str) + "_" + s[pick]
    return out


def add_escalation(ev: pd.DataFrame, rules: Any) -> pd.DataFrame:
    """``ev`` (one vehicle's or many vehicles' events) with the handling-truth columns."""
    h = rules.handling
    window, repeat = int(h.reminder_window_s), int(h.repeat_window_s)
    out = ev.copy()
    if out.empty:
        for c in ("reminded", "continued_after_reminder", "repeated_after_reminder",
                  "escalation_due", "escalated", "escalation_failure", "dismissed", "handled"):
            out[c] = pd.Series(dtype=bool)
        return out
    rid = rule_ids(out["rule"], out["subkind"])
    rem = pd.to_numeric(out["reminder_time"], errors="coerce")
    actions = out["actions"].fillna("").astype(str)
    reminded = rem.notna() & (rem <= out["start"] + window)
    continued = reminded & (out["end"] > rem)
    repeated = np.zeros(len(out), bool)
    keys = out["vehicle_id"].astype(str) + "|" + rid
    starts = out["start"].to_numpy()
    for k in np.flatnonzero(reminded.to_numpy()):
        same = (keys == keys.iloc[k]).to_numpy()
        r = float(rem.iloc[k])
        repeated[k] = bool((same & (starts > r) & (starts <= r + repeat)).any())
    escalated = actions.str.contains("reported_safety_dept|reported_police", regex=True)
    due = reminded & (continued | repeated)
    out["reminded"] = reminded
    out["continued_after_reminder"] = continued
    out["repeated_after_reminder"] = repeated & reminded.to_numpy()
    out["escalation_due"] = due
    out["escalated"] = escalated
    out["escalation_failure"] = due & ~escalated
    out["dismissed"] = actions == "dismissed"
    out["handled"] = reminded | escalated
    return out


__all__ = ["add_escalation", "rule_ids"]
