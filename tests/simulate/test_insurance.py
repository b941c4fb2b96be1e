"""Policies and claims simulator: contract, determinism, and the known truth is recoverable.

What is asserted follows ``shared/domain/insurance.md`` ("What model tests should assert",
items 1 and 3, and the confounding diagnostic) for the generator itself.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hazrisk.simulate.insurance import (
    CLAIMS_COLUMNS,
    INSURERS_COLUMNS,
    POLICIES_COLUMNS,
    InsuranceParams,
    InsuranceResult,
    draw_severity,
    hazmat_major_class,
    make_insurance,
    make_insurance_book,
)
from hazrisk.simulate.insurance.estimators import confounding_diagnostic, fit_poisson_glm
from hazrisk.simulate.insurance.truth import (
    BEHAVIOUR_FEATURES,
    FEATURES,
    feature_matrix,
    true_coefficients,
    true_log_rate,
)

REPO = Path(__file__).resolve().parents[2]
YEARS = [2021, 2022, 2023, 2024, 2025]


@pytest.fixture(scope="module")
def small() -> InsuranceResult:
    return make_insurance_book(40, years=YEARS, random_state=7)


@pytest.fixture(scope="module")
def book_ind() -> InsuranceResult:
    """About 23,000 vehicle-years, 3,400 claims; enterprise effects independent of behaviour."""
    return make_insurance_book(400, years=YEARS, random_state=11, correlated=False)


@pytest.fixture(scope="module")
def book_corr() -> InsuranceResult:
    """The same fleet and behaviour as ``book_ind``; enterprise effects via safety culture."""
    return make_insurance_book(400, years=YEARS, random_state=11, correlated=True)


def _fleet_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A literal fleet in the fleet simulator's format (int classes, extra columns)."""
    enterprises = pd.DataFrame(
        {
            "enterprise_id": ["E0002", "E0001"],
            "city": ["宁波", "杭州"],
            "safety_culture": [-0.5, 1.0],
            "insurer_id": ["I02", "I01"],
        }
    )
    rows = []
    for i in range(12):
        rows.append(
            {
                "vehicle_id": f"V{i + 1:05d}",
                "enterprise_id": "E0001" if i < 5 else "E0002",
                "hazmat_class": [3, 2, 8, 6, 9][i % 5],
                "tonnage_t": [18.0, 30.0, 8.0, 3.5][i % 4],
                "speeding_rate": 0.3,
                "fatigue_rate": 0.5,
                "night_share": 0.1,
                "dsm_rate": 1.5,
                "offline_share": 0.02,
                "annual_km": 85_000.0,
                "vehicle_type": "重型罐式货车" if i % 2 else "重型厢式货车",
                "maker_id": "M01" if i % 3 else "M02",
                "valid_from": dt.date(2023, 7, 1) if i == 0 else dt.date(2018, 3, 5),
                "registered": i != 11,
            }
        )
    insurers = pd.DataFrame({"insurer_id": ["I01", "I02", "I03"], "name": ["甲", "乙", "丙"]})
    return enterprises, pd.DataFrame(rows), insurers


# --- contract ------------------------------------------------------------------------------


