"""The claims simulator's known truth: feature definitions and the true linear predictor (the
Poisson GLM and the confounding diagnostic that tests and the risk models reuse are in
:mod:`hazrisk.simulate.insurance.estimators`).

The generating process is the one of :mod:`hazrisk.simulate.insurance` (no real claims data
can be shipped, so claims are simulated with known truth), where the parameter values and
their sources are too. This module only knows how to turn a ``vehicle_years``
table plus the ``truth`` dictionary (``truth/claims_model.json``) into feature matrices, and
how to fit a Poisson GLM with exposure and honest standard errors.

Feature definitions (``truth["frequency"]["features"]``)
---------------------------------------------------------
Every frequency feature is ``x = (transform(raw) - centre) / scale`` with ``transform`` one of
``identity``, ``log`` or ``log1p``; the log-rate is ``intercept + year_effect[year] +
sum(coef * x) + u[enterprise]``. A feature has a *true* column (the behaviour that generated
the claims) and an *observed* column (what the telematics platform reports: thinned by offline
time, scaled by device sensitivity, plus false alarms; insurance.md "Behaviour"). A GLM on the
true columns recovers ``coef``. On the observed columns it does not: offline time hides
events, so the ``offline`` coefficient absorbs the hidden risk (in default books of 400
enterprises it comes out 0.6-0.8 higher than with the true columns; true value 0.5) -- the reason more offline time must never lower a factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

Transform = Literal["identity", "log", "log1p"]

#: Frequency feature names in model order (insurance.md, "Behaviour").
FEATURES: tuple[str, ...] = (
    "log_km",
    "speeding",
    "fatigue",
    "night",
    "dsm",
    "offline",
    "tanker",
    "vehicle_age",
)

#: Behaviour features, i.e. the ones whose pooled coefficients confounding can bias.
BEHAVIOUR_FEATURES: tuple[str, ...] = ("speeding", "fatigue", "night", "dsm", "offline")


@dataclass(frozen=True)
class FeatureSpec:
    """One log-linear frequency feature: ``coef * (transform(raw) - centre) / scale``.

    Parameters
    ----------
    name : str
        Feature name (one of :data:`FEATURES`).
    true_column, observed_column : str
        Columns of ``vehicle_years`` holding the true and the telematics-observed raw value.
    unit : str
        Unit of the raw value.
    transform : {"identity", "log", "log1p"}
        Transform applied to the raw value before centring and scaling.
    centre, scale : float
        Fixed reference constants (not re-estimated per book), so the truth is stable.
    coef : float
        True log-rate coefficient per unit of the standardised feature.
    """

    name: str
    true_column: str
    observed_column: str
    unit: str
    transform: Transform
    centre: float
    scale: float
    coef: float

    def apply(self, raw: np.ndarray | pd.Series) -> np.ndarray:
        """Return the standardised feature for raw values."""
        x = np.asarray(raw, dtype=float)
        if self.transform == "log":
            t = np.log(x)
        elif self.transform == "log1p":
            t = np.log1p(x)
        else:
            t = x
        return (t - self.centre) / self.scale

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (as written to ``truth/claims_model.json``)."""
        return {
            "true_column": self.true_column,
            "observed_column": self.observed_column,
            "unit": self.unit,
            "transform": self.transform,
            "centre": float(self.centre),
            "scale": float(self.scale),
            "coef": float(self.coef),
        }

    @classmethod
    def from_dict(cls, name: str, d: Mapping[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=name,
            true_column=str(d["true_column"]),
            observed_column=str(d["observed_column"]),
            unit=str(d["unit"]),
            transform=d["transform"],
            centre=float(d["centre"]),
            scale=float(d["scale"]),
            coef=float(d["coef"]),
        )


def feature_specs(truth: Mapping[str, Any]) -> list[FeatureSpec]:
    """The frequency features of a truth dictionary, in model order."""
    feats = truth["frequency"]["features"]
    return [FeatureSpec.from_dict(name, feats[name]) for name in feats]


def true_coefficients(truth: Mapping[str, Any]) -> pd.Series:
    """True frequency coefficients incl. ``intercept`` (year effects excluded)."""
    specs = feature_specs(truth)
    return pd.Series(
        [float(truth["frequency"]["intercept"])] + [s.coef for s in specs],
        index=["intercept"] + [s.name for s in specs],
        dtype=float,
    )


def feature_matrix(
    vehicle_years: pd.DataFrame, truth: Mapping[str, Any], *, observed: bool = False
) -> pd.DataFrame:
    """Standardised frequency features of every vehicle-year.

    Parameters
    ----------
    vehicle_years : DataFrame
        ``InsuranceResult.vehicle_years`` (or ``truth/vehicle_years.parquet``).
    truth : mapping
        ``InsuranceResult.truth`` (or ``truth/claims_model.json``).
    observed : bool, default False
        Use the telematics-observed columns instead of the true behaviour.

    Returns
    -------
    DataFrame
        One column per feature in :data:`FEATURES` order, same index as ``vehicle_years``.
    """
    cols: dict[str, np.ndarray] = {}
    for spec in feature_specs(truth):
        col = spec.observed_column if observed else spec.true_column
        cols[spec.name] = spec.apply(vehicle_years[col].to_numpy(dtype=float))
    return pd.DataFrame(cols, index=vehicle_years.index)


def true_log_rate(vehicle_years: pd.DataFrame, truth: Mapping[str, Any]) -> np.ndarray:
    """True log claim rate per vehicle-year (per year of exposure), incl. enterprise effects.

    Equals ``log(vehicle_years["freq_true"])``; recomputed from the truth dictionary so a
    test can check that the JSON really describes the data.
    """
    freq = truth["frequency"]
    x = feature_matrix(vehicle_years, truth)
    coefs = np.array([s.coef for s in feature_specs(truth)])
    eta = float(freq["intercept"]) + x.to_numpy() @ coefs
    year_eff = {int(k): float(v) for k, v in freq.get("year_effects", {}).items()}
    eta = eta + vehicle_years["year"].map(lambda y: year_eff.get(int(y), 0.0)).to_numpy(float)
    draws = truth["enterprise_effect"]["draws"]
    u = vehicle_years["enterprise_id"].map(lambda e: float(draws[str(e)])).to_numpy(float)
    return np.asarray(eta + u, dtype=float)
