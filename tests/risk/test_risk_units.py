"""Hand-computed scenarios for the validation metrics, credibility and development."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from hazrisk.risk import credibility, validation
from hazrisk.risk.development import development_table


def test_gini_hand_case() -> None:
    # sorted by prediction: exposure 1,1 ; claims 0,2 -> Lorenz (0,0),(0.5,0),(1,1): area 0.25
    assert validation.gini([2, 0], [0.9, 0.1], [1, 1]) == pytest.approx(0.5)
    # a constant prediction is one tie group: the diagonal, Gini 0
    assert validation.gini([2, 0, 1], [1, 1, 1], [1, 1, 1]) == pytest.approx(0.0)
    # exposure on x: a long low-risk policy counts by its exposure
    assert validation.gini([0, 1], [0.1, 0.9], [3, 1]) == pytest.approx(1 - 2 * 0.125)


def test_gini_invariant_to_monotone_transform() -> None:
    rng = np.random.default_rng(0)
    p = rng.gamma(2, 1, 500)
    y = rng.poisson(p)
    w = rng.uniform(0.2, 1, 500)
    assert validation.gini(y, p, w) == pytest.approx(validation.gini(y, np.log(p) * 3, w))


def test_ae_deciles_and_bands() -> None:
    a = np.array([10.0] * 10)
    e = np.array([10.0] * 10)
    w = np.ones(10)
    dec = validation.ae_by_decile(a, e * np.arange(1, 11) / 5.5, w)
    total = dec.iloc[-1]
    assert total["actual"] == 100 and total["expected"] == pytest.approx(100)
    assert total["band_low"] == pytest.approx(100 - 2.576 * 10)
    first = dec.iloc[0]  # expected 10/5.5 = 1.82, actual 10: outside 3 sqrt(E)
    assert not first["within_band"]
    assert validation.poisson_band(16.0, 3.0) == (4.0, 28.0)


def test_double_lift_flat_for_the_true_model() -> None:
    rng = np.random.default_rng(1)
    true = rng.gamma(2, 500, 5000)
    actual = rng.poisson(true / 100) * 100.0
    dl = validation.double_lift(actual, true, np.full(5000, 1000.0))
    assert dl["actual_to_model"].between(0.85, 1.15).all()
    assert dl["actual_to_current"].iloc[0] < 0.7 < 1.3 < dl["actual_to_current"].iloc[-1]


def test_buhlmann_straub_hand_case() -> None:
    """Two enterprises, two years each: the textbook formulas by hand."""
    f = pd.DataFrame({"enterprise_id": ["A", "A", "B", "B"], "year": [1, 2, 1, 2],
                      "actual": [2.0, 4.0, 1.0, 1.0], "expected": [2.0, 2.0, 2.0, 2.0]})
    s = credibility.estimate_structure(f)
    # X: A 1.0, 2.0 (mean 1.5); B 0.5, 0.5 (mean 0.5); overall 8/8 = 1.0
    s2 = (2 * 0.25 + 2 * 0.25 + 0 + 0) / 2  # = 0.5
    a = (4 * 0.25 + 4 * 0.25 - 1 * s2) / (8 - 32 / 8)  # = 1.5 / 4
    assert s.mu == pytest.approx(1.0) and s.s2 == pytest.approx(s2) and s.a == pytest.approx(a)
    cf = credibility.credibility_factors(f, s).set_index("enterprise_id")
    z = 4 / (4 + s2 / a)
    assert cf.loc["A", "z"] == pytest.approx(z)
    assert cf.loc["A", "factor"] == pytest.approx(z * 1.5 + (1 - z) * 1.0)


def test_no_between_variance_gives_no_credibility() -> None:
    f = pd.DataFrame({"enterprise_id": list("AABB"), "year": [1, 2, 1, 2],
                      "actual": [2.0, 2.0, 2.0, 2.0], "expected": [2.0] * 4})
    s = credibility.estimate_structure(f)
    assert s.a == 0 and math.isinf(s.k)
    assert (credibility.credibility_factors(f, s)["factor"] == 1.0).all()


def test_development_hand_triangle() -> None:
    """Two accident years; every 2024 claim reported within a year of the start of its
    accident year in 2024, half of them in the first 12 months: 2025 (12 months) x 2."""
    rows = []
    for k in range(10):
        rows.append({"year": 2024, "report_date": date(2024, 6, 1) if k < 5 else date(2025, 6, 1)})
    for _ in range(5):
        rows.append({"year": 2025, "report_date": date(2025, 6, 1)})
    dev = development_table(pd.DataFrame(rows), date(2025, 12, 31), [2024, 2025]).set_index("year")
    assert dev.loc[2024, "maturity"] == pytest.approx(1.0)
    assert dev.loc[2025, "ultimate"] == pytest.approx(10.0)
    assert dev.loc[2025, "maturity"] == pytest.approx(0.5)


@pytest.mark.slow
def test_plots_render_with_chinese_font(fitted, tmp_path) -> None:
    import warnings

    from matplotlib import font_manager

    from hazrisk.risk import plots
    from hazrisk.risk.workflow import out_of_time_predictions

    assert any(f.name == plots.FONT for f in font_manager.fontManager.ttflist)
    test = fitted.frame[fitted.frame["split"] == "test"]
    preds = out_of_time_predictions(fitted.model, fitted.frame)
    ent = pd.DataFrame({"enterprise_id": ["E1", "E2"], "factor": [0.9, 1.2],
                        "claims_record": [1.0, 1.1], "behaviour": [0.9, 1.05],
                        "management": [1.0, 1.0], "data_quality": [1.0, 1.039]})
    figs = [plots.plot_lorenz(test, preds), plots.plot_ae_deciles(fitted.deciles),
            plots.plot_double_lift(fitted.double_lift), plots.plot_relativities(fitted.relativities),
            plots.plot_factor_parts(ent)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing CJK glyph warns
        for k, fig in enumerate(figs):
            fig.savefig(tmp_path / f"{k}.png")
    assert all((tmp_path / f"{k}.png").stat().st_size > 5000 for k in range(len(figs)))


def test_public_api_pinned() -> None:
    import hazrisk.risk as risk

    assert sorted(risk.__all__) == sorted(
        ["FEATURES", "PARTS", "TRUSTED_TYPES", "Bounds", "FitResult", "GLMRegressor",
         "MonotonicPoissonGBM", "RiskModel", "Settings", "Structure", "TelematicsCredibility",
         "ae_by_decile", "compare", "credibility_factors", "development_table", "double_lift",
         "enterprise_features", "estimate_structure", "experience_factors", "fit_and_validate",
         "fit_models", "gini", "load", "lorenz_curve", "policy_features", "premium_factors",
         "price_year", "relativities", "save", "save_fit", "what_if"])
    for name in risk.__all__:
        assert getattr(risk, name) is not None


def test_cli_imports_no_modelling_stack() -> None:
    """``hazrisk --help`` must not pay for statsmodels/chainladder/skops imports."""
    import subprocess
    import sys

    code = ("import sys, hazrisk.risk.cli; "
            "print(any(m in sys.modules for m in ('statsmodels', 'chainladder', 'skops')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
