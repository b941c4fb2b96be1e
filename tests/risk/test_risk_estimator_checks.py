"""The scikit-learn estimator contract for hazrisk's own estimators (issue 10 §3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

from hazrisk.risk.estimators import GLMRegressor, MonotonicPoissonGBM, TelematicsCredibility

ESTIMATORS = [
    GLMRegressor(),
    GLMRegressor(family="gamma"),
    GLMRegressor(family="tweedie", power=1.5),
    MonotonicPoissonGBM(max_iter=20, min_samples_leaf=5),
    TelematicsCredibility(),
    TelematicsCredibility(km_column=0, k=10.0, log1p_columns=[1]),
]


def _expected_failures(estimator):
    if isinstance(estimator, MonotonicPoissonGBM):
        # inherited from HistGradientBoostingRegressor: its feature binning is computed on
        # the unweighted rows, so weight 2 != the row twice (scikit-learn lists the same
        # expected failure for HistGradientBoostingRegressor itself)
        return {"check_sample_weight_equivalence_on_dense_data":
                "binning ignores sample weights (as HistGradientBoostingRegressor)"}
    if isinstance(estimator, GLMRegressor) and estimator.family != "poisson":
        # the check fits 30 features on 15 rows: no unique maximum-likelihood estimate, and
        # statsmodels' pseudo-inverse IRLS step picks a solution that depends on the weighting
        # (the Poisson fit happens to agree; with n > p, test_weights_equal_repeats passes)
        return {"check_sample_weight_equivalence_on_dense_data":
                "p > n: the GLM estimate is not unique"}
    return {}


def test_weights_equal_repeats() -> None:
    """Identified designs: integer weights = repeated rows, for every family."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y = rng.gamma(2.0, np.exp(0.2 + X @ [0.3, -0.1, 0.2]) / 2.0)
    sw = rng.integers(0, 4, 60)
    for fam in ("poisson", "gamma", "tweedie"):
        a = GLMRegressor(family=fam).fit(X, y, sample_weight=sw)
        b = GLMRegressor(family=fam).fit(X.repeat(sw, axis=0), y.repeat(sw))
        np.testing.assert_allclose(np.r_[a.intercept_, a.coef_], np.r_[b.intercept_, b.coef_],
                                   rtol=1e-7, atol=1e-9)


def _checks():
    """Every check except the array-API ones (they need SCIPY_ARRAY_API set before SciPy is
    imported and concern array libraries hazrisk does not use)."""
    for est in ESTIMATORS:
        expected = _expected_failures(est)
        for e, check in estimator_checks_generator(est):
            name = getattr(check, "func", check).__name__
            if "array_api" in name:
                continue
            marks = [pytest.mark.xfail(reason=expected[name], strict=True)] if name in expected else []
            yield pytest.param(e, check, id=f"{e}-{name}", marks=marks)


@pytest.mark.slow
@pytest.mark.parametrize(("estimator", "check"), list(_checks()))
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_poisson_glm_equals_offset_fit() -> None:
    """Rate + exposure weights = counts with offset log(exposure) (statsmodels reference)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 2))
    e = rng.uniform(0.1, 1.0, 2000)
    n = rng.poisson(e * np.exp(-1.5 + X @ [0.3, -0.2]))
    m = GLMRegressor().fit(X, n / e, sample_weight=e)
    ref = sm.GLM(n, sm.add_constant(X), family=sm.families.Poisson(), offset=np.log(e)).fit()
    np.testing.assert_allclose(np.r_[m.intercept_, m.coef_], ref.params, rtol=1e-6)
    np.testing.assert_allclose(m.bse_, ref.bse, rtol=1e-4)


def test_cluster_robust_se_wider_with_cluster_effects() -> None:
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(100), 30)
    u = rng.normal(0, 0.5, 100)[g]
    X = rng.normal(size=(3000, 1)) + rng.normal(size=100)[g][:, None]
    n = rng.poisson(np.exp(-1 + 0.2 * X[:, 0] + u))
    plain = GLMRegressor().fit(X, n)
    robust = GLMRegressor().fit(X, n, groups=g)
    assert robust.bse_[1] > 1.3 * plain.bse_[1]
    np.testing.assert_allclose(robust.coef_, plain.coef_)


def test_gbm_monotone_and_balanced() -> None:
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"speeding": rng.gamma(2, 0.5, 4000), "noise": rng.normal(size=4000)})
    w = rng.uniform(0.2, 1, 4000)
    y = rng.poisson(w * np.exp(-1.5 + 0.4 * X["speeding"])) / w
    m = MonotonicPoissonGBM(monotonic_cst={"speeding": 1}, max_iter=50).fit(X, y, sample_weight=w)
    assert np.sum(w * m.predict(X)) == pytest.approx(np.sum(w * y), rel=1e-9)
    grid = X.iloc[:200].copy()
    for k in range(1, 20):
        hi = grid.assign(speeding=grid["speeding"] + 0.1 * k)
        lo = grid.assign(speeding=grid["speeding"] + 0.1 * (k - 1))
        assert (m.predict(hi) >= m.predict(lo) - 1e-12).all()


def test_telematics_credibility_grows_with_km() -> None:
    X = pd.DataFrame({"km": [0.0, 1000.0, 4000.0, 1e6, np.nan], "rate": [5.0, 5.0, 5.0, 5.0, np.nan]})
    fit = pd.DataFrame({"km": [1e5, 1e5], "rate": [1.0, 3.0]})
    t = TelematicsCredibility(km_column="km", k=4000.0).fit(fit)
    assert t.means_[0] == pytest.approx(2.0)
    out = t.transform(X)
    assert list(t.get_feature_names_out()) == ["rate", "telematics_missing"]
    np.testing.assert_allclose(out[:, 0], [2.0, 2.0 + 3 * 0.2, 3.5, 2 + 3 * 1e6 / (1e6 + 4000), 2.0])
    np.testing.assert_array_equal(out[:, 1], [1, 0, 0, 0, 1])
