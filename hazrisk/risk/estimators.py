"""hazrisk's own scikit-learn estimators (the contract is tested by ``parametrize_with_checks``).

- :class:`GLMRegressor` -- Poisson / Gamma / Tweedie GLM with a log link, fitted by
  statsmodels so that it has standard errors (model-based and cluster-robust by ``groups``):
  scikit-learn's GLMs give none (ARCHITECTURE.md "Risk models"). Exposure enters the
  scikit-learn way, ``y = counts / exposure`` with ``sample_weight = exposure``, which for the
  Poisson family gives the same estimates as an offset ``log(exposure)``.
- :class:`MonotonicPoissonGBM` -- ``HistGradientBoostingRegressor(loss="poisson")`` with
  monotonic constraints and a balance correction (total predicted = total observed on the
  training data).
- :class:`TelematicsCredibility` -- shrinks per-km rates toward the book mean with weight
  ``Z = km / (km + k)`` (telematics credibility grows with observed km; missing telematics =
  ``Z = 0``), optionally ``log1p``-transforms them, and adds a ``telematics_missing`` flag.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

FAMILIES = ("poisson", "gamma", "tweedie")


class GLMRegressor(RegressorMixin, BaseEstimator):
    """Log-link GLM with standard errors (statsmodels IRLS underneath).

    Parameters
    ----------
    family : {"poisson", "gamma", "tweedie"}, default "poisson"
    power : float, default 1.5
        Tweedie variance power (``family="tweedie"`` only).
    alpha : float, default 0.0
        Ridge penalty (0 = maximum likelihood; standard errors assume 0).
    max_iter : int, default 100

    Attributes
    ----------
    coef_, intercept_ : coefficients (log scale).
    bse_ : ndarray
        Standard errors of ``[intercept, coef...]``; cluster-robust when ``groups`` was given
        to :meth:`fit`.
    cov_params_ : ndarray
        Covariance of ``[intercept, coef...]``.
    scale_ : float
        Dispersion (1 for Poisson; Pearson estimate otherwise).
    n_iter_ : int
        IRLS iterations.
    n_features_in_, feature_names_in_
    """

    def __init__(self, family: str = "poisson", power: float = 1.5, alpha: float = 0.0,
                 max_iter: int = 100) -> None:
        self.family = family
        self.power = power
        self.alpha = alpha
        self.max_iter = max_iter

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        return tags

    def _family(self) -> Any:
        import statsmodels.api as sm

        link = sm.families.links.Log()
        if self.family == "poisson":
            return sm.families.Poisson(link)
        if self.family == "gamma":
            return sm.families.Gamma(link)
        if self.family == "tweedie":
            return sm.families.Tweedie(var_power=float(self.power), link=link)
        raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")

    def fit(self, X: Any, y: Any, sample_weight: Any = None, *, groups: Any = None) -> GLMRegressor:
        """Fit; ``groups`` (e.g. enterprise ids) gives cluster-robust standard errors."""
        import statsmodels.api as sm

        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        if X.shape[0] < 2:
            raise ValueError(f"GLMRegressor needs at least 2 samples, got n_samples = {X.shape[0]}")
        fam = self._family()
        if np.any(y < 0) or (self.family == "gamma" and np.any(y <= 0)):
            raise ValueError(f"{self.family} GLM: y must be {'> 0' if self.family == 'gamma' else '>= 0'}")
        w = _check_sample_weight(sample_weight, X, dtype=np.float64)
        keep = w > 0
        D = np.hstack([np.ones((X.shape[0], 1)), X])[keep]
        start = np.zeros(D.shape[1])
        start[0] = np.log(max(np.average(y[keep], weights=w[keep]), 1e-12))
        model = sm.GLM(y[keep], D, family=fam, var_weights=w[keep])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.alpha > 0:
                res = model.fit_regularized(alpha=float(self.alpha), L1_wt=0.0, start_params=start,
                                            maxiter=self.max_iter)
                params = np.asarray(res.params)
                cov = np.full((D.shape[1], D.shape[1]), np.nan)
                scale = 1.0
                n_iter = self.max_iter
            else:
                kw: dict[str, Any] = {}
                if groups is not None:
                    g = np.asarray(groups)[keep]
                    codes = np.unique(g, return_inverse=True)[1]
                    kw = {"cov_type": "cluster", "cov_kwds": {"groups": codes}}
                res = model.fit(start_params=start, maxiter=self.max_iter, tol=1e-12, **kw)
                params = np.asarray(res.params)
                cov = np.asarray(res.cov_params())
                scale = float(res.scale)
                n_iter = int(getattr(res, "fit_history", {}).get("iteration", 1))
        self.intercept_ = float(params[0])
        self.coef_ = params[1:].copy()
        self.cov_params_ = cov
        self.bse_ = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        self.scale_ = scale
        self.n_iter_ = max(n_iter, 1)
        return self

    def linear_predictor(self, X: Any) -> np.ndarray:
        """``intercept + X coef`` (log of the prediction)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self.intercept_ + X @ self.coef_)

    def predict(self, X: Any) -> np.ndarray:
        """Expected value per unit of weight (e.g. claims per vehicle-year)."""
        return np.exp(np.clip(self.linear_predictor(X), -50, 50))