def _readme_columns(file_name: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith(f"| `{file_name}` |"):
            cell = line.split("|")[2]
            return [c.strip() for c in re.sub(r"\([^)]*\)", "", cell).replace("`", "").split(",")]
    raise AssertionError(f"{file_name} not in README")


def test_columns_exactly_as_readme(small: InsuranceResult, tmp_path: Path) -> None:
    small.to_files(tmp_path)
    for name, cols in (
        ("policies.csv", POLICIES_COLUMNS),
        ("claims.csv", CLAIMS_COLUMNS),
        ("insurers.csv", INSURERS_COLUMNS),
    ):
        assert _readme_columns(name) == list(cols)
        header = (tmp_path / "insurance" / name).read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == list(cols)
    assert list(small.policies.columns) == list(POLICIES_COLUMNS)
    assert list(small.claims.columns) == list(CLAIMS_COLUMNS)
    assert list(small.insurers.columns) == list(INSURERS_COLUMNS)
    for name in ("claims_model.json", "vehicle_years.parquet", "claims_truth.parquet"):
        assert (tmp_path / "truth" / name).exists()


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = make_insurance_book(25, years=YEARS, random_state=3)
    b = make_insurance_book(25, years=YEARS, random_state=3)
    c = make_insurance_book(25, years=YEARS, random_state=4)
    fa = a.to_files(tmp_path / "a")
    fb = b.to_files(tmp_path / "b")
    assert [p.read_bytes() for p in fa] == [p.read_bytes() for p in fb]
    assert not a.claims.equals(c.claims)
    g = make_insurance_book(25, years=YEARS, random_state=np.random.default_rng(3))
    pd.testing.assert_frame_equal(g.claims, a.claims)


def test_input_row_order_does_not_matter() -> None:
    ent, veh, ins = _fleet_frames()
    a = make_insurance(ent, veh, years=YEARS, random_state=5, insurers=ins)
    b = make_insurance(ent[::-1], veh.sample(frac=1.0, random_state=1), years=YEARS,
                       random_state=5, insurers=ins)  # fmt: skip
    pd.testing.assert_frame_equal(a.policies, b.policies)
    pd.testing.assert_frame_equal(a.claims, b.claims)


def test_exposure_dates_and_claim_links(small: InsuranceResult) -> None:
    pol, cl, vy = small.policies, small.claims, small.vehicle_years
    assert pol["policy_id"].is_unique and cl["claim_id"].is_unique
    assert not pol.duplicated(["vehicle_id", "year"]).any()
    start = pd.to_datetime(pol["start_date"])
    end = pd.to_datetime(pol["end_date"])
    assert (start.dt.year == pol["year"]).all() and (end.dt.year == pol["year"]).all()
    days_in_year = np.where(pol["year"] % 4 == 0, 366, 365)
    expected = ((end - start).dt.days + 1).to_numpy() / days_in_year
    np.testing.assert_allclose(pol["exposure_years"], expected, rtol=1e-12)
    assert pol["exposure_years"].between(0, 1, inclusive="right").all()
    assert (pol["exposure_years"] < 1).mean() > 0.03  # vehicles join and leave mid-year
    # exposure sums: per year and vehicle <= 1, totals agree with the truth table
    assert pol.groupby(["year", "vehicle_id"])["exposure_years"].sum().max() <= 1.0
    assert math.isclose(pol["exposure_years"].sum(), vy["exposure_years"].sum())
    assert math.isclose(small.truth["book"]["exposure_years"], vy["exposure_years"].sum())
    # claims belong to their policy's vehicle, enterprise and period
    m = cl.merge(pol, on="policy_id", suffixes=("", "_p"))
    assert len(m) == len(cl)
    assert (m["vehicle_id"] == m["vehicle_id_p"]).all()
    assert (m["enterprise_id"] == m["enterprise_id_p"]).all()
    assert (m["loss_date"] >= m["start_date"]).all() and (m["loss_date"] <= m["end_date"]).all()
    counts = cl.groupby("policy_id").size().reindex(vy["policy_id"], fill_value=0)
    np.testing.assert_array_equal(counts.to_numpy(), vy["n_claims"].to_numpy())
    assert math.isclose(cl["amount_cny"].sum(), vy["amount_cny"].sum(), rel_tol=1e-9)
    assert (pol["premium_cny"] > 0).all()


def test_fleet_format_inputs() -> None:
    ent, veh, ins = _fleet_frames()
    res = make_insurance(ent, veh, years=YEARS, random_state=1, insurers=ins)
    pol = res.policies
    assert "V00012" not in set(pol["vehicle_id"])  # registered == False: no policy
    first = pol[pol["vehicle_id"] == "V00001"]
    assert first["year"].min() == 2023 and first["start_date"].min() == "2023-07-01"
    assert set(pol["insurer_id"]) <= {"I01", "I02", "I03"}
    last = pol[pol["year"] == 2025].drop_duplicates("enterprise_id")
    assert dict(zip(last["enterprise_id"], last["insurer_id"], strict=True)) == {
        "E0001": "I01",
        "E0002": "I02",
    }
    tanker = res.vehicle_years.groupby("vehicle_id")["tanker"].first()
    assert tanker["V00002"] == 1 and tanker["V00003"] == 0
    assert list(res.insurers["insurer_id"]) == ["I01", "I02", "I03"]
    with pytest.raises(ValueError, match="lacks columns"):
        make_insurance(ent, veh.drop(columns="dsm_rate"), years=YEARS, random_state=1)
    with pytest.raises(ValueError, match="unknown enterprises"):
        make_insurance(ent.iloc[:1], veh, years=YEARS, random_state=1, insurers=ins)
    with pytest.raises(ValueError, match="consecutive"):
        make_insurance(ent, veh, years=[2021, 2023], random_state=1, insurers=ins)


def test_accepts_the_fleet_simulator_output() -> None:
    """Integration with the fleet simulator's ``make_fleet``."""
    from hazrisk.simulate import make_fleet

    fleet = make_fleet(60, random_state=2)
    res = make_insurance(fleet.enterprises, fleet.vehicles, years=YEARS, random_state=2,
                         insurers=fleet.insurers)  # fmt: skip
    registered = fleet.vehicles
    if "registered" in registered.columns:
        registered = registered[registered["registered"].astype(bool)]
    assert set(res.policies["vehicle_id"]) <= set(registered["vehicle_id"])
    assert set(res.policies["insurer_id"]) <= set(fleet.insurers["insurer_id"])
    freq = res.truth["book"]["frequency_expected"]
    assert 0.05 < freq < 0.5


def test_default_insurers_three_or_four() -> None:
    for seed in range(6):
        res = make_insurance_book(5, years=[2024, 2025], random_state=seed)
        assert 3 <= len(res.insurers) <= 4
        assert res.insurers["name"].str.contains("模拟").all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3), ("2.1", 2), ("6.1", 6), ("第8类", 8), ("易燃液体", 3), ("腐蚀性物质", 8), ("UN 9", 9)],
)
def test_hazmat_major_class(value: object, expected: int) -> None:
    assert hazmat_major_class(value) == expected


