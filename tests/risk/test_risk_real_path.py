"""The real path end to end and its statistics (issue 10 §7): simulate -> registry import ->
ingest -> detect -> history import -> features -> model fit -> premium.

One simulated fleet (3,000 vehicles, 1 simulated day, six policy years 2020-2025, independent
enterprise effects, seed 31): the dumps are simulated for one day only (what costs time),
the policy years' telematics come from the simulator's archive (``history/``) -- the path an
insurer's data takes. The statistics are judged against the simulator's truth
(``truth/vehicle_years.parquet``, ``truth/claims_model.json``).
"""

from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from hazrisk.cli import main
from hazrisk.risk import design, validation
from hazrisk.risk.models import Settings, _fit_frequency, fit_models, relativities
from hazrisk.risk.workflow import fit_and_validate
from tests.risk.test_risk_statistics import within_se

pytestmark = pytest.mark.slow

VEHICLES, SEED = 3000, 31
TRAIN, TEST = [2021, 2022, 2023, 2024], 2025
#: Registry features the archive does not measure: their coefficient is the truth's itself.
DIRECT = {"tanker": "tanker", "vehicle_age": "vehicle_age"}
#: Columns the truth gives no effect and no measured proxy of behaviour carries one.
NULLS = ("hazmat_major_class_", "tonnage_t", "enterprise_vehicles", "reminded_share",
         "escalated_share", "telematics_missing", "vehicle_age_missing")


@pytest.fixture(scope="module")
def path_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("risk_real")
    sim, db, out = d / "sim", d / "w.duckdb", d / "models" / "real"
    steps = [
        ["simulate", "--vehicles", str(VEHICLES), "--days", "1", "--start", "2026-10-01",
         "--seed", str(SEED), "--out", str(sim), "--independent-effects",
         "--insurance-years", "6"],
        ["registry", "import", str(sim), "--db", str(db)],
        ["ingest", str(sim / "dumps"), "--db", str(db)],
        ["detect", "--db", str(db), "--no-progress"],
        ["history", "import", str(sim), "--db", str(db)],
        ["model", "fit", "--db", str(db), "--train-years", f"{TRAIN[0]}-{TRAIN[-1]}",
         "--test-year", str(TEST), "--as-at", f"{TEST}-12-31", "--out", str(out), "--json"],
        ["premium", "--db", str(db), "--model", str(out), "--year", "2026", "--json"],
    ]
    for argv in steps:
        assert main(argv) == 0, argv
    return sim, db, out


@pytest.fixture(scope="module")
def truth(path_run) -> pd.DataFrame:
    sim, _, _ = path_run
    return pd.read_parquet(sim / "truth" / "vehicle_years.parquet").set_index("policy_id")


@pytest.fixture(scope="module")
def fitted(path_run):
    """The CLI's fit, again in process (prospective, as at the end of the test year)."""
    _, db, _ = path_run
    con = duckdb.connect(str(db), read_only=True)
    try:
        yield fit_and_validate(con, TRAIN, TEST, as_at=date(TEST, 12, 31),
                               settings=Settings.default(bootstrap_reps=50), name="real")
    finally:
        con.close()


def test_training_years_use_the_archive_and_detection(path_run) -> None:
    _, db, _ = path_run
    con = duckdb.connect(str(db), read_only=True)
    try:
        src = dict(con.execute("SELECT source, count(*) FROM safety.vehicle_months GROUP BY ALL"
                               ).fetchall())
        assert src.get("archive", 0) > 10_000 and src.get("detected", 0) > 0
        n_claims, n_reported = con.execute(
            "SELECT count(*), count(report_date) FROM core.claims").fetchone()
        assert n_claims > 0 and n_reported == n_claims
        n_age = con.execute("SELECT count(build_year) FROM core.vehicles").fetchone()[0]
        assert n_age > 0.9 * VEHICLES  # the registry's build year is imported
    finally:
        con.close()


def test_model_card_and_factors(path_run) -> None:
    sim, db, out = path_run
    card = json.loads((out / "model_card.json").read_text("utf-8"))
    assert card["fingerprint"]["tables"]["safety.vehicle_months"]["rows"] > 10_000
    by_split = card["data_window"]["by_split"]
    assert by_split["train"]["policies"] > 5_000 and by_split["test"]["claims"] > 0
    glm = {r["column"]: r for r in card["relativities"] if r["model"] == "glm"}
    assert {"log1p_speeding_per_100km", "vehicle_age"} <= set(glm)
    con = duckdb.connect(str(db), read_only=True)
    try:
        fac = con.execute("SELECT * FROM mart.premium_factors WHERE level = 'enterprise'").df()
        pol = con.execute("SELECT enterprise_id, sum(premium_cny) AS p FROM core.policies "
                          "WHERE year = 2025 GROUP BY ALL").df()
    finally:
        con.close()
    assert fac["factor"].between(0.7, 1.3).all()
    parts = fac[["claims_record", "behaviour", "management", "data_quality"]].prod(axis=1)
    np.testing.assert_allclose(parts, fac["factor"], rtol=1e-9)
    m = fac.merge(pol, on="enterprise_id")
    assert abs((m["factor"] * m["p"]).sum() / m["p"].sum() - 1) <= 1e-3


