"""The claims simulator's known truth: feature definitions, the true linear predictor, and the
recovery / confounding diagnostics that tests (and the risk-model tests) reuse.

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

from collections.abc import Mapping, Sequence
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


@dataclass
class GLMFit:
    """A fitted Poisson GLM with exposure: coefficients and standard errors.

    Attributes
    ----------
    coef : Series
        Coefficients (``intercept`` first for the pooled model; the within-enterprise model
        has no intercept, its enterprise effects are profiled out).
    se : Series
        Model-based standard errors, inverse Fisher information.
    se_robust : Series or None
        Cluster-robust (sandwich, by ``groups``) standard errors with the ``G/(G-1)``
        small-sample factor; ``None`` when no groups were given.
    se_jackknife : Series or None
        Delete-one-cluster jackknife standard errors (one Newton step from the full fit per
        deleted cluster, i.e. CR3-like); more honest than the sandwich when a few large,
        high-leverage clusters dominate. ``None`` when no groups were given.
    mu : ndarray
        Fitted expected claim counts.
    jackknife_deltas : ndarray or None
        ``(n_groups, n_params)`` one-step changes of the coefficients when each cluster is
        deleted (group order = sorted labels).
    """

    coef: pd.Series
    se: pd.Series
    se_robust: pd.Series | None
    se_jackknife: pd.Series | None
    mu: np.ndarray
    jackknife_deltas: np.ndarray | None


def _group_sums(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups, *values.shape[1:]))
    np.add.at(out, codes, values)
    return out


def _cluster_se(
    info: np.ndarray, scores_g: np.ndarray, info_g: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sandwich and delete-one-cluster (one-step) jackknife from per-cluster pieces."""
    g = scores_g.shape[0]
    bread = np.linalg.inv(info)
    factor = g / max(g - 1, 1)
    cov_r = bread @ (scores_g.T @ scores_g) @ bread * factor
    # beta(-g) - beta ~= -(I - I_g)^-1 s_g  (one Newton step from the full-data MLE)
    deltas = -np.stack(
        [np.linalg.lstsq(info - info_g[j], scores_g[j], rcond=None)[0] for j in range(g)]
    )
    centred = deltas - deltas.mean(axis=0)
    cov_j = centred.T @ centred * (g - 1) / g
    return np.sqrt(np.diag(cov_r)), np.sqrt(np.diag(cov_j)), deltas


def fit_poisson_glm(
    X: pd.DataFrame,
    counts: np.ndarray | pd.Series,
    exposure: np.ndarray | pd.Series,
    *,
    groups: np.ndarray | pd.Series | None = None,
    alpha: float = 1e-10,
) -> GLMFit:
    """Fit ``counts ~ Poisson(exposure * exp(b0 + X b))`` and compute standard errors.

    Uses scikit-learn's ``PoissonRegressor`` on the rate ``counts / exposure`` with
    ``sample_weight = exposure`` (equivalent to an offset ``log(exposure)``; scikit-learn GLMs
    have no offset argument, insurance.md "parity"), a negligible ridge ``alpha`` and the
    Newton-Cholesky solver; standard errors come from the Fisher information
    ``X' diag(mu) X`` computed here (plus cluster-robust and jackknife ones by ``groups``).

    Parameters
    ----------
    X : DataFrame
        Covariates (no intercept column).
    counts, exposure : array-like
        Claim counts and exposure in vehicle-years (> 0).
    groups : array-like, optional
        Cluster labels (e.g. enterprise) for cluster-robust and jackknife standard errors.
    alpha : float, default 1e-10
        Ridge penalty of ``PoissonRegressor`` (negligible).

    Returns
    -------
    GLMFit
    """
    from sklearn.linear_model import PoissonRegressor

    names = ["intercept", *map(str, X.columns)]
    y = np.asarray(counts, dtype=float)
    w = np.asarray(exposure, dtype=float)
    Z = X.to_numpy(dtype=float)
    model = PoissonRegressor(alpha=alpha, solver="newton-cholesky", max_iter=300, tol=1e-12)
    model.fit(Z, y / w, sample_weight=w)
    mu = w * model.predict(Z)
    D = np.hstack([np.ones((len(y), 1)), Z])
    info = D.T @ (D * mu[:, None])
    beta = np.r_[model.intercept_, model.coef_]
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    fit = GLMFit(
        coef=pd.Series(beta, index=names),
        se=pd.Series(se, index=names),
        se_robust=None,
        se_jackknife=None,
        mu=mu,
        jackknife_deltas=None,
    )
    if groups is not None:
        codes, uniq = pd.factorize(np.asarray(groups), sort=True)
        g = len(uniq)
        scores_g = _group_sums(D * (y - mu)[:, None], codes, g)
        info_g = _group_sums(D[:, :, None] * D[:, None, :] * mu[:, None, None], codes, g)
        se_r, se_j, deltas = _cluster_se(info, scores_g, info_g)
        fit.se_robust = pd.Series(se_r, index=names)
        fit.se_jackknife = pd.Series(se_j, index=names)
        fit.jackknife_deltas = deltas
    return fit


