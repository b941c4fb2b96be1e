"""Poisson GLM with exposure and honest (cluster-robust, jackknife) standard errors, the
within-enterprise (fixed-effects) fit and the pooled vs within-enterprise confounding
diagnostic: what the claims simulator's recovery tests and the risk models use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hazrisk.simulate.insurance.truth import feature_matrix, true_coefficients


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
