"""The two jobs behind the CLI (and notebooks): fit + validate + save; price a year.

- :func:`fit_and_validate` -> model, policy frame, relativities, comparison table, deciles,
  model card; :func:`save_fit` writes the model folder (skops + card + validation CSVs).
- :func:`price_year` -> enterprise and vehicle factors and per-policy predictions for a
  policy year; :func:`store_pricing` writes ``risk.predictions`` / ``risk.premium_factors``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from hazrisk import __version__
from hazrisk.risk import modelcard, persist, validation
from hazrisk.risk.features import policy_features, read_sql
from hazrisk.risk.models import RiskModel, Settings, experience_factors, fit_models, relativities
from hazrisk.risk.premium import Bounds, premium_factors
from hazrisk.sqlfiles import SqlFolder, registered, transaction
from hazrisk.store.mart_docs import apply_comments

_sql = SqlFolder("hazrisk.risk")


@dataclass
class FitResult:
    model: RiskModel
    frame: pd.DataFrame
    relativities: pd.DataFrame
    comparison: pd.DataFrame
    deciles: pd.DataFrame
    double_lift: pd.DataFrame
    card: dict[str, Any]


def out_of_time_predictions(model: RiskModel, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Expected developed claims of the test policies under each model."""
    test = frame[frame["split"] == "test"]
    w = (test["exposure_years"] * test["maturity"]).to_numpy(float)
    cred = experience_factors(model, frame, int(model.test_year or 0))
    cf = test["enterprise_id"].map(dict(zip(cred["enterprise_id"], cred["factor"], strict=True)))
    glm = model.frequency(test) * w
    tw = model.pipelines["tweedie"].predict(test) * w
    sev_mean = float(np.average(model.severity(test)))
    return {"tariff": model.frequency(test, "tariff") * w,
            "no_telematics": model.frequency(test, "no_telematics") * w,
            "glm": glm, "glm_credibility": glm * cf.fillna(1.0).to_numpy(float),
            "gbm": model.frequency(test, "gbm") * w,
            "tweedie": tw / sev_mean}


def small_book_caveat(n_train: float, standard: int) -> str:
    """The caveat of a fit on fewer training claims than the full-credibility standard."""
    return (f"Small book: {n_train:,.0f} training claims, below the full-credibility standard of "
            f"{standard:,} (conf [risk] full_credibility_claims): coefficients, validation "
            "metrics and factors are indicative only (样本不足，结果仅供参考).")


def fit_and_validate(con: duckdb.DuckDBPyConnection, train_years: list[int], test_year: int,
                     *, as_at: date | None = None, settings: Settings | None = None,
                     name: str = "model") -> FitResult:
    """Fit every model, validate out of time on ``test_year``, build the model card."""
    s = settings or Settings.default()
    model, frame = fit_models(con, train_years, test_year, as_at=as_at, settings=s)
    test = frame[frame["split"] == "test"]
    if test.empty:
        raise ValueError(f"no policies in the test year {test_year}")
    preds = out_of_time_predictions(model, frame)
    comp = validation.compare(test, preds, reps=s.bootstrap_reps, seed=s.random_state)
    w = (test["exposure_years"] * test["maturity"]).to_numpy(float)
    dec = validation.ae_by_decile(test["n_claims"], preds["glm"], w)
    loss_pred = preds["glm"] * model.severity(test)
    dl = validation.double_lift(test["amount_cny"], loss_pred, test["premium_cny"])
    rel = pd.concat([relativities(model, "glm"), relativities(model, "severity"),
                     relativities(model, "tariff"), relativities(model, "no_telematics")])
    caveats = [
        "Prospective features: telematics of year t-1 price year t; vehicles new to the book "
        "have no telematics (telematics_missing = 1) and get the book mean.",
        "Counts of immature years are developed by a chain ladder on report delays; severities "
        "are not developed (late large claims may still raise them).",
        f"Claims above {s.large_loss_cap:,.0f} CNY are capped; the excess is a book-level "
        f"loading of {model.large_loss_loading:.1%}.",
        "Relativities are associations: where the pooled vs within-enterprise diagnostic flags "
        "a feature, part of its effect is enterprise safety culture.",
        "Provider completeness and qualification enter the trust rule, not the GLM.",
    ]
    n_train = float(frame.loc[frame["split"] == "train", "n_claims"].sum())
    if n_train < s.full_credibility_claims:
        caveats.insert(0, small_book_caveat(n_train, s.full_credibility_claims))
    card = modelcard.build_card(name=name, model=model, fp=modelcard.fingerprint(con), frame=frame,
                                relativities=rel, comparison=comp, deciles=dec, caveats=caveats)
    return FitResult(model, frame, rel, comp, dec, dl, card)


