"""Statistical properties against the simulator's truth (issue 10 §7; insurance.md tests 1-4).

Books: make_insurance_book with independent enterprise effects, loaded into a warehouse
(hazrisk.risk.synthetic) so the features come from warehouse tables only.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hazrisk.risk import validation
from hazrisk.risk.models import Settings, fit_models, relativities
from hazrisk.simulate.insurance.truth import feature_specs

pytestmark = pytest.mark.slow

#: Model column -> simulator feature (the model's transforms equal the truth's up to scale).
TRUTH_OF = {"km_per_year": "log_km", "log1p_speeding_per_100km": "speeding",
            "log1p_fatigue_per_1000km": "fatigue", "night_km_share": "night",
            "log1p_adas_dsm_per_1000km": "dsm", "offline_share": "offline", "tanker": "tanker",
            "vehicle_age": "vehicle_age"}


def within_se(rel, truth_of: dict[str, float]) -> dict[str, float]:
    """|z| of each coefficient against its truth; asserts the issue's bound.

    Columns the truth gives an effect: within 3 cluster-robust SEs each. Columns the truth
    gives none (class dummies, size, handling ...): 3 SEs at the same family-wise level
    (Bonferroni: P(|z| > 3) = 0.27 % for one test, shared by the k null columns), so a
    20-column GLM is not failed by the 5 % chance that one null column exceeds 3.
    """
    from scipy.stats import norm

    cols = [c for c in rel.index if c != "intercept"]
    nulls = [c for c in cols if c not in truth_of]
    bound_null = float(norm.isf(2 * norm.sf(3.0) / 2 / max(len(nulls), 1)))
    z = {c: float((rel.loc[c, "coef"] - truth_of.get(c, 0.0)) / rel.loc[c, "se"]) for c in cols}
    for c in cols:
        bound = bound_null if c in nulls else 3.0
        assert abs(z[c]) <= bound, (c, rel.loc[c, "coef"], truth_of.get(c, 0.0), z[c], bound)
    return z


def test_coefficients_within_three_cluster_robust_se(book_ind) -> None:
    """Concurrent features, independent effects: each frequency coefficient within 3
    cluster-robust SEs of the truth (features the simulator gives no effect: of 0)."""
    model, _ = fit_models(book_ind.con, [2021, 2022, 2023, 2024], 2025,
                          settings=Settings.default(lag=0, bootstrap_reps=10))
    rel = relativities(model).set_index("column")
    specs = {s.name: s for s in feature_specs(book_ind.res.truth)}
    truth_of = {col: specs[f].coef / specs[f].scale for col, f in TRUTH_OF.items()
                if col in rel.index}
    assert "vehicle_age" not in rel.index  # the synthetic book has no build year: dropped
    within_se(rel, truth_of)
    # the SEs are cluster-robust: wider than the Fisher ones for the enterprise-level effect
    assert rel.loc["log1p_speeding_per_100km", "se"] > 0.05


def _truth_rates(book_ind, test):
    vy = book_ind.res.vehicle_years.set_index("policy_id")
    return vy.loc[test["policy_id"], "freq_true"].to_numpy(float)


def test_out_of_time_gini_against_truth_and_baseline(book_ind, fitted) -> None:
    frame = fitted.frame
    test = frame[frame["split"] == "test"]
    y = test["n_claims"].to_numpy(float)
    w = (test["exposure_years"] * test["maturity"]).to_numpy(float)
    true_gini = validation.gini(y, _truth_rates(book_ind, test), w)
    comp = fitted.comparison.set_index("model")
    assert comp.loc["glm", "gini"] >= 0.65 * true_gini, (comp["gini"], true_gini)
    assert comp.loc["glm", "gini"] > comp.loc["no_telematics", "gini"] + 0.05
    assert comp.loc["glm", "gini_low"] < comp.loc["glm", "gini"] < comp.loc["glm", "gini_high"]


def test_actual_over_expected_within_poisson_bands(fitted) -> None:
    dec = fitted.deciles
    assert dec["within_band"].all(), dec
    total = dec.iloc[-1]
    assert abs(total["actual"] - total["expected"]) <= 2.576 * math.sqrt(total["expected"])
    comp = fitted.comparison.set_index("model")
    assert comp.loc["gbm", "ae_within_band"]  # balance-corrected challenger


def test_developed_counts_match_truth(book_ind, fitted) -> None:
    """The test year is immature at the as-at date; developed counts ~ the true claims."""
    dev = fitted.model.development.set_index("year")
    true_n = book_ind.res.vehicle_years.groupby("year")["n_claims"].sum()
    assert dev.loc[2025, "maturity"] < 0.97
    for year in (2023, 2024, 2025):
        lam = true_n[year]
        assert abs(dev.loc[year, "ultimate"] - lam) <= 3 * math.sqrt(lam), (year, dev.loc[year])
    assert dev.loc[2025, "reported"] < true_n[2025]


def test_developed_amounts_and_severity_match_truth(book_ind, fitted) -> None:
    """Reported amounts developed by the chain ladder ~ the true amounts of each accident year:
    the unreported part is a compound Poisson sum, variance (ultimate - reported) x E[X^2];
    the developed mean claim within 3 SEs of the true mean claim."""
    dev = fitted.model.development.set_index("year")
    res = book_ind.res
    year_of = res.vehicle_years.set_index("policy_id")["year"]
    amounts = res.claims.assign(year=res.claims["policy_id"].map(year_of))
    true_amount = amounts.groupby("year")["amount_cny"].sum()
    assert dev.loc[2025, "amount_maturity"] < 0.97
    for year in (2023, 2024, 2025):
        x = amounts.loc[amounts["year"] == year, "amount_cny"].to_numpy(float)
        ex2 = float(np.mean(x**2))
        unreported = max(dev.loc[year, "ultimate"] - dev.loc[year, "reported"], 1.0)
        tol = 3 * math.sqrt(unreported * ex2)
        assert abs(dev.loc[year, "ultimate_amount"] - true_amount[year]) <= tol, (
            year, dev.loc[year], true_amount[year], tol)
        se = float(np.std(x)) / math.sqrt(len(x))
        assert abs(dev.loc[year, "severity_ultimate"] - float(np.mean(x))) <= 3 * se
    # the pure-premium model's exposure is the amount maturity, not the count's
    test = fitted.frame[fitted.frame["year"] == 2025]
    assert np.allclose(test["amount_maturity"], dev.loc[2025, "amount_maturity"])


def test_gbm_monotone_in_behaviour(fitted) -> None:
    """More speeding, fatigue, night, ADAS/DSM or offline never lowers the GBM's prediction."""
    model = fitted.model
    base = fitted.frame[fitted.frame["split"] == "test"].head(300).copy()
    for col in ("speeding_per_100km", "fatigue_per_1000km", "night_km_share",
                "adas_dsm_per_1000km", "offline_share"):
        lo = model.frequency(base, "gbm")
        hi = model.frequency(base.assign(**{col: base[col] * 1.5 + 0.01}), "gbm")
        assert (hi >= lo - 1e-12).all(), col


