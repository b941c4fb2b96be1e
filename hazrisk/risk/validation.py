"""Validation as an actuary does it (CAS Monograph 5; scikit-learn's insurance examples).

Out-of-time: the model is fitted on earlier years and judged on the test year's developed
claims. Metrics: exposure-weighted Lorenz curve and Gini (x = cumulated exposure, ties
averaged; Brauer & Wüthrich 2025) with an enterprise-cluster bootstrap interval, actual /
expected by predicted decile with Poisson bands, double lift against the current premium,
Poisson D², and one comparison table (tariff only, GLM without telematics, GLM, GLM +
credibility, GBM, Tweedie).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import d2_tweedie_score

Z_TOTAL = 2.576  # 99 % two-sided normal quantile (Poisson band of the total)
Z_DECILE = 3.0   # per decile (research §5.3 item 4: 3 / sqrt(expected claims))


def lorenz_curve(y: Any, pred: Any, w: Any) -> tuple[np.ndarray, np.ndarray]:
    """Ordered Lorenz curve: cumulated exposure share (x) vs cumulated claims share (y),
    policies sorted by predicted rate ascending; ties form one step (averaged)."""
    y, pred, w = (np.asarray(a, dtype=float) for a in (y, pred, w))
    order = np.argsort(pred, kind="stable")
    p, yy, ww = pred[order], y[order], w[order]
    ends = np.r_[np.flatnonzero(np.diff(p) != 0), len(p) - 1]  # last index of each tie group
    cw = np.r_[0.0, np.cumsum(ww)[ends]] / max(ww.sum(), 1e-300)
    cy = np.r_[0.0, np.cumsum(yy)[ends]] / max(yy.sum(), 1e-300)
    return cw, cy


def gini(y: Any, pred: Any, w: Any) -> float:
    """Exposure-weighted Gini: ``1 - 2 * area under the ordered Lorenz curve``."""
    x, c = lorenz_curve(y, pred, w)
    return float(1.0 - 2.0 * np.trapezoid(c, x))


def gini_interval(y: Any, pred: Any, w: Any, groups: Any, *, reps: int = 200, seed: int = 0,
                  level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the Gini over an enterprise-cluster bootstrap."""
    y, pred, w = (np.asarray(a, dtype=float) for a in (y, pred, w))
    codes, uniq = pd.factorize(np.asarray(groups))
    members = [np.flatnonzero(codes == k) for k in range(len(uniq))]
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(reps):
        pick = rng.integers(0, len(members), len(members))
        idx = np.concatenate([members[k] for k in pick])
        if y[idx].sum() > 0:
            vals.append(gini(y[idx], pred[idx], w[idx]))
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def poisson_band(expected: float, z: float) -> tuple[float, float]:
    """``expected +- z sqrt(expected)`` (normal approximation of a Poisson count)."""
    half = z * math.sqrt(max(expected, 0.0))
    return max(expected - half, 0.0), expected + half


def ae_by_decile(actual: Any, expected: Any, weight: Any, *, n: int = 10) -> pd.DataFrame:
    """Actual / expected by decile of the predicted rate (``expected / weight``), with each
    decile's Poisson band (``Z_DECILE``) and a total row (``Z_TOTAL``)."""
    a, e, w = (np.asarray(v, dtype=float) for v in (actual, expected, weight))
    rate = e / np.where(w > 0, w, 1.0)
    order = np.argsort(rate, kind="stable")
    cw = np.cumsum(w[order]) / w.sum()
    dec = np.minimum((cw * n - 1e-12).astype(int), n - 1)
    rows: list[dict[str, Any]] = []
    for k in range(n):
        sel = order[dec == k]
        ex, ac = float(e[sel].sum()), float(a[sel].sum())
        lo, hi = poisson_band(ex, Z_DECILE)
        rows.append({"decile": k + 1, "exposure": float(w[sel].sum()), "actual": ac,
                     "expected": ex, "ae": ac / ex if ex > 0 else None, "band_low": lo,
                     "band_high": hi, "within_band": lo <= ac <= hi})
    ex, ac = float(e.sum()), float(a.sum())
    lo, hi = poisson_band(ex, Z_TOTAL)
    rows.append({"decile": "total", "exposure": float(w.sum()), "actual": ac, "expected": ex,
                 "ae": ac / ex if ex > 0 else None, "band_low": lo, "band_high": hi,
                 "within_band": lo <= ac <= hi})
    return pd.DataFrame(rows)


def double_lift(actual_loss: Any, model_loss: Any, current_premium: Any, *, n: int = 10) -> pd.DataFrame:
    """Double lift chart: deciles of ``model / current`` (each rescaled to the actual total);
    per decile the loss ratio of actual losses to the model and to the current premium. The
    better model has the flatter ratio of actual to itself."""
    a, m, c = (np.asarray(v, dtype=float) for v in (actual_loss, model_loss, current_premium))
    m = m * a.sum() / m.sum()
    c = c * a.sum() / c.sum()
    ratio = m / np.where(c > 0, c, np.nan)
    order = np.argsort(np.nan_to_num(ratio, nan=1.0), kind="stable")
    groups = np.array_split(order, n)
    return pd.DataFrame([{"decile": k + 1, "policies": len(g), "model_over_current": float(np.nanmean(ratio[g])),
                          "actual": float(a[g].sum()), "model": float(m[g].sum()),
                          "current": float(c[g].sum()),
                          "actual_to_model": float(a[g].sum() / m[g].sum()) if m[g].sum() else None,
                          "actual_to_current": float(a[g].sum() / c[g].sum()) if c[g].sum() else None}
                         for k, g in enumerate(groups)])


def d2_poisson(actual: Any, expected: Any, weight: Any) -> float:
    """Share of Poisson deviance explained (rate scale, exposure weights)."""
    a, e, w = (np.asarray(v, dtype=float) for v in (actual, expected, weight))
    ok = w > 0
    return float(d2_tweedie_score(a[ok] / w[ok], e[ok] / w[ok], sample_weight=w[ok], power=1))


def compare(test: pd.DataFrame, predictions: dict[str, np.ndarray], *, reps: int = 200,
            seed: int = 0) -> pd.DataFrame:
    """One row per model: Gini (with bootstrap interval), D², total A/E and its band, deciles
    inside their bands. ``predictions`` are expected developed claims per test policy."""
    y = test["n_claims"].to_numpy(float)
    w = (test["exposure_years"] * test["maturity"]).to_numpy(float)
    rows = []
    for name, e in predictions.items():
        lo, hi = gini_interval(y, e / w, w, test["enterprise_id"], reps=reps, seed=seed)
        dec = ae_by_decile(y, e, w)
        tot = dec.iloc[-1]
        rows.append({"model": name, "gini": gini(y, e / w, w), "gini_low": lo, "gini_high": hi,
                     "d2": d2_poisson(y, e, w), "ae": tot["ae"],
                     "ae_within_band": bool(tot["within_band"]),
                     "deciles_within_band": int(dec.iloc[:-1]["within_band"].sum())})
    return pd.DataFrame(rows)
