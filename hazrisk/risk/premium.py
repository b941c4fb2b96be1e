"""The premium factor: bounded, premium-neutral, ranking-preserving, explained by parts.

Per enterprise (and per vehicle) the raw factor is the product of four parts:

- ``claims_record``: Bühlmann–Straub credibility of its own claims (:mod:`.credibility`),
- ``behaviour``: the frequency and severity GLMs' contributions of km, speeding, fatigue,
  night, night-ban, off-route and ADAS/DSM rates, relative to the book mean,
- ``management``: contributions of the handling shares (reminded, escalated),
- ``data_quality``: contributions of the offline share and missing telematics (coefficients
  floored at 0: more offline time or missing data never lowers a factor).

An enterprise's parts are exposure-weighted geometric means of its vehicles' parts. Then
``factor = clip(c * raw, factor_min, factor_max)`` with one constant ``c`` chosen so that the
book premium is unchanged (premium-weighted mean factor 1, conf ``[premium]``); the map is
non-decreasing in ``raw``, so the ranking is kept. The balancing and capping adjustment is
shared equally by the four parts (in logs), so the parts still multiply to the factor. An
enterprise whose data cannot be trusted (conf thresholds) gets at least 1.0 -- the lift goes
to its data-quality part -- and the off-balance constant accounts for it. The balanced
book's off-balance ``|sum(w f) / sum(w) - 1|`` is checked against ``[premium]
neutrality_tolerance`` (0.1 %): a book that cannot be balanced within it raises
:class:`NeutralityError` instead of publishing factors that would move the book premium.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hazrisk.risk.design import PART_OF
from hazrisk.risk.features import RATE_FEATURES

PARTS = ("claims_record", "behaviour", "management", "data_quality")


@dataclass(frozen=True)
class Bounds:
    """``[premium]`` settings, from the rules file only (:meth:`from_rules`, :meth:`default`)."""

    factor_min: float
    factor_max: float
    min_completeness: float
    min_qualification: float
    max_offline_share: float
    min_telematics_share: float
    neutrality_tolerance: float

    @classmethod
    def from_rules(cls, rules: Any) -> Bounds:
        p = rules.premium
        return cls(float(p.factor_min), float(p.factor_max),
                   float(p.min_completeness_for_discount), float(p.min_qualification_for_discount),
                   float(p.max_offline_share_for_discount),
                   float(p.min_telematics_share_for_discount), float(p.neutrality_tolerance))

    @classmethod
    def default(cls) -> Bounds:
        """The bounds of the default rules file."""
        from hazrisk.config import load_rules

        return cls.from_rules(load_rules())


class NeutralityError(ValueError):
    """The factors cannot keep the book premium within ``[premium] neutrality_tolerance``."""


def off_balance(factor: np.ndarray, weight: np.ndarray) -> float:
    """``sum(w f) / sum(w) - 1``: how far the factors move the (weighted) book premium."""
    total = float(np.sum(weight))
    return float(np.sum(weight * factor)) / total - 1.0 if total > 0 else 0.0


def check_neutrality(factor: np.ndarray, weight: np.ndarray, b: Bounds, what: str) -> float:
    """Raise :class:`NeutralityError` when ``|off_balance| > b.neutrality_tolerance``."""
    ob = off_balance(factor, weight)
    if abs(ob) > b.neutrality_tolerance:
        raise NeutralityError(
            f"{what} factors move the book premium by {ob:+.4%}, beyond the neutrality "
            f"tolerance {b.neutrality_tolerance:.4%} ([premium] neutrality_tolerance)")
    return ob


def trusted(agg: pd.DataFrame, b: Bounds) -> np.ndarray:
    """Whether each row's telematics can earn a discount (unknown provider figures pass)."""
    ok = (agg["telematics_share"] >= b.min_telematics_share) \
        & (agg["offline_share"].fillna(1.0) <= b.max_offline_share) \
        & (agg["data_quality_rate"].fillna(0.0) >= b.min_qualification) \
        & ~(agg["provider_completeness"] < b.min_completeness) \
        & ~(agg["provider_qualification"] < b.min_qualification)
    return np.asarray(ok.to_numpy(bool))


def balance(raw: np.ndarray, weight: np.ndarray, floor: np.ndarray, b: Bounds,
            *, tol: float = 1e-12) -> tuple[np.ndarray, float]:
    """``f = clip(c raw, max(floor, min), max)`` with ``sum(w f) = sum(w)``; returns ``(f, c)``.

    ``sum(w f)`` is continuous and non-decreasing in ``c``, so bisection on ``log c`` finds
    it whenever ``sum(w * lower) <= sum(w) <= sum(w * max)``; otherwise the nearest end.
    Of the interval of balancing constants, the one nearest 1.
    """
    lo_b = np.maximum(floor, b.factor_min)
    target = float(weight.sum())

    def total(c: float) -> float:
        return float((weight * np.clip(c * raw, lo_b, b.factor_max)).sum())

    def edge(reach: bool) -> float:
        """Smallest log c with total >= target (``reach``), or largest with total <= it."""
        a, z = -20.0, 20.0
        for _ in range(200):
            mid = (a + z) / 2
            t = total(float(np.exp(mid)))
            if (t < target) if reach else (t <= target):
                a = mid
            else:
                z = mid
            if z - a < tol:
                break
        return (a + z) / 2

    # where many factors sit on their bounds, a whole interval of c balances the book: take
    # the c nearest 1 (the least adjustment of the parts)
    c = float(np.exp(np.clip(0.0, edge(True), max(edge(False), edge(True)))))
    return np.clip(c * raw, lo_b, b.factor_max), c