def test_credibility_structure_and_shrinkage(book_ind, fitted) -> None:
    """Between-enterprise variance near the truth (sigma 0.35 -> var(e^u) = e^{s^2} - 1);
    small fleets get little weight; factors rank with the true enterprise effect."""
    from scipy.stats import spearmanr

    from hazrisk.risk.models import experience_factors

    s = fitted.model.structure
    true_a = math.exp(0.35**2) - 1
    assert 0.5 * true_a <= s.a <= 1.6 * true_a, s
    cred = experience_factors(fitted.model, fitted.frame, 2025)
    u = book_ind.res.truth["enterprise_effect"]["draws"]
    rho = spearmanr(cred["factor"], [u[e] for e in cred["enterprise_id"]]).statistic
    assert rho >= 0.3
    small = cred["weight"] < 1
    assert (cred.loc[small, "z"] < 0.3).all()


def test_credibility_adds_to_ranking(fitted) -> None:
    comp = fitted.comparison.set_index("model")
    assert comp.loc["glm_credibility", "gini"] >= comp.loc["glm", "gini"] - 0.01


def test_confounding_diagnostic_flags_safety_culture(fitted) -> None:
    """The pooled vs within-enterprise diagnostic flags the book whose enterprise effect is
    correlated with behaviour through safety culture (rho 0.6), and not the independent
    book; both drawn from the same fleet (same seed)."""
    from tests.risk.conftest import TRAIN, make_book

    independent = fitted.model.info["confounding"]
    assert independent and not any(r["flag"] for r in independent), independent
    book = make_book(200, 11, correlated=True)
    model, _ = fit_models(book.con, TRAIN, 2025, settings=Settings.default(bootstrap_reps=10))
    rows = {r["column"]: r for r in model.info["confounding"]}
    flagged = {c for c, r in rows.items() if r["flag"]}
    assert "log1p_speeding_per_100km" in flagged, rows
    # culture raises behaviour and claims together: the pooled coefficient is the larger
    assert all(rows[c]["pooled"] > rows[c]["within"] for c in flagged)
