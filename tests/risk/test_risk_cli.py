"""``hazrisk model fit`` / ``hazrisk premium``: outputs, refusals, determinism, model card."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hazrisk.cli import main
from hazrisk.risk import persist
from hazrisk.risk.modelcard import REQUIRED
from hazrisk.risk.synthetic import load_book
from hazrisk.simulate.insurance import make_insurance_book
from hazrisk.store.connect import connect

pytestmark = pytest.mark.slow


def _warehouse(path: Path, seed: int = 5) -> Path:
    res = make_insurance_book(60, years=[2021, 2022, 2023, 2024, 2025], random_state=seed)
    con = connect(str(path))
    load_book(con, res, random_state=seed)
    con.close()
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("risk_cli")
    db = _warehouse(d / "w.duckdb")
    out = d / "models" / "m1"
    rc = main(["model", "fit", "--db", str(db), "--train-years", "2022-2024", "--test-year",
               "2025", "--as-at", "2025-12-31", "--out", str(out), "--format", "json"])
    assert rc == 0
    return d, db, out


def test_model_folder_and_card(run) -> None:
    _, _, out = run
    for f in ("glm.skops", "gbm.skops", "severity.skops", "tweedie.skops", "model.json",
              "model_card.md", "model_card.json", "validation/comparison.csv",
              "validation/deciles.csv", "validation/double_lift.csv"):
        assert (out / f).is_file(), f
    assert not list(out.glob("*.pkl")) and not list(out.glob("*.pickle"))
    card = json.loads((out / "model_card.json").read_text("utf-8"))
    assert set(REQUIRED) <= set(card)
    assert card["data_window"]["train_years"] == [2022, 2023, 2024]
    assert card["data_window"]["as_at"] == "2025-12-31"
    assert set(card["fingerprint"]["tables"]) == {"core.policies", "core.claims", "core.vehicles",
                                                  "safety.vehicle_months"}
    assert {r["model"] for r in card["metrics"]["comparison"]} >= {"tariff", "no_telematics",
                                                                   "glm", "gbm"}
    assert any(r["column"] == "log1p_speeding_per_100km" for r in card["relativities"])
    md = (out / "model_card.md").read_text("utf-8")
    assert "模型卡" in md and card["fingerprint"]["sha256"] in md
    # 60 vehicles x 3 years: far below the full-credibility standard, and the card says so
    assert card["caveats"][0].startswith("Small book:") and "1,082" in card["caveats"][0]
    assert "Small book:" in md


def test_premium_writes_tables_and_mart(run, capsys) -> None:
    _, db, out = run
    capsys.readouterr()
    rc = main(["premium", "--db", str(db), "--model", str(out), "--year", "2026", "--json"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {"enterprise_id", "factor", "claims_record", "behaviour", "management",
                     "data_quality", "trusted"} <= set(rows[0])
    con = connect(str(db), read_only=True)
    fac = con.execute("SELECT * FROM mart.premium_factors WHERE year = 2026").df()
    cards = con.execute("SELECT model, fingerprint FROM mart.model_cards").df()
    comment = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'premium_factors'"
                          ).fetchall()[0][0]
    con.close()
    assert set(fac["level"]) == {"enterprise", "vehicle"}
    assert list(cards["model"]) == ["m1"]
    assert "保费调整系数" in comment and "premium" in comment
    # one enterprise, CSV (BOM for Excel)
    e = rows[0]["enterprise_id"]
    assert main(["premium", "--db", str(db), "--model", str(out), "--year", "2026",
                 "--enterprise", e, "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("\ufeff") and e in text


def test_same_seed_same_factors(run, tmp_path, capsys) -> None:
    d, db, out = run
    db2 = _warehouse(tmp_path / "w2.duckdb")
    out2 = tmp_path / "m2"
    assert main(["model", "fit", "--db", str(db2), "--train-years", "2022-2024", "--test-year",
                 "2025", "--as-at", "2025-12-31", "--out", str(out2)]) == 0
    capsys.readouterr()
    factors = []
    for db_, m in ((db, out), (db2, out2)):
        assert main(["premium", "--db", str(db_), "--model", str(m), "--year", "2026",
                     "--format", "json"]) == 0
        factors.append(pd.DataFrame(json.loads(capsys.readouterr().out)))
    pd.testing.assert_frame_equal(factors[0], factors[1])
    c1 = json.loads((out / "model_card.json").read_text("utf-8"))
    c2 = json.loads((out2 / "model_card.json").read_text("utf-8"))
    assert c1["fingerprint"] == c2["fingerprint"]
    assert c1["relativities"] == c2["relativities"]


def test_refuses_to_overwrite_a_non_model_folder(run, tmp_path, capsys) -> None:
    _, db, _ = run
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    rc = main(["model", "fit", "--db", str(db), "--train-years", "2022-2024", "--test-year",
               "2025", "--out", str(other)])
    assert rc == 2
    assert "not a hazrisk model folder" in capsys.readouterr().err
    assert (other / "keep.txt").read_text() == "mine"


def test_usage_errors(run, tmp_path, capsys) -> None:
    _, db, out = run
    assert main(["model", "fit", "--db", str(db), "--train-years", "2022-2025", "--test-year",
                 "2025", "--out", str(tmp_path / "x")]) == 2
    assert main(["premium", "--db", str(db), "--model", str(tmp_path), "--year", "2026"]) == 2
    assert main(["premium", "--db", str(tmp_path / "missing.duckdb"), "--model", str(out),
                 "--year", "2026"]) == 2
    err = capsys.readouterr().err
    assert "hazrisk model fit:" in err and "hazrisk premium:" in err


def test_skops_refuses_untrusted_types(run, tmp_path) -> None:
    import shutil

    import skops.io as sio
    from sklearn.linear_model import LinearRegression

    _, _, out = run
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    model, _ = persist.load(copy)
    assert set(model.pipelines) >= {"glm", "gbm", "severity", "tweedie"}

    class Sneaky(LinearRegression):
        pass

    sio.dump(Sneaky(), copy / "glm.skops")
    with pytest.raises(persist.ModelFolderError, match="trusted list"):
        persist.load(copy)


def test_what_if_option(run, capsys) -> None:
    _, db, out = run
    capsys.readouterr()
    assert main(["premium", "--db", str(db), "--model", str(out), "--year", "2026", "--json"]) == 0
    ent = pd.DataFrame(json.loads(capsys.readouterr().out))
    e = ent.sort_values("factor")["enterprise_id"].iloc[len(ent) // 2]
    assert main(["premium", "--db", str(db), "--model", str(out), "--year", "2026",
                 "--enterprise", e, "--what-if", "speeding_per_100km:50", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)[0]
    assert res["enterprise_id"] == e and res["cut"] == 0.5
    assert res["factor_after"] <= res["factor"]
    assert main(["premium", "--db", str(db), "--model", str(out), "--year", "2026",
                 "--what-if", "speeding_per_100km:50"]) == 2
    assert main(["premium", "--db", str(db), "--model", str(out), "--year", "2026",
                 "--enterprise", e, "--what-if", "tonnage_t:10"]) == 1
