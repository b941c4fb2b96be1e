"""Premium-factor properties (issue 10 §4; insurance.md tests 5-6) with Hypothesis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hazrisk.config import load_rules
from hazrisk.risk.premium import PARTS, Bounds, _finish, balance, premium_factors, what_if

B = Bounds.from_rules(load_rules())

n_rows = st.integers(2, 40)


@st.composite
def books(draw):
    n = draw(n_rows)
    pos = st.floats(0.3, 3.0, allow_nan=False)
    parts = pd.DataFrame({p: draw(arrays(float, n, elements=pos)) for p in PARTS})
    weight = draw(arrays(float, n, elements=st.floats(0.1, 100.0)))
    trust = draw(arrays(bool, n))
    return parts, weight, trust


@settings(max_examples=150, deadline=None)
@given(books())
def test_factor_properties(book) -> None:
    parts, w, trust = book
    if (w * np.where(trust, B.factor_min, 1.0)).sum() > w.sum():  # infeasible: all untrusted
        trust = np.ones_like(trust)
    out = _finish(parts, w, trust, B)
    f = out["factor"].to_numpy()
    # bounds
    assert (f >= B.factor_min - 1e-12).all() and (f <= B.factor_max + 1e-12).all()
    # premium-neutral within 0.1 %
    assert abs((w * f).sum() / w.sum() - 1.0) <= 1e-3
    # parts multiply to the factor
    np.testing.assert_allclose(out[list(PARTS)].prod(axis=1), f, rtol=1e-9)
    # no discount without trusted data
    assert (f[~trust] >= 1.0 - 1e-12).all()
    # ranking preserved among rows of the same trust status
    raw = out["raw_factor"].to_numpy()
    for t in (True, False):
        m = trust == t
        order = np.argsort(raw[m], kind="stable")
        assert (np.diff(f[m][order]) >= -1e-12).all()


@settings(max_examples=100, deadline=None)
@given(books(), st.integers(0, 39), st.floats(1.0, 3.0))
def test_raising_one_raw_factor_never_lowers_its_factor(book, i, lift) -> None:
    parts, w, trust = book
    trust = np.ones_like(trust)
    i = i % len(w)
    before = _finish(parts, w, trust, B)["factor"].to_numpy()[i]
    worse = parts.copy()
    worse.loc[i, "data_quality"] *= lift
    after = _finish(worse, w, trust, B)["factor"].to_numpy()[i]
    assert after >= before - 1e-9


def test_balance_exact_hand_case() -> None:
    raw = np.array([0.5, 1.0, 2.0])
    w = np.array([1.0, 1.0, 1.0])
    f, c = balance(raw, w, np.zeros(3), B)
    # c * 0.5 clipped at 0.7, c clipped at 1.3 for 2.0: 0.7 + c + 1.3 = 3 -> c = 1.0
    assert c == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(f, [0.7, 1.0, 1.3])


# --- on a fitted model ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def pricing(fitted, book_ind):
    from hazrisk.risk.workflow import price_year

    return price_year(book_ind.con, fitted.model, 2026, B, name="test-model")


@pytest.mark.slow
def test_priced_book_properties(pricing) -> None:
    ent, veh, pred = pricing
    for tab in (ent, veh):
        assert tab["factor"].between(B.factor_min, B.factor_max).all()
        np.testing.assert_allclose(tab[list(PARTS)].prod(axis=1), tab["factor"], rtol=1e-9)
    wsum = (ent["premium_cny"] * ent["factor"]).sum() / ent["premium_cny"].sum()
    assert abs(wsum - 1) <= 1e-3
    assert set(pred.columns) >= {"policy_id", "vehicle_id", "enterprise_id", "year",
                                 "exposure_years", "predicted_claims", "predicted_loss_cny", "model"}
    assert (pred["predicted_claims"] > 0).all()
    from scipy.stats import spearmanr
    trusted = ent[ent["trusted"]]
    assert spearmanr(trusted["raw_factor"], trusted["factor"]).statistic >= 0.95


@pytest.mark.slow
def test_more_offline_never_lowers_a_factor(fitted, book_ind) -> None:
    from hazrisk.risk.models import experience_factors
    from hazrisk.risk.workflow import pricing_basis

    model = fitted.model
    basis = pricing_basis(book_ind.con, model, 2026)
    claims = experience_factors(model, fitted.frame, 2026)
    ent0, _ = premium_factors(model, basis, claims, B)
    for e in ent0["enterprise_id"].iloc[::40]:
        m = basis["enterprise_id"] == e
        more = basis.copy()
        more.loc[m, "offline_share"] = np.minimum(more.loc[m, "offline_share"].fillna(0) + 0.2, 1)
        # counts seen on less online km: the same events per online km or more
        ent1, _ = premium_factors(model, more, claims, B)
        f0 = ent0.set_index("enterprise_id").loc[e, "factor"]
        f1 = ent1.set_index("enterprise_id").loc[e, "factor"]
        assert f1 >= f0 - 1e-9, (e, f0, f1)


@pytest.mark.slow
def test_what_if_cutting_speeding_lowers_the_factor(fitted, book_ind) -> None:
    from hazrisk.risk.models import experience_factors
    from hazrisk.risk.workflow import pricing_basis

    model = fitted.model
    basis = pricing_basis(book_ind.con, model, 2026)
    claims = experience_factors(model, fitted.frame, 2026)
    ent, _ = premium_factors(model, basis, claims, B)
    mid = ent[(ent["factor"] > 0.8) & (ent["factor"] < 1.2) & ent["trusted"]]
    e = mid["enterprise_id"].iloc[0]
    res = what_if(model, basis, claims, B, e, feature="speeding_per_100km", cut=0.3)
    assert res["factor_after"] < res["factor"]
    with pytest.raises(ValueError):
        what_if(model, basis, claims, B, e, feature="tonnage_t")


def test_neutrality_tolerance_is_read_and_enforced() -> None:
    """The conf's tolerance reaches the check; a book that cannot be balanced is refused."""
    from dataclasses import replace

    from hazrisk.risk.premium import NeutralityError, check_neutrality, off_balance

    assert B.neutrality_tolerance == load_rules().premium.neutrality_tolerance == 0.001
    w = np.array([1.0, 1.0, 1.0, 1.0])
    assert off_balance(np.array([0.9, 1.1, 1.0, 1.0]), w) == pytest.approx(0.0)
    assert check_neutrality(np.array([1.0, 1.0, 1.0, 1.0038]), w, B, "x") == pytest.approx(0.00095)
    with pytest.raises(NeutralityError, match="neutrality_tolerance"):
        check_neutrality(np.array([1.0, 1.0, 1.0, 1.0042]), w, B, "x")
    # a band above 1 cannot keep the book premium: _finish refuses instead of publishing
    parts = pd.DataFrame({p: [1.0, 1.0, 1.0, 1.0] for p in PARTS})
    with pytest.raises(NeutralityError):
        _finish(parts, w, np.ones(4, bool), replace(B, factor_min=1.05, factor_max=1.3))
