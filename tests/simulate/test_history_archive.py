"""The simulator's archived vehicle-month history and the claims' reporting delay.

The archive of the simulated month is held against what ``detect`` finds on the same dumps.
Tolerance per rule with totals D (detected) and A (archive) over the fleet:
``|D - A| <= 3 sqrt(D + A) + 2 s A``: the archive's count and detect's are two independent
Poisson counts with (by construction) the same mean mu, so D - A has variance 2 mu ~ D + A
(3 standard deviations: a 0.3 % false alarm per rule), and the detection factor was measured
on a calibration fleet with relative standard error s = 1 / sqrt(events it counted)
(:data:`CALIBRATION_EVENTS`; 2 s for the factor's own error). km and driving hours are not
counts: detect measures the same trips the archive's km come from (calibration: detected /
true km 1.014), so they must agree within 5 % (km) and 10 % (driving hours: one fleet-wide
mean speed). Fatigue, off-route and offline-displacement events of the simulated month are
the simulator's own events under the same conf/rules.toml definitions (``truth/violations.csv``,
observable ones): not an independent draw but the same events ``detect`` should find, missed or
split only where the terminal's faults and outages hide part of one, so
``|D - A| <= 3 sqrt(D + A)`` (before: a per-km or km-per-day model, 18 detected vs 51 archived
fatigue events on 200 vehicles x 3 days, seed 5; ``data/sample``: 21 vs 5 off-route).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from history_calibration import measure, vehicle_frame

from hazrisk.history import import_history_file
from hazrisk.safety import detect
from hazrisk.simulate.insurance import make_insurance_book
from hazrisk.simulate.insurance.history import FACTORS, HISTORY_COLUMNS
from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect

#: Events of each rule the calibration fleet (300 vehicles x 5 days, seed 1) counted.
CALIBRATION_EVENTS = {"n_speeding": 458, "n_night_ban": 236, "n_adas": 239, "n_dsm": 593}
#: Counted from the simulator's own events (no calibrated factor).
TRUTH_COUNTED_RULES = ("n_fatigue", "n_off_route", "n_offline_displacement")


def _warehouse(sim: Path, db: Path) -> duckdb.DuckDBPyConnection:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert store_main(["registry", "import", str(sim), "--db", str(db)]) == 0
        assert store_main(["ingest", str(sim), "--db", str(db), "--no-progress"]) == 0
    con = connect(db)
    params = json.loads((sim / "manifest.json").read_text(encoding="utf-8"))["parameters"]
    start = date.fromisoformat(params["start"])
    detect(con, start, date.fromordinal(start.toordinal() + int(params["days"])))
    rep = import_history_file(con, sim / "history" / "vehicle_months.csv")
    assert rep.status == "imported" and rep.rows_rejected == 0, rep.problems[:3]
    return con


def _agreement(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """(comparisons out of tolerance, every comparison) over the simulated month."""
    d = con.sql("SELECT * FROM safety.vehicle_month_differences").to_df()
    assert len(d) > 0
    bad, seen = [], []
    rules = {**CALIBRATION_EVENTS, **{r: math.inf for r in TRUTH_COUNTED_RULES}}
    for rule, n_cal in rules.items():
        det, arc = float(d[f"{rule}_detected"].sum()), float(d[f"{rule}_archive"].sum())
        tol = 3 * math.sqrt(det + arc) + 2 * arc / math.sqrt(n_cal)
        line = f"{rule}: detected {det:g} vs archive {arc:g} (tolerance {tol:.1f})"
        seen.append(line)
        if abs(det - arc) > tol:
            bad.append(line)
    for m, rel in (("km", 0.05), ("driving_h", 0.10)):
        det, arc = float(d[f"{m}_detected"].sum()), float(d[f"{m}_archive"].sum())
        line = f"{m}: detected {det:.1f} vs archive {arc:.1f} (tolerance {rel:.0%})"
        seen.append(line)
        if abs(det / arc - 1) > rel:
            bad.append(line)
    return bad, seen


@pytest.fixture(scope="module")
def sample_wh(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> duckdb.DuckDBPyConnection:
    return _warehouse(sample_dir, tmp_path_factory.mktemp("wh") / "w.duckdb")


def test_archive_covers_policy_years_and_simulated_month(sample_dir: Path) -> None:
    arc = pd.read_csv(sample_dir / "history" / "vehicle_months.csv")
    assert tuple(arc.columns) == HISTORY_COLUMNS
    vy = pd.read_parquet(sample_dir / "truth" / "vehicle_years.parquet")
    months = sorted(arc["month"].unique())
    expected = [f"{y}-{m:02d}" for y in sorted(vy["year"].unique()) for m in range(1, 13)]
    assert months == [*expected, "2026-10"]
    # every policy's covered days are exactly its archived days
    arc["year"] = arc["month"].str[:4].astype(int)
    days = arc.groupby(["vehicle_id", "year"])["days_registered"].sum()
    cover = vy.set_index(["vehicle_id", "year"])
    covered = (pd.to_datetime(cover["end_date"]) - pd.to_datetime(cover["start_date"])).dt.days + 1
    assert days.drop(2026, level="year").sort_index().tolist() == covered.sort_index().tolist()
    # km: the policy year's km split over its months (month noise has mean 1)
    km = arc[arc["year"] < 2026].groupby("year")["km"].sum()
    assert np.allclose(km.to_numpy(), vy.groupby("year")["km"].sum().to_numpy(), rtol=0.03)
    sim = arc[arc["month"] == "2026-10"]
    assert sim["days_registered"].max() == 3 and len(sim) == 40
    true_km = pd.read_csv(sample_dir / "truth" / "vehicle_days.csv")["complete_km"].sum()
    assert sim["km"].sum() == pytest.approx(true_km, rel=1e-6)


def test_policy_year_counts_follow_the_claims_behaviour(sample_dir: Path) -> None:
    """Speeding in the archive ~ Poisson(factor x that year's true rate x online km)."""
    arc = pd.read_csv(sample_dir / "history" / "vehicle_months.csv")
    arc = arc[arc["month"] < "2026"].assign(year=lambda a: a["month"].str[:4].astype(int))
    vy = pd.read_parquet(sample_dir / "truth" / "vehicle_years.parquet")
    per = arc.groupby(["vehicle_id", "year"]).agg(n=("n_speeding", "sum"), km=("km", "sum"),
                                                  off=("offline_share", "mean"))
    j = per.join(vy.set_index(["vehicle_id", "year"])["speeding_per_100km_true"])
    mu = float((FACTORS["speeding"] * j["speeding_per_100km_true"] * j["km"]
                * (1 - j["off"]) / 100).sum())
    assert abs(j["n"].sum() - mu) <= 4 * math.sqrt(mu)
    # and a vehicle-year's archived speeding rises with its true rate (rank correlation)
    rate = j["n"] / j["km"]
    assert rate.corr(j["speeding_per_100km_true"], method="spearman") > 0.5


def test_simulated_month_agrees_with_detect(sample_wh: duckdb.DuckDBPyConnection) -> None:
    bad, seen = _agreement(sample_wh)
    assert bad == [], seen
    # detection wins in safety.vehicle_months; the policy years are the archive's
    src = dict(sample_wh.sql("SELECT source, count(*) FROM safety.vehicle_months "
                             "GROUP BY ALL").fetchall())
    assert src["detected"] == 40 and src["archive"] > 1000


def test_claims_report_date(sample_dir: Path, sample_wh: duckdb.DuckDBPyConnection) -> None:
    claims = pd.read_csv(sample_dir / "insurance" / "claims.csv")
    truth = pd.read_parquet(sample_dir / "truth" / "claims_truth.parquet")
    assert claims["report_date"].notna().all()
    assert (pd.to_datetime(claims["report_date"]) > pd.to_datetime(claims["loss_date"])).all()
    assert (claims["report_date"] <= "2026-10-03").all()  # the export: reported by the last day
    assert set(claims["claim_id"]) <= set(truth["claim_id"])
    late = truth[truth["report_date"] > "2026-10-03"]["claim_id"]
    assert set(claims["claim_id"]) == set(truth["claim_id"]) - set(late)
    model = json.loads((sample_dir / "truth" / "claims_model.json").read_text(encoding="utf-8"))
    assert model["reporting"]["median_days"] == 14.0 and model["reporting"]["sigma"] == 1.3
    assert model["reporting"]["export_as_at"] == "2026-10-03"
    got = sample_wh.sql("SELECT count(*), count(report_date), "
                        "count(*) FILTER (WHERE report_date <= loss_date) FROM core.claims"
                        ).fetchall()
    assert got == [(len(claims), len(claims), 0)]


def test_reporting_delay_distribution() -> None:
    book = make_insurance_book(150, random_state=3)
    d = book.claims_truth["report_delay_days"].to_numpy()
    assert len(d) > 1000 and d.min() >= 1
    # ceil(lognormal(log 14, 1.3)): median 14-15 days, P(> 90 d) = 1 - Phi(log(90/14)/1.3)
    assert 13 <= np.median(d) <= 16
    p90 = 0.5 * math.erfc(math.log(90 / 14) / 1.3 / math.sqrt(2))
    share = float((d > 90).mean())
    assert abs(share - p90) <= 4 * math.sqrt(p90 * (1 - p90) / len(d))


def test_report_before_loss_is_rejected(tmp_path: Path) -> None:
    from hazrisk.store.registry_import import import_registry

    (tmp_path / "insurance").mkdir()
    (tmp_path / "insurance" / "claims.csv").write_text(
        "claim_id,policy_id,vehicle_id,enterprise_id,loss_date,amount_cny,cause,report_date\n"
        "C1,P1,V1,E1,2025-03-10,1000,collision,2025-03-12\n"
        "C2,P1,V1,E1,2025-03-10,1000,collision,2025-03-09\n", encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    rep = import_registry(con, tmp_path)
    (fr,) = [f for f in rep.files if f.kind == "claims"]
    assert [p.message() for p in fr.problems] == [
        f"{tmp_path / 'insurance' / 'claims.csv'}: row 3, column report_date: report_date "
        "2025-03-09 is before loss_date 2025-03-10 (row rejected)"]
    assert con.sql("SELECT claim_id, report_date FROM core.claims").fetchall() == [
        ("C1", date(2025, 3, 12))]


@pytest.mark.slow
def test_simulated_month_agrees_with_detect_larger_fleet(tmp_path: Path) -> None:
    """200 vehicles x 3 days on another seed: the same tolerances, about 5x the events."""
    sim = tmp_path / "sim"
    subprocess.run([sys.executable, "-m", "hazrisk", "simulate", "--vehicles", "200", "--days",
                    "3", "--start", "2026-10-01", "--seed", "5", "--out", str(sim),
                    "--no-progress"], check=True, capture_output=True)
    con = _warehouse(sim, tmp_path / "w.duckdb")
    bad, seen = _agreement(con)
    print("\n".join(seen))
    assert bad == [], seen
    # the calibration measured here lands near the stated factors (informative, wide band)
    got = measure(vehicle_frame(con, sim))
    for rule in ("speeding", "dsm", "adas"):
        assert 0.6 <= got[rule] / FACTORS[rule] <= 1.6, (rule, got[rule])


def test_independent_effects_change_only_the_claims(tmp_path: Path) -> None:
    """``--independent-effects``: same fleet, trips and archive; another enterprise effect."""
    from hazrisk.cli import main

    outs = {}
    for flag in (False, True):
        out = tmp_path / str(flag)
        args = ["simulate", "--vehicles", "4", "--days", "1", "--seed", "2", "--out", str(out),
                "--insurance-years", "2", "--no-progress"]
        with contextlib.redirect_stderr(io.StringIO()):
            assert main([*args, "--independent-effects"] if flag else args) == 0
        man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        outs[flag] = {f["path"]: f["sha256"] for f in man["files"]}
        model = json.loads((out / "truth" / "claims_model.json").read_text(encoding="utf-8"))
        assert model["years"] == [2024, 2025]
        assert model["enterprise_effect"]["rho"] == (0.0 if flag else 0.6)
        assert man["parameters"]["independent_effects"] is flag
    same = [p for p in outs[False] if p.startswith(("dumps/", "history/", "registry/"))]
    assert same and all(outs[False][p] == outs[True][p] for p in same)
    assert outs[False]["truth/claims_model.json"] != outs[True]["truth/claims_model.json"]