def save_fit(res: FitResult, out: Path) -> list[Path]:
    """The model folder: skops pipelines, ``model.json``, ``model_card.md/json``, validation."""
    persist.check_writable(out)
    written = persist.save(res.model, out, extra={"name": res.card["name"]})
    (out / "model_card.json").write_text(json.dumps(res.card, ensure_ascii=False, indent=2) + "\n",
                                         "utf-8")
    (out / "model_card.md").write_text(modelcard.markdown(res.card), "utf-8")
    vdir = out / "validation"
    vdir.mkdir(exist_ok=True)
    for fname, df in (("comparison", res.comparison), ("deciles", res.deciles),
                      ("double_lift", res.double_lift), ("relativities", res.relativities)):
        df.to_csv(vdir / f"{fname}.csv", index=False, encoding="utf-8-sig")
        written.append(vdir / f"{fname}.csv")
    return written + [out / "model_card.json", out / "model_card.md"]


def pricing_basis(con: duckdb.DuckDBPyConnection, model: RiskModel, year: int) -> pd.DataFrame:
    """Policies priced for ``year``: its own policies when imported, else the renewals of
    ``year - 1`` (their exposure and premium as weights, their telematics as features)."""
    s = model.settings
    def features(years: list[int], lag: int) -> pd.DataFrame:
        return policy_features(con, years, lag=lag, as_at=model.as_at,
                               large_loss_cap=s.large_loss_cap,
                               min_online_share=s.min_online_share)

    try:
        return features([year], s.lag)
    except ValueError:
        prev = features([year - 1], s.lag - 1 if s.lag > 0 else 0)
        return prev.assign(year=year, feature_year=year - 1)


def pricing_inputs(con: duckdb.DuckDBPyConnection, model: RiskModel,
                   year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pricing basis of ``year`` and each enterprise's claims-record credibility."""
    s = model.settings
    basis = pricing_basis(con, model, year)
    hist = policy_features(con, list(range(year - s.experience_years, year)), lag=s.lag,
                           as_at=model.as_at, large_loss_cap=s.large_loss_cap,
                           min_online_share=s.min_online_share)
    dev = dict(zip(model.development["year"], model.development["maturity"], strict=True))
    hist["maturity"] = hist["year"].map(dev).fillna(1.0)
    return basis, experience_factors(model, hist, year)


def price_year(con: duckdb.DuckDBPyConnection, model: RiskModel, year: int, bounds: Bounds,
               *, name: str = "model") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Enterprise factors, vehicle factors and per-policy predictions for ``year``."""
    basis, claims = pricing_inputs(con, model, year)
    ent, veh = premium_factors(model, basis, claims, bounds)
    freq = model.frequency(basis)
    pred = pd.DataFrame({"policy_id": basis["policy_id"], "vehicle_id": basis["vehicle_id"],
                         "enterprise_id": basis["enterprise_id"], "year": year,
                         "exposure_years": basis["exposure_years"],
                         "predicted_claims": freq * basis["exposure_years"],
                         "predicted_loss_cny": freq * basis["exposure_years"] * model.severity(basis),
                         "model": name})
    ent.insert(1, "year", year)
    veh.insert(2, "year", year)
    return ent, veh, pred


def store_pricing(con: duckdb.DuckDBPyConnection, ent: pd.DataFrame, veh: pd.DataFrame,
                  pred: pd.DataFrame, *, name: str) -> None:
    """Replace this model's rows for the year in ``risk.*`` and (re)create the mart views."""
    con.execute(read_sql("schema"))
    now = datetime.now(UTC)
    year = int(pred["year"].iloc[0]) if len(pred) else int(ent["year"].iloc[0])
    cols = ["enterprise_id", "vehicle_id", "year", "factor", "claims_record", "behaviour",
            "management", "data_quality", "raw_factor", "trusted", "balance_constant"]
    fac = pd.concat([ent.assign(level="enterprise", vehicle_id=None)[["level", *cols]],
                     veh.assign(level="vehicle")[["level", *cols]]], ignore_index=True)
    fac = fac.assign(model=name, computed_at=now)
    with transaction(con), registered(con, "_risk_fac", fac), \
            registered(con, "_risk_pred", pred.assign(computed_at=now)):
        _sql.script(con, "delete_pricing", {"model": name, "year": year})
        _sql.script(con, "insert_pricing")
    con.execute(read_sql("mart"))
    apply_comments(con)  # the mart views' meanings, from the one catalogue


def store_card(con: duckdb.DuckDBPyConnection, card: dict[str, Any]) -> None:
    con.execute(read_sql("schema"))
    _sql.script(con, "insert_card", {
        "model": card["name"], "fitted_at": card["fitted_at"],
        "train_years": ",".join(map(str, card["data_window"]["train_years"])),
        "test_year": card["data_window"]["test_year"], "as_at": card["data_window"]["as_at"],
        "fingerprint": card["fingerprint"]["sha256"], "version": __version__,
        "card_json": json.dumps(card, ensure_ascii=False), "card_md": modelcard.markdown(card)})
    con.execute(read_sql("mart"))
    apply_comments(con)  # the mart views' meanings, from the one catalogue