def fit_poisson_within(
    X: pd.DataFrame,
    counts: np.ndarray | pd.Series,
    exposure: np.ndarray | pd.Series,
    groups: np.ndarray | pd.Series,
    *,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> GLMFit:
    """Poisson GLM with group fixed effects (the within-enterprise estimator).

    The fixed effects are profiled out: for Poisson, the MLE of the slopes with one dummy per
    group equals the conditional (multinomial-within-group) MLE, with fitted
    ``mu_i = Y_g * e_i exp(x_i b) / sum_{j in g} e_j exp(x_j b)``. Solved by Newton's method;
    groups without claims carry no information and drop out. Standard errors: profile
    Fisher information, cluster-robust by group and delete-one-group jackknife.

    Parameters
    ----------
    X : DataFrame
        Covariates (no intercept; a covariate constant within every group is not identified).
    counts, exposure : array-like
        Claim counts and exposure.
    groups : array-like
        Fixed-effect (and cluster) labels, e.g. ``enterprise_id``.
    max_iter, tol : int, float
        Newton iterations and convergence tolerance on the step.

    Returns
    -------
    GLMFit
        Without intercept.
    """
    names = [str(c) for c in X.columns]
    y = np.asarray(counts, dtype=float)
    e = np.asarray(exposure, dtype=float)
    Z = X.to_numpy(dtype=float)
    codes, uniq = pd.factorize(np.asarray(groups), sort=True)
    g = len(uniq)
    y_g = _group_sums(y, codes, g)
    k = Z.shape[1]
    beta = np.zeros(k)

    n_g = _group_sums(np.ones_like(y), codes, g)
    log_e = np.log(e)

    def pieces(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eta = Z @ b + log_e
        eta = eta - (_group_sums(eta, codes, g) / n_g)[codes]  # mu is shift-invariant per group
        v = np.exp(eta)
        mu = y_g[codes] * v / _group_sums(v, codes, g)[codes]
        s_g = _group_sums(Z * (y - mu)[:, None], codes, g)
        m1 = _group_sums(Z * mu[:, None], codes, g)
        m2 = _group_sums(Z[:, :, None] * Z[:, None, :] * mu[:, None, None], codes, g)
        outer = m1[:, :, None] * m1[:, None, :] / np.maximum(y_g, 1e-12)[:, None, None]
        return mu, s_g, m2 - outer

    for _ in range(max_iter):
        mu, s_g, info_g = pieces(beta)
        step = np.linalg.solve(info_g.sum(axis=0), s_g.sum(axis=0))
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    mu, s_g, info_g = pieces(beta)
    info = info_g.sum(axis=0)
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    se_r, se_j, deltas = _cluster_se(info, s_g, info_g)
    return GLMFit(
        coef=pd.Series(beta, index=names),
        se=pd.Series(se, index=names),
        se_robust=pd.Series(se_r, index=names),
        se_jackknife=pd.Series(se_j, index=names),
        mu=mu,
        jackknife_deltas=deltas,
    )


def confounding_diagnostic(
    vehicle_years: pd.DataFrame,
    truth: Mapping[str, Any],
    *,
    observed: bool = False,
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Pooled vs within-enterprise Poisson GLM: the confounding-by-safety-culture diagnostic.

    insurance.md asks for "a diagnostic when pooled and within-enterprise effects disagree
    (confounding by safety culture)". Both models are fitted on the same vehicle-years; the
    within estimator has enterprise fixed effects (:func:`fit_poisson_within`). The standard
    error of the difference is the delete-one-enterprise jackknife of the difference (both
    estimators use the same data, so their errors are strongly correlated; the jackknife
    captures that and copes with large, high-leverage fleets better than a sandwich).

    Parameters
    ----------
    vehicle_years : DataFrame
        Vehicle-years with ``n_claims``, ``exposure_years``, ``enterprise_id``.
    truth : mapping
        The truth dictionary (feature definitions).
    observed : bool, default False
        Use telematics-observed features instead of the true behaviour.
    features : sequence of str, optional
        Subset of features (default: all of :data:`FEATURES`).

    Returns
    -------
    DataFrame
        Index = feature; columns ``truth, pooled, pooled_se, within, within_se, diff, diff_se,
        z`` with ``z = diff / diff_se`` (``|z| > 3`` flags confounding); standard errors are
        delete-one-enterprise jackknife ones.
    """
    X = feature_matrix(vehicle_years, truth, observed=observed)
    if features is not None:
        X = X[list(features)]
    ent = vehicle_years["enterprise_id"].to_numpy()
    y = vehicle_years["n_claims"].to_numpy(float)
    e = vehicle_years["exposure_years"].to_numpy(float)
    pooled = fit_poisson_glm(X, y, e, groups=ent)
    within = fit_poisson_within(X, y, e, ent)
    assert pooled.jackknife_deltas is not None and within.jackknife_deltas is not None
    assert pooled.se_jackknife is not None and within.se_jackknife is not None
    d = pooled.jackknife_deltas[:, 1:] - within.jackknife_deltas
    g = d.shape[0]
    diff_se = np.sqrt(((d - d.mean(axis=0)) ** 2).sum(axis=0) * (g - 1) / g)
    names = list(X.columns)
    diff = pooled.coef[names].to_numpy() - within.coef[names].to_numpy()
    true = true_coefficients(truth)
    return pd.DataFrame(
        {
            "truth": true[names].to_numpy(),
            "pooled": pooled.coef[names].to_numpy(),
            "pooled_se": pooled.se_jackknife[names].to_numpy(),
            "within": within.coef[names].to_numpy(),
            "within_se": within.se_jackknife[names].to_numpy(),
            "diff": diff,
            "diff_se": diff_se,
            "z": diff / diff_se,
        },
        index=pd.Index(names, name="feature"),
    )