def test_hazmat_major_class_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        hazmat_major_class("unknown")


# --- truth -------------------------------------------------------------------------------


def test_truth_json_describes_the_data(small: InsuranceResult, tmp_path: Path) -> None:
    small.to_files(tmp_path)
    truth = json.loads((tmp_path / "truth" / "claims_model.json").read_text(encoding="utf-8"))
    vy = pd.read_parquet(tmp_path / "truth" / "vehicle_years.parquet")
    # the synthetic fleet has no build years: no vehicle-age term
    assert list(truth["frequency"]["features"]) == [f for f in FEATURES if f != "vehicle_age"]
    np.testing.assert_allclose(true_log_rate(vy, truth), np.log(vy["freq_true"]), atol=1e-9)
    np.testing.assert_allclose(vy["lambda_true"], vy["freq_true"] * vy["exposure_years"])
    assert truth["enterprise_effect"]["sigma"] == pytest.approx(0.35)
    assert small.enterprises is not None
    assert set(truth["enterprise_effect"]["draws"]) == set(small.enterprises["enterprise_id"])
    sev = truth["severity"]
    assert sev["attritional"]["family"] == "gamma" and sev["tail"]["family"] == "pareto"
    assert 0 < sev["tail"]["share_of_claims"] < 0.05 and sev["tail"]["alpha"] > 1
    assert truth["correlated"] is True and truth["enterprise_effect"]["rho"] == 0.6
    assert truth["seed"] == 7


def test_independent_switch_decouples_effect_from_culture(
    book_ind: InsuranceResult, book_corr: InsuranceResult
) -> None:
    def corr(res: InsuranceResult) -> float:
        e = res.enterprises
        assert e is not None
        u = e["enterprise_id"].map(res.truth["enterprise_effect"]["draws"])
        return float(np.corrcoef(u, e["safety_culture"])[0, 1])

    assert corr(book_corr) < -0.5  # higher safety culture, lower risk
    assert abs(corr(book_ind)) < 0.15
    assert book_ind.truth["enterprise_effect"]["rho"] == 0.0
    # same fleet and behaviour in both modes; only the claims differ
    cols = ["vehicle_id", "year", "exposure_years", "speeding_per_100km_true", "dsm_per_1000km_obs"]
    pd.testing.assert_frame_equal(book_ind.vehicle_years[cols], book_corr.vehicle_years[cols])


# --- frequency -----------------------------------------------------------------------------


def test_claim_frequency_within_poisson_band(book_ind: InsuranceResult) -> None:
    vy = book_ind.vehicle_years
    lam = vy["lambda_true"].sum()
    n = vy["n_claims"].sum()
    assert abs(n - lam) <= 3 * math.sqrt(lam)
    for _, g in vy.groupby("year"):
        lam_y = g["lambda_true"].sum()
        assert abs(g["n_claims"].sum() - lam_y) <= 3 * math.sqrt(lam_y)
    # plausible for hazmat trucks: commercial-motor scale 0.12-0.25 / vehicle-year (research §5.1)
    freq = n / vy["exposure_years"].sum()
    assert 0.12 <= freq <= 0.25


def _pooled_fit(res: InsuranceResult) -> tuple[pd.Series, pd.Series, pd.Series]:
    vy = res.vehicle_years
    X = feature_matrix(vy, res.truth)
    fit = fit_poisson_glm(X, vy["n_claims"], vy["exposure_years"], groups=vy["enterprise_id"])
    assert fit.se_robust is not None
    return fit.coef, fit.se, fit.se_robust


