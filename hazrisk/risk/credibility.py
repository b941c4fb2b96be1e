"""Experience rating: Bühlmann–Straub credibility of each enterprise's own claims.

The GLM (with telematics) gives each enterprise-year its expected claims ``E``; the
enterprise's own record is the ratio ``X = A / E`` of actual to expected. Bühlmann–Straub
(Bühlmann & Straub 1970; with GLMs: Ohlsson 2008, SAJ) weighs it by ``w = E``:

- within variance ``s2 = sum_ij w_ij (X_ij - Xbar_i)^2 / sum_i (n_i - 1)``,
- between variance ``a = (sum_i w_i (Xbar_i - Xbar)^2 - (I - 1) s2) / (w - sum_i w_i^2 / w)``
  (truncated at 0),
- credibility ``Z_i = w_i / (w_i + s2 / a)`` and factor ``(Z_i Xbar_i + (1 - Z_i) Xbar) / Xbar``.

The structural parameters come from the book (unequal exposures; Fardilha et al. 2016), so
a small fleet's own experience gets little weight (GIRO 1978: thousands of vehicle-years
before a fleet's own claims should count fully).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Structure:
    """Structural parameters: book mean ``mu``, within ``s2``, between ``a``; ``k = s2 / a``."""

    mu: float
    s2: float
    a: float

    @property
    def k(self) -> float:
        return float("inf") if self.a <= 0 else self.s2 / self.a

    def to_dict(self) -> dict[str, float]:
        return {"mu": self.mu, "s2": self.s2, "a": self.a,
                "k": self.k if np.isfinite(self.k) else None}  # type: ignore[dict-item]


def estimate_structure(frame: pd.DataFrame, *, group: str = "enterprise_id",
                       period: str = "year", actual: str = "actual",
                       expected: str = "expected") -> Structure:
    """Bühlmann–Straub structural parameters from group x period actual and expected claims."""
    d = frame.groupby([group, period], as_index=False)[[actual, expected]].sum()
    d = d[d[expected] > 0]
    if d.empty:
        return Structure(1.0, 1.0, 0.0)
    x = d[actual] / d[expected]
    w = d[expected]
    gi = d.groupby(group)
    w_i = gi[expected].sum()
    xbar_i = gi[actual].sum() / w_i
    xbar = float(d[actual].sum() / w.sum())
    n_i = gi.size()
    dof = float((n_i - 1).sum())
    dev = w * (x - xbar_i.reindex(d[group]).to_numpy()) ** 2
    s2 = float(dev.sum() / dof) if dof > 0 else xbar  # Poisson: variance of A/E = mu / w
    big_w = float(w_i.sum())
    denom = big_w - float((w_i**2).sum()) / big_w
    a = (float((w_i * (xbar_i - xbar) ** 2).sum()) - (len(w_i) - 1) * s2) / denom if denom > 0 else 0.0
    return Structure(mu=xbar, s2=s2, a=max(a, 0.0))


def credibility_factors(frame: pd.DataFrame, structure: Structure, *,
                        group: str = "enterprise_id", actual: str = "actual",
                        expected: str = "expected") -> pd.DataFrame:
    """Per group: ``weight, actual, expected, ae, z, factor`` (factor = credibility A/E / mu)."""
    g = frame.groupby(group)[[actual, expected]].sum()
    w = g[expected].to_numpy(float)
    ae = np.divide(g[actual].to_numpy(float), w, out=np.full(len(w), structure.mu), where=w > 0)
    k = structure.k
    z = np.zeros(len(w)) if not np.isfinite(k) else w / (w + k)
    cred = z * ae + (1.0 - z) * structure.mu
    factor = cred / structure.mu if structure.mu > 0 else np.ones(len(w))
    return pd.DataFrame({group: g.index, "weight": w, "actual": g[actual].to_numpy(float),
                         "expected": w, "ae": ae, "z": z, "factor": factor}).reset_index(drop=True)