class MonotonicPoissonGBM(RegressorMixin, BaseEstimator):
    """Poisson gradient boosting with monotonic constraints and a balance correction.

    Parameters
    ----------
    monotonic_cst : dict or sequence, optional
        As ``HistGradientBoostingRegressor``: ``{feature name: +1}`` means more of the feature
        never lowers the prediction.
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization : boosting
        parameters (defaults are conservative for a few thousand vehicle-years).
    random_state : int, default 0

    Attributes
    ----------
    estimator_ : HistGradientBoostingRegressor
    n_iter_ : int
        Boosting iterations.
    balance_ : float
        ``sum(w y) / sum(w prediction)`` on the training data; predictions are multiplied by
        it (a regularised or early-stopped booster is not balanced by itself).
    """

    def __init__(self, monotonic_cst: dict[str, int] | Sequence[int] | None = None,
                 max_iter: int = 100, learning_rate: float = 0.1, max_leaf_nodes: int = 15,
                 min_samples_leaf: int = 100, l2_regularization: float = 1.0,
                 random_state: int = 0) -> None:
        self.monotonic_cst = monotonic_cst
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = True
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MonotonicPoissonGBM:
        cst = self.monotonic_cst
        names = getattr(X, "columns", None)
        Xv, yv = validate_data(self, X, y, y_numeric=True, ensure_all_finite="allow-nan")
        if np.any(yv < 0):
            raise ValueError("Poisson boosting: y must be >= 0")
        if isinstance(cst, dict):
            if names is None:
                raise ValueError("a dict monotonic_cst needs a DataFrame with column names")
            unknown = set(cst) - {str(c) for c in names}
            if unknown:
                raise ValueError(f"monotonic_cst names unknown features: {sorted(unknown)}")
            cst = [int(cst.get(str(c), 0)) for c in names]
        w = _check_sample_weight(sample_weight, Xv, dtype=np.float64)
        self.estimator_ = HistGradientBoostingRegressor(
            loss="poisson", monotonic_cst=cst, max_iter=self.max_iter,
            learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            early_stopping=False, random_state=self.random_state)
        self.estimator_.fit(Xv, yv, sample_weight=w)
        self.n_iter_ = int(self.estimator_.n_iter_)
        pred = self.estimator_.predict(Xv)
        denom = float(np.sum(w * pred))
        self.balance_ = float(np.sum(w * yv)) / denom if denom > 0 else 1.0
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        Xv = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return np.asarray(self.estimator_.predict(Xv) * self.balance_)


class TelematicsCredibility(TransformerMixin, BaseEstimator):
    """Shrink per-km rates toward the book mean by ``Z = km / (km + k)``; flag missing data.

    Parameters
    ----------
    km_column : str, int or None, default None
        The column holding observed km (name when fitted on a DataFrame, else index). It is
        used for the weight and not output. ``None``: ``Z = 1`` where a row has data.
    k : float, default 4000.0
        Half-credibility km (conf ``[risk] telematics_credibility_km``).
    log1p_columns : sequence, optional
        Columns (names or indices) transformed by ``log1p`` after shrinking (rates).
    add_indicator : bool, default True
        Append ``telematics_missing`` (1 where km is missing or 0, or, without ``km_column``,
        where the row is all missing).

    Attributes
    ----------
    means_ : ndarray
        km-weighted book mean of each output column (before ``log1p``).
    """

    def __init__(self, km_column: str | int | None = None, k: float = 4000.0,
                 log1p_columns: Sequence[str | int] | None = None,
                 add_indicator: bool = True) -> None:
        self.km_column = km_column
        self.k = k
        self.log1p_columns = log1p_columns
        self.add_indicator = add_indicator

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _index(self, col: str | int) -> int:
        names = getattr(self, "feature_names_in_", None)
        if isinstance(col, str):
            if names is None or col not in list(names):
                raise ValueError(f"column {col!r} not among the fitted features")
            return list(names).index(col)
        return int(col)

    def _split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[int]]:
        n = X.shape[1]
        if self.km_column is None:
            keep = list(range(n))
            km = np.where(np.isnan(X).all(axis=1), 0.0, np.inf)
        else:
            j = self._index(self.km_column)
            keep = [i for i in range(n) if i != j]
            km = np.nan_to_num(X[:, j], nan=0.0).clip(0.0, None)
        return X[:, keep], km, keep

    def fit(self, X: Any, y: Any = None) -> TelematicsCredibility:
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite="allow-nan")
        if self.k < 0:
            raise ValueError(f"k must be >= 0, got {self.k}")
        R, km, keep = self._split(X)
        w = np.where(np.isfinite(km), km, 1.0)
        means = np.zeros(R.shape[1])
        for i in range(R.shape[1]):
            ok = ~np.isnan(R[:, i]) & (w > 0)
            means[i] = float(np.average(R[ok, i], weights=w[ok])) if ok.any() else 0.0
        self.means_ = means
        self.keep_ = keep
        logs = [self._index(c) for c in (self.log1p_columns or [])]
        self.log_mask_ = np.array([i in logs for i in keep], dtype=bool)
        return self

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")
        R, km, _ = self._split(X)
        with np.errstate(invalid="ignore"):
            z = np.where(np.isinf(km), 1.0, km / (km + self.k)) if self.k > 0 else (km > 0) * 1.0
        z = np.nan_to_num(z)[:, None] * ~np.isnan(R)
        out = z * np.nan_to_num(R) + (1.0 - z) * self.means_
        out[:, self.log_mask_] = np.log1p(np.clip(out[:, self.log_mask_], -1 + 1e-12, None))
        if self.add_indicator:
            out = np.hstack([out, (km <= 0)[:, None].astype(float)])
        return np.asarray(out)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        base = [str(names[i]) if names is not None else f"x{i}" for i in self.keep_]
        base = [f"log1p_{b}" if m else b for b, m in zip(base, self.log_mask_, strict=True)]
        if self.add_indicator:
            base.append("telematics_missing")
        return np.asarray(base, dtype=object)