def test_glm_recovers_truth_pure_poisson() -> None:
    """No enterprise effect: plain Fisher-information SEs are right; all within 3 SE."""
    res = make_insurance_book(
        250, years=YEARS, random_state=21, correlated=False,
        params=InsuranceParams(sigma_enterprise=0.0),
    )  # fmt: skip
    coef, se, _ = _pooled_fit(res)
    z = (coef - true_coefficients(res.truth)) / se
    assert (z.abs() <= 3).all(), z


def test_glm_recovers_truth_independent_effects(book_ind: InsuranceResult) -> None:
    """insurance.md test 1: with independent enterprise effects a pooled Poisson GLM is
    unbiased; SEs must be cluster-robust (by enterprise) -- the Fisher ones ignore sigma_u."""
    coef, se, se_r = _pooled_fit(book_ind)
    z = (coef - true_coefficients(book_ind.truth)) / se_r
    assert (z.abs() <= 3).all(), z
    assert (se_r["intercept"] > se["intercept"]) and len(book_ind.vehicle_years) > 15_000


def test_correlated_effects_bias_pooled_glm(
    book_ind: InsuranceResult, book_corr: InsuranceResult
) -> None:
    """Confounding by safety culture: pooled coefficients biased up, within-enterprise not."""
    b = list(BEHAVIOUR_FEATURES)
    d_ind = confounding_diagnostic(book_ind.vehicle_years, book_ind.truth)
    d_cor = confounding_diagnostic(book_corr.vehicle_years, book_corr.truth)
    z_ind = ((d_ind["pooled"] - d_ind["truth"]) / d_ind["pooled_se"])[b]
    z_cor = ((d_cor["pooled"] - d_cor["truth"]) / d_cor["pooled_se"])[b]
    assert abs(z_ind.mean()) < 1.0  # (each within 3 SE: test_glm_recovers_truth_independent_effects)
    assert z_cor.mean() > 1.0 and z_cor.mean() - z_ind.mean() > 1.0
    shift = ((d_cor["pooled"] - d_ind["pooled"]) / d_ind["pooled_se"])[b]
    assert shift.mean() > 1.0
    # the pooled-vs-within diagnostic flags the correlated book only
    assert d_cor["z"].abs().max() > 3 and d_ind["z"].abs().max() <= 3
    # within-enterprise estimates stay unbiased in the correlated book
    assert (((d_cor["within"] - d_cor["truth"]) / d_cor["within_se"]).abs() <= 3).all()


def test_observed_behaviour_thinned_by_offline_time(book_ind: InsuranceResult) -> None:
    vy = book_ind.vehicle_years
    q = pd.qcut(vy["offline_share"], 5, labels=False)
    ratio = vy.groupby(q).apply(
        lambda g: g["fatigue_per_1000km_obs"].sum() / g["fatigue_per_1000km_true"].sum()
    )
    assert ratio.is_monotonic_decreasing and ratio.iloc[-1] < 0.9
    # DSM: device sensitivity and false alarms (33-55 % of alarms)
    online = 1 - vy["offline_share"]
    genuine = (vy["dsm_per_1000km_true"] * vy["device_sensitivity"] * online * vy["km"]).sum()
    false = (vy["dsm_false_per_1000km"] * online * vy["km"]).sum()
    seen = (vy["dsm_per_1000km_obs"] * vy["km"]).sum()
    assert seen == pytest.approx(genuine + false, rel=0.02)
    assert 0.25 < false / (genuine + false) < 0.6


# --- severity ------------------------------------------------------------------------------


def test_severity_ordered_by_hazmat_class() -> None:
    """Mean claim (attritional + capped tail) follows the designed class effects."""
    p = InsuranceParams()
    rng = np.random.default_rng(0)
    n = 60_000
    means: dict[int, float] = {}
    for k, e in p.class_effects.items():
        mu = np.full(n, math.exp(p.sev_log_mean + e))
        xm = np.full(n, p.pareto_xm * math.exp(e))
        limit = np.full(n, 400_000.0)
        amount, _, cat = draw_severity(rng, mu, xm, limit, p)
        assert 0.015 < cat.mean() < 0.025
        means[k] = float(amount.mean())
    eff = p.class_effects
    for a in eff:
        for b in eff:
            if eff[a] > eff[b]:
                assert means[a] > means[b], (a, b)
    assert max(eff, key=lambda k: eff[k]) == 1 and min(eff, key=lambda k: eff[k]) == 9


