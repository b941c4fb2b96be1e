"""Expected 标准化评价 verdicts (``truth/expected_verdicts.csv``) from the truth's rates and KPIs.

Computed from ``expected_rates.csv`` / ``expected_device_kpis.csv`` with the conf's weights,
floors, pass mark and targets (conf/rules.toml ``[rate_weights]``, ``[rate_floors]``,
``[completeness] score_floor``, ``[drift] vehicle_rate_ceiling``, ``[verdict]``, ``[device]``):

* provider, per period: score = Σ weight × rate over the scored rates (weight > 0; 0 points for
  a rate beyond its floor); 合格 iff every scored rate is measurable and within its floor and
  the score reaches ``provider_pass_score``; ``reasons`` names each failure;
* device maker, per period (all models): 合格 iff its 24 h repair rate (censored tickets left
  out) meets ``repair_target`` and its data preservation ``preservation_target`` (a KPI
  without tickets / outage samples has nothing failing). The KPI truth covers the whole window:
  its rows carry the window's month when the window is one month, else ``*``.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

#: truth rate name -> conf metric key where they differ
_KEY = {"network_access_rate": "network_entry", "drift_vehicle_rate": "drift_vehicles",
        "online_rate": "online"}


def _floor(rules: Any, key: str) -> tuple[float | None, bool]:
    """(floor, higher is better) of a metric."""
    if key.startswith("trajectory_completeness"):
        return float(rules.completeness.score_floor), True
    if key == "drift_vehicles":
        return float(rules.drift.vehicle_rate_ceiling), False
    floors = dict(rules.rate_floors)
    return (float(floors[key]), True) if key in floors else (None, True)


def provider_verdicts(expected: pd.DataFrame, rules: Any) -> list[dict[str, Any]]:
    weights = {k: float(v) for k, v in dict(rules.rate_weights).items()
               if not isinstance(v, dict)}
    rows = []
    for (provider, period), g in expected.groupby(["provider_id", "period"], sort=True):
        score, reasons = 0.0, []
        for r in cast(list[dict[str, Any]], g.to_dict("records")):
            key = _KEY.get(str(r["rate"]), str(r["rate"]))
            w = weights.get(key, 0.0)
            if w <= 0:
                continue
            den = float(r["denominator"])
            rate = float(r["numerator"]) / den if den else None
            floor, higher = _floor(rules, key)
            if rate is None:
                reasons.append(f"{key}: not measurable")
                continue
            beyond = floor is not None and (rate < floor if higher else rate > floor)
            if beyond:
                reasons.append(f"{key}: {rate:.4f} beyond floor {floor}")
            score += 0.0 if beyond else w * (rate if higher else 1.0 - rate)
        if score < float(rules.verdict.provider_pass_score):
            reasons.append(f"score {score:.2f} < {rules.verdict.provider_pass_score}")
        rows.append({"party": "provider", "subject_id": provider, "period": period,
                     "score": round(score, 6), "passed": not reasons,
                     "reasons": "; ".join(reasons)})
    return rows


def maker_verdicts(kpis: pd.DataFrame, periods: list[str], rules: Any) -> list[dict[str, Any]]:
    dev = rules.device
    rows = []
    for r in cast(list[dict[str, Any]], kpis[kpis["device_model"] == "*"].to_dict("records")):
        reasons = []
        for name, col, target in (("repair_24h", "repair_24h_rate", dev.repair_target),
                                  ("data_preservation", "data_preservation_rate",
                                   dev.preservation_target)):
            if pd.notna(r[col]) and float(r[col]) < float(target):
                reasons.append(f"{name} {float(r[col]):.4f} < {target}")
        for p in (periods if len(periods) == 1 else ["*"]):
            rows.append({"party": "device_maker", "subject_id": r["maker_id"], "period": p,
                         "score": None, "passed": not reasons, "reasons": "; ".join(reasons)})
    return rows


def expected_verdicts(expected: pd.DataFrame, kpis: pd.DataFrame, periods: list[str],
                      rules: Any) -> pd.DataFrame:
    rows = provider_verdicts(expected, rules) + maker_verdicts(kpis, periods, rules)
    return pd.DataFrame(rows, columns=["party", "subject_id", "period", "score", "passed",
                                       "reasons"])


__all__ = ["expected_verdicts", "maker_verdicts", "provider_verdicts"]