def test_coefficients_within_three_cluster_robust_se(path_run, truth) -> None:
    """Concurrent features, independent effects, every year 2020-2024: each frequency
    coefficient within 3 cluster-robust SEs of the truth.

    The archive measures behaviour the way ``detect`` does (events per online km = a
    detection factor x the latent rate; fatigue also grows with the km driven per day), so
    the truth of a telematics column is the truth *as those measures see it*: the same GLM
    fitted to the true expected frequencies (``freq_true``) instead of the claims -- the
    population coefficient the fit converges to. Registry features (tanker, vehicle age) are
    held against the generating coefficients themselves; columns without an effect against 0.
    """
    _, db, _ = path_run
    con = duckdb.connect(str(db), read_only=True)
    try:
        s = Settings.default(lag=0, bootstrap_reps=10)
        model, frame = fit_models(con, [2020, *TRAIN], TEST, settings=s)
    finally:
        con.close()
    rel = relativities(model).set_index("column")
    train = frame[frame["split"] == "train"].copy()
    w = train["exposure_years"].to_numpy(float) * train["maturity"].to_numpy(float)
    train["n_claims"] = truth.loc[train["policy_id"], "freq_true"].to_numpy(float) * w
    proj = _fit_frequency(design.glm_pipeline("telematics", k_km=s.k_km), train, w,
                          groups=train["enterprise_id"].to_numpy())
    projected = dict(zip(design.model_columns(proj), proj[-1].coef_, strict=True))
    claims_model = json.loads((path_run[0] / "truth" / "claims_model.json").read_text("utf-8"))
    coef = {k: v["coef"] for k, v in claims_model["frequency"]["features"].items()}
    truth_of = {c: float(v) for c, v in projected.items() if not c.startswith(NULLS)}
    truth_of.update({c: float(coef[f]) for c, f in DIRECT.items()})
    z = within_se(rel, truth_of)
    assert set(DIRECT) <= set(z)
    # the archive's speeding measure is faithful: its population coefficient is the truth's
    # (0.25 per SD of log1p(speeding), SD 0.25) within a fifth
    assert projected["log1p_speeding_per_100km"] == pytest.approx(1.0, rel=0.2)


def test_out_of_time_gini_against_truth_and_baseline(fitted, truth) -> None:
    """Out-of-time Gini: the GLM with the enterprises' own claims (credibility) >= 0.65 x
    the true frequencies' Gini; the GLM alone >= 0.65 x the Gini of the true frequencies
    without the enterprise effect (the best any model without claims experience can reach);
    the GLM above the no-telematics GLM."""
    frame = fitted.frame
    test = frame[frame["split"] == "test"]
    y = test["n_claims"].to_numpy(float)
    w = (test["exposure_years"] * test["maturity"]).to_numpy(float)
    tv = truth.loc[test["policy_id"]]
    true_gini = validation.gini(y, tv["freq_true"].to_numpy(float), w)
    oracle = validation.gini(y, np.exp(tv["eta_true"] - tv["u_enterprise"]).to_numpy(float), w)
    comp = fitted.comparison.set_index("model")
    assert comp.loc["glm_credibility", "gini"] >= 0.65 * true_gini, (comp["gini"], true_gini)
    assert comp.loc["glm", "gini"] >= 0.65 * oracle, (comp["gini"], oracle)
    assert comp.loc["glm", "gini"] > comp.loc["no_telematics", "gini"]


def test_actual_over_expected_and_developed_counts(fitted, truth) -> None:
    dec = fitted.deciles
    assert dec["within_band"].all(), dec
    total = dec.iloc[-1]
    assert abs(total["actual"] - total["expected"]) <= 2.576 * math.sqrt(total["expected"])
    dev = fitted.model.development.set_index("year")
    true_n = truth.groupby("year")["n_claims"].sum()
    assert dev.loc[TEST, "maturity"] < 0.97
    for year in (2023, 2024, TEST):
        assert abs(dev.loc[year, "ultimate"] - true_n[year]) <= 3 * math.sqrt(true_n[year])