def test_severity_mean_and_gamma_glm(book_ind: InsuranceResult) -> None:
    """The book's claims agree with the stated severity model."""
    from sklearn.linear_model import GammaRegressor

    ct = book_ind.claims_truth.merge(
        book_ind.vehicle_years[["policy_id", "year", "tanker", "night_share_true", "tonnage_t"]],
        on="policy_id",
    )
    # expected severity per claim (incl. tail and cap) matches the simulated mean
    vy = book_ind.vehicle_years
    expected = (vy["sev_mean_true"] * vy["n_claims"]).sum() / vy["n_claims"].sum()
    amounts = book_ind.claims["amount_cny"]
    assert abs(amounts.mean() - expected) <= 4 * amounts.std() / math.sqrt(len(amounts))
    # Gamma GLM on attritional claims recovers the class effects within 3 SE
    att = ct[ct["component"] == "attritional"].reset_index(drop=True)
    sev = book_ind.truth["severity"]["attritional"]
    classes = [k for k in sorted(att["hazmat_major_class"].unique()) if k != 9]
    X = pd.DataFrame({f"c{k}": (att["hazmat_major_class"] == k).astype(float) for k in classes})
    X["tanker"] = att["tanker"]
    X["night"] = att["night_share_true"]
    X["log_t"] = np.log(att["tonnage_t"] / sev["tonnage_ref_t"])
    X["trend"] = att["year"] - YEARS[0]
    y = att["amount_uncapped_cny"].to_numpy()
    model = GammaRegressor(alpha=1e-12, solver="newton-cholesky", max_iter=200, tol=1e-10)
    model.fit(X, y)
    mu = model.predict(X)
    D = np.hstack([np.ones((len(X), 1)), X.to_numpy()])
    phi = float(np.sum(((y - mu) / mu) ** 2) / (len(y) - D.shape[1]))
    se = np.sqrt(np.diag(np.linalg.inv(D.T @ D)) * phi)
    est = np.r_[model.intercept_, model.coef_]
    truth = np.array(
        [sev["log_mean_intercept"]]
        + [sev["hazmat_class_effect"][str(k)] for k in classes]
        + [sev["tanker"], sev["night_share"], sev["log_tonnage_over_ref"], sev["trend_per_year"]]
    )
    z = (est - truth) / se
    assert (np.abs(z) <= 3).all(), dict(zip(["intercept", *X.columns], z.round(2), strict=True))
    assert phi == pytest.approx(1 / sev["shape"], rel=0.1)


def test_tail_capped_at_policy_limit(book_ind: InsuranceResult) -> None:
    ct = book_ind.claims_truth
    amount = book_ind.claims["amount_cny"].to_numpy()
    limit = ct["policy_limit_cny"].to_numpy()
    assert (amount <= limit).all()
    capped = ct["capped"].to_numpy()
    assert capped.sum() >= 5
    np.testing.assert_array_equal(amount[capped], limit[capped])
    assert (ct.loc[capped, "amount_uncapped_cny"] > ct.loc[capped, "policy_limit_cny"]).all()
    cat = ct["component"] == "catastrophe"
    assert 0.01 < cat.mean() < 0.03
    assert ct.loc[cat, "amount_uncapped_cny"].median() > 3 * ct.loc[~cat, "amount_uncapped_cny"].median()
    assert set(book_ind.claims.loc[cat.to_numpy(), "cause"]) <= {"spill", "fire_explosion", "rollover"}
    assert set(np.unique(limit)) <= {200_000.0, 300_000.0, 400_000.0}


# --- premium -------------------------------------------------------------------------------


def test_current_premium_tariff(book_ind: InsuranceResult) -> None:
    vy = book_ind.vehicle_years
    base = vy["premium_cny"] / (vy["exposure_years"] * vy["ncd_factor"] * vy["insurer_factor"])
    p = InsuranceParams()
    bands = pd.cut(vy["tonnage_t"], [0, 2, 5, 10, np.inf], labels=False)
    per_band = (base / vy["hazmat_major_class"].map(p.class_loading)).groupby(bands).median()
    assert per_band.is_monotonic_increasing
    assert set(vy["ncd_factor"]) <= set(p.ncd_factors)
    lr = book_ind.truth["book"]["expected_loss_ratio"]
    assert 0.5 < lr < 0.9
    # claims lift next year's NCD level
    nxt = vy[["vehicle_id", "year", "ncd_level"]].assign(year=vy["year"] - 1)
    m = vy.merge(nxt, on=["vehicle_id", "year"], suffixes=("", "_next"))
    up = m[m["n_claims"] > 0]
    assert (up["ncd_level_next"] == np.minimum(up["ncd_level"] + up["n_claims"], 5)).all()