def vehicle_parts(model: Any, frame: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Per vehicle (row of ``frame``): the four parts (multiplicative) before balancing."""
    contrib = model.contributions(frame)
    out = pd.DataFrame(index=frame.index)
    for part in ("behaviour", "management", "data_quality"):
        cols = [c for c in contrib.columns if PART_OF.get(c) == part]
        out[part] = np.exp(contrib[cols].sum(axis=1)) if cols else 1.0
    cr = frame["enterprise_id"].map(dict(zip(claims["enterprise_id"], claims["factor"], strict=True)))
    out["claims_record"] = cr.fillna(1.0).to_numpy(float)
    return out[list(PARTS)]


def _finish(parts: pd.DataFrame, weight: np.ndarray, is_trusted: np.ndarray, b: Bounds,
            what: str = "the") -> pd.DataFrame:
    raw = parts.prod(axis=1).to_numpy(float)
    floor = np.where(is_trusted, 0.0, 1.0)
    f, c = balance(raw, weight, floor, b)
    check_neutrality(f, weight, b, what)
    capped = np.clip(c * raw, b.factor_min, b.factor_max)
    shared = (np.log(capped) - np.log(raw)) / len(PARTS)
    out = parts.copy()
    for p in PARTS:
        out[p] = parts[p].to_numpy(float) * np.exp(shared)
    out["data_quality"] = out["data_quality"] * f / capped
    out["raw_factor"] = raw
    out["factor"] = f
    out["trusted"] = is_trusted
    out["balance_constant"] = c
    return out


def premium_factors(model: Any, frame: pd.DataFrame, claims: pd.DataFrame, b: Bounds,
                    *, trust_of: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprise and vehicle factors for the policies in ``frame`` (the pricing basis).

    Parameters
    ----------
    model : RiskModel
    frame : DataFrame
        Policy features of the pricing basis (one row per vehicle).
    claims : DataFrame
        Claims-record credibility per enterprise (:func:`.models.experience_factors`).
    b : Bounds
    trust_of : Series, optional
        Precomputed trust by enterprise (the what-if keeps it unless the change breaks it).

    Returns
    -------
    enterprises, vehicles : DataFrame
        With the parts, ``raw_factor``, ``factor``, ``trusted``, ``balance_constant``.
    """
    from hazrisk.risk.features import enterprise_features

    vp = vehicle_parts(model, frame, claims)
    w = frame["premium_cny"].fillna(0.0).to_numpy(float)
    w = np.where(w > 0, w, frame["exposure_years"].to_numpy(float))
    ent = enterprise_features(frame.assign(year=0)).set_index("enterprise_id")
    ent_trust = pd.Series(trusted(ent.reset_index(), b), index=ent.index) if trust_of is None else trust_of
    logs = pd.DataFrame(np.log(vp.to_numpy(float)), columns=vp.columns, index=vp.index)
    logs = logs.mul(frame["exposure_years"].to_numpy(float), axis=0)
    logs["enterprise_id"] = frame["enterprise_id"].to_numpy()
    sums = logs.groupby("enterprise_id").sum()
    expo = frame.groupby("enterprise_id")["exposure_years"].sum()
    eparts = sums[list(PARTS)].div(expo, axis=0).apply(np.exp)
    eweight = pd.Series(w, index=frame.index).groupby(frame["enterprise_id"]).sum()
    etab = _finish(eparts, eweight.reindex(eparts.index).to_numpy(float),
                   ent_trust.reindex(eparts.index).fillna(False).to_numpy(bool), b,
                   "the enterprise")
    etab = etab.join(ent[["vehicles", "exposure_years", "premium_cny", "km", "telematics_share",
                          "offline_share"]])
    vtrust = frame["enterprise_id"].map(ent_trust).fillna(False).to_numpy(bool) \
        & (frame["telematics_missing"].to_numpy(float) == 0)
    vtab = _finish(vp, w, vtrust, b, "the vehicle")
    vtab.insert(0, "vehicle_id", frame["vehicle_id"].to_numpy())
    vtab.insert(1, "enterprise_id", frame["enterprise_id"].to_numpy())
    return etab.reset_index(), vtab.reset_index(drop=True)


def what_if(model: Any, frame: pd.DataFrame, claims: pd.DataFrame, b: Bounds, enterprise: str,
            *, feature: str = "speeding_per_100km", cut: float = 0.2) -> dict[str, Any]:
    """The enterprise's factor if it cut ``feature`` by ``cut`` (0.2 = 20 %), the book's
    balancing constant held fixed (one enterprise's change does not re-price the book)."""
    names = {r for r, _, _ in RATE_FEATURES} | {"night_km_share", "offline_share"}
    if feature not in names:
        raise ValueError(f"what-if feature must be one of {sorted(names)}")
    base_e, _ = premium_factors(model, frame, claims, b)
    row = base_e.set_index("enterprise_id").loc[enterprise]
    changed = frame.copy()
    m = changed["enterprise_id"] == enterprise
    changed.loc[m, feature] = changed.loc[m, feature] * (1.0 - cut)
    parts = vehicle_parts(model, changed[m], claims)
    logs = pd.DataFrame(np.log(parts.to_numpy(float)), columns=parts.columns).mul(changed.loc[m, "exposure_years"].to_numpy(float),
                                           axis=0).sum()
    raw = float(np.exp(logs.sum() / changed.loc[m, "exposure_years"].sum()))
    lower = b.factor_min if bool(row["trusted"]) else max(b.factor_min, 1.0)
    before = float(np.asarray(row["factor"]))
    new = float(np.clip(float(np.asarray(row["balance_constant"])) * raw, lower, b.factor_max))
    return {"enterprise_id": enterprise, "feature": feature, "cut": cut,
            "factor": before, "factor_after": new, "change": new / before - 1.0}
