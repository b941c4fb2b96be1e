"""The composite score and the 标准化评价 verdict on the simulator's sample equal what the
truth's rates (truth/expected_rates.csv) give under the conf's weights, floors and pass mark:
score = Σ weight × rate (0 below a floor), 合格 iff every scored rate is within its floor and
the score reaches [verdict] provider_pass_score."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rates_builders import SampleWarehouse

from hazrisk.config import load_rules
from hazrisk.rates import compute_devices, compute_rates, metric_registry
from hazrisk.store.connect import connect

TRUTH = Path(__file__).resolve().parents[2] / "data" / "sample" / "truth" / "expected_rates.csv"
#: truth rate name -> metric id, for the metrics the composite scores
SCORED = {
    "vehicle_data_conformance": "vehicle_data_conformance",
    "terminal_domain_correctness": "terminal_domain_correctness",
    "image_upload_correctness": "image_upload_correctness",
    "operator_phone_verification": "operator_phone_verification",
    "upload_interval_qualification": "upload_interval_qualification",
    "trajectory_completeness": "trajectory_completeness",
    "trajectory_completeness_km": "trajectory_completeness_km",
    "data_qualification": "data_qualification",
    "network_access_rate": "network_entry",
}


def test_scores_and_verdicts_equal_the_truth(sample_warehouse: SampleWarehouse) -> None:
    rules = load_rules()
    reg = metric_registry(rules)
    con = connect(sample_warehouse.db)
    compute_rates(con, sample_warehouse.period, rules)
    got = dict(con.execute(
        "SELECT provider_id, sum(coalesce(score, 0)) FROM rates.provider_rates "
        "WHERE period = $p GROUP BY ALL", {"p": sample_warehouse.period.label}).fetchall())
    verdicts = dict(con.execute("SELECT subject_id, passed FROM rates.verdicts WHERE "
                                "period = $p AND party = 'provider'",
                                {"p": sample_warehouse.period.label}).fetchall())
    con.close()
    truth = pd.read_csv(TRUTH)
    truth = truth[truth["rate"].isin(SCORED)]
    assert set(truth["provider_id"]) == set(got)
    passing = 0
    for provider, rows in truth.groupby("provider_id"):
        score, within = 0.0, True
        for t in rows.itertuples():
            m = reg[SCORED[t.rate]]
            rate = t.numerator / t.denominator if t.denominator else None
            score += m.points(rate) or 0.0
            if m.weight > 0 and m.floor is not None and rate is not None:
                within &= rate >= m.floor
        assert got[provider] == pytest.approx(score, abs=1e-6), provider
        expected = within and score >= float(rules.verdict.provider_pass_score)
        assert verdicts[provider] is expected, provider
        passing += expected
    assert 0 < passing < len(got)  # the sample has both verdicts


def test_verdicts_equal_the_simulators_expected_verdicts(
        sample_warehouse: SampleWarehouse) -> None:
    """rates.verdicts per provider (score, 合格) and device maker (合格) equal the simulator's
    truth/expected_verdicts.csv (hazrisk/simulate/truth/verdicts.py: from its own expected rates and
    KPIs); the sample has 合格 and 不合格 of both parties."""
    rules = load_rules()
    con = connect(sample_warehouse.db)
    period = sample_warehouse.period
    compute_rates(con, period, rules)
    compute_devices(con, period, rules)
    got = {(party, s): bool(p) for party, s, p in con.execute(
        "SELECT party, subject_id, passed FROM rates.verdicts WHERE period = $p",
        {"p": period.label}).fetchall()}
    scores = dict(con.execute(
        "SELECT provider_id, sum(coalesce(score, 0)) FROM rates.provider_rates "
        "WHERE period = $p GROUP BY ALL", {"p": period.label}).fetchall())
    con.close()
    truth = pd.read_csv(TRUTH.parent / "expected_verdicts.csv")
    assert truth["period"].nunique() == 1  # the sample's 3 days: one month, its whole data
    want = {(r.party, r.subject_id): bool(r.passed) for r in truth.itertuples()}
    assert {k: got.get(k) for k in want} == want
    for r in truth[truth["party"] == "provider"].itertuples():
        assert scores[r.subject_id] == pytest.approx(r.score, abs=1e-4), r.subject_id
    for party in ("provider", "device_maker"):
        assert {v for (p, _), v in want.items() if p == party} == {True, False}
