"""The real path end to end: simulate -> registry import -> ingest -> detect -> history import
-> features -> model fit -> premium (issue 10 §7), on a small simulated fleet.

The statistical assertions at book scale run on simulated books loaded straight into the
warehouse (tests/risk/test_risk_statistics.py): simulating dumps for the thousands of
vehicles a Gini test needs takes minutes here. This test holds the path itself: the
archive's months feed the training years, detection's month the simulated one, the model is
fitted on warehouse tables only and the factors keep their properties.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from hazrisk.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def path_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("risk_real")
    sim, db, out = d / "sim", d / "w.duckdb", d / "models" / "real"
    steps = [
        ["simulate", "--vehicles", "150", "--days", "1", "--start", "2026-10-01", "--seed", "31",
         "--out", str(sim), "--independent-effects"],
        ["registry", "import", str(sim), "--db", str(db)],
        ["ingest", str(sim / "dumps"), "--db", str(db)],
        ["detect", "--db", str(db), "--no-progress"],
        ["history", "import", str(sim), "--db", str(db)],
        ["model", "fit", "--db", str(db), "--train-years", "2022-2024", "--test-year", "2025",
         "--as-at", "2025-12-31", "--out", str(out), "--json"],
        ["premium", "--db", str(db), "--model", str(out), "--year", "2026", "--json"],
    ]
    for argv in steps:
        assert main(argv) == 0, argv
    return sim, db, out


def test_training_years_use_the_archive_and_detection(path_run) -> None:
    _, db, _ = path_run
    con = duckdb.connect(str(db), read_only=True)
    try:
        src = dict(con.execute("SELECT source, count(*) FROM safety.vehicle_months GROUP BY ALL"
                               ).fetchall())
        assert src.get("archive", 0) > 1000 and src.get("detected", 0) > 0
        n_claims, n_reported = con.execute(
            "SELECT count(*), count(report_date) FROM core.claims").fetchone()
        assert n_claims > 0 and n_reported == n_claims
    finally:
        con.close()


def test_model_card_and_factors(path_run) -> None:
    sim, db, out = path_run
    card = json.loads((out / "model_card.json").read_text("utf-8"))
    assert card["fingerprint"]["tables"]["safety.vehicle_months"]["rows"] > 1000
    by_split = card["data_window"]["by_split"]
    assert by_split["train"]["policies"] > 300 and by_split["test"]["claims"] > 0
    glm = {r["column"]: r for r in card["relativities"] if r["model"] == "glm"}
    assert "log1p_speeding_per_100km" in glm  # telematics varies in the training years
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
    # the test year's claims within their Poisson band against the GLM
    dec = pd.read_csv(out / "validation" / "deciles.csv", encoding="utf-8-sig")
    assert bool(dec.iloc[-1]["within_band"])
