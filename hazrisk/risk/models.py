"""Fitting the frequency, severity, Tweedie, boosting and baseline models of a book.

:func:`fit_models` is the library entry point (the CLI ``hazrisk model fit`` calls it):

1. features of the train and test years (:func:`hazrisk.risk.features.policy_features`),
2. claim-count development as at the valuation date (:mod:`hazrisk.risk.development`),
3. frequency: Poisson GLM on ``claims / (exposure * maturity)`` weighted by
   ``exposure * maturity``, cluster-robust standard errors by enterprise; baselines
   ``tariff`` and ``no_telematics``; the monotonic balanced Poisson GBM challenger,
4. severity: Gamma GLM on the claims capped at ``[risk] large_loss_cap_cny`` (weights = claim
   counts) and a book-level large-loss loading ``sum(excess) / sum(capped)``,
5. Tweedie pure premium (capped and loaded) as the one-model alternative,
6. Bühlmann–Straub structure of the enterprises' A/E on the training years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from hazrisk.risk import credibility, design
from hazrisk.risk.development import development_table
from hazrisk.risk.features import latest_report_date, policy_features, read_sql
from hazrisk.simulate.insurance.estimators import fit_poisson_glm, fit_poisson_within


@dataclass
class Settings:
    """Model choices (conf ``[risk]``): built by :meth:`from_rules` or :meth:`default`, so
    every value comes from the rules file (no second default here)."""

    k_km: float
    large_loss_cap: float
    tweedie_power: float
    experience_years: int
    min_online_share: float
    bootstrap_reps: int
    random_state: int
    full_credibility_claims: int
    lag: int = 1  # prospective pricing: features of year t-1 price year t (not a conf rule)

    @classmethod
    def from_rules(cls, rules: Any, **overrides: Any) -> Settings:
        r = rules.risk
        s = cls(k_km=float(r.telematics_credibility_km), large_loss_cap=float(r.large_loss_cap_cny),
                tweedie_power=float(r.tweedie_power), experience_years=int(r.experience_years),
                min_online_share=float(r.min_online_share), bootstrap_reps=int(r.bootstrap_reps),
                random_state=int(r.random_state),
                full_credibility_claims=int(r.full_credibility_claims))
        for k, v in overrides.items():
            setattr(s, k, v)
        return s

    @classmethod
    def default(cls, **overrides: Any) -> Settings:
        """The settings of the default rules file, with ``overrides``."""
        from hazrisk.config import load_rules

        return cls.from_rules(load_rules(), **overrides)


@dataclass
class RiskModel:
    """Everything fitted on a book (pipelines are scikit-learn objects saved with skops)."""

    pipelines: dict[str, Pipeline]
    large_loss_loading: float
    structure: credibility.Structure
    development: pd.DataFrame
    settings: Settings
    train_years: list[int]
    test_year: int | None
    as_at: date
    book_means: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    # -- predictions ------------------------------------------------------------------------
    def frequency(self, frame: pd.DataFrame, model: str = "glm") -> np.ndarray:
        """Expected claims per vehicle-year (ultimate)."""
        return np.asarray(self.pipelines[model].predict(frame), dtype=float)

    def severity(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected claim amount incl. the large-loss loading (CNY)."""
        return np.asarray(self.pipelines["severity"].predict(frame) * (1.0 + self.large_loss_loading))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per row and model column: ``coef * (x - book mean)`` of the frequency GLM plus the
        severity GLM (log scale) -- the pieces of the premium-factor parts."""
        out = pd.DataFrame(index=frame.index)
        for name in ("glm", "severity"):
            pipe = self.pipelines[name]
            X = pipe[:-1].transform(frame)
            coef = pipe[-1].coef_
            for j, col in enumerate(X.columns):
                c = float(coef[j])
                if col in ("offline_share", "telematics_missing"):
                    c = max(c, 0.0)  # more offline / missing data never lowers a factor
                mean = self.book_means.get(f"{name}:{col}", 0.0)
                out[col] = out.get(col, 0.0) + c * (X[col].to_numpy(float) - mean)
        return out


def _maturity(frame: pd.DataFrame, dev: pd.DataFrame, column: str = "maturity") -> np.ndarray:
    m = frame["year"].map(dict(zip(dev["year"], dev[column], strict=True)))
    return np.asarray(m.fillna(1.0).to_numpy(float))


def _fit_frequency(pipe: Pipeline, frame: pd.DataFrame, w: np.ndarray, **kw: Any) -> Pipeline:
    y = frame["n_claims"].to_numpy(float) / np.where(w > 0, w, 1.0)
    last = pipe.steps[-1][0]
    pipe.fit(frame, y, **{f"{last}__sample_weight": w, **{f"{last}__{k}": v for k, v in kw.items()}})
    return pipe


def fit_models(con: duckdb.DuckDBPyConnection, train_years: list[int], test_year: int | None,
               *, as_at: date | None = None, settings: Settings | None = None) -> tuple[RiskModel, pd.DataFrame]:
    """Fit every model on ``train_years``; returns the model and the policy frame of all years
    (train and test) with ``split`` and ``maturity`` columns."""
    s = settings or Settings.default()
    as_at = as_at or latest_report_date(con) or date(max(train_years + [test_year or 0]), 12, 31)
    years = sorted(set(train_years) | ({test_year} if test_year else set()))
    exp_years = list(range(min(years) - s.experience_years, min(years)))
    frame = policy_features(con, [*exp_years, *years], as_at=as_at, lag=s.lag,
                            large_loss_cap=s.large_loss_cap, min_online_share=s.min_online_share)
    claims = con.execute(read_sql("claims"), {"as_at": as_at}).df()
    dev = development_table(claims, as_at, sorted(frame["year"].unique().tolist()))
    frame["maturity"] = _maturity(frame, dev)
    frame["amount_maturity"] = _maturity(frame, dev, "amount_maturity")
    frame["split"] = np.where(frame["year"] == test_year, "test",
                              np.where(frame["year"].isin(train_years), "train", "history"))
    train = frame[frame["split"] == "train"]
    if train.empty:
        raise ValueError(f"no policies in the training years {train_years}")
    w = train["exposure_years"].to_numpy(float) * train["maturity"].to_numpy(float)
    groups = train["enterprise_id"].to_numpy()
    pipes: dict[str, Pipeline] = {}
    for name, fs in (("glm", "telematics"), ("tariff", "tariff"), ("no_telematics", "no_telematics")):
        pipes[name] = _fit_frequency(design.glm_pipeline(fs, k_km=s.k_km), train, w, groups=groups)
    pipes["gbm"] = _fit_frequency(design.gbm_pipeline(k_km=s.k_km, random_state=s.random_state),
                                  train, w)
    # severity (capped) and the large-loss loading
    sev = train[train["n_claims"] > 0]
    capped = float(train["amount_capped_cny"].sum())
    loading = float(train["amount_excess_cny"].sum()) / capped if capped > 0 else 0.0
    pipes["severity"] = design.glm_pipeline("severity", family="gamma", k_km=s.k_km)
    pipes["severity"].fit(sev, (sev["amount_capped_cny"] / sev["n_claims"]).to_numpy(float),
                          glm__sample_weight=sev["n_claims"].to_numpy(float))
    pipes["tweedie"] = design.glm_pipeline("telematics", family="tweedie",
                                           power=s.tweedie_power, k_km=s.k_km)
    # pure premium on developed amounts: exposure x the amount maturity of the accident year
    wa = train["exposure_years"].to_numpy(float) * train["amount_maturity"].to_numpy(float)
    pipes["tweedie"].fit(train, train["amount_capped_cny"].to_numpy(float) / np.where(wa > 0, wa, 1.0),
                         glm__sample_weight=wa)
    model = RiskModel(pipelines=pipes, large_loss_loading=loading,
                      structure=credibility.Structure(1.0, 1.0, 0.0), development=dev,
                      settings=s, train_years=list(train_years), test_year=test_year, as_at=as_at)
    ew = train["exposure_years"].to_numpy(float)
    for name in ("glm", "severity"):
        sub = train if name == "glm" else sev
        wt = ew if name == "glm" else sev["n_claims"].to_numpy(float)
        X = pipes[name][:-1].transform(sub)
        for col in X.columns:
            model.book_means[f"{name}:{col}"] = float(np.average(X[col].to_numpy(float), weights=wt))
    frame["expected_glm"] = model.frequency(frame) * frame["exposure_years"] * frame["maturity"]
    tr = frame[frame["split"] == "train"].rename(columns={"n_claims": "actual",
                                                          "expected_glm": "expected"})
    model.structure = credibility.estimate_structure(tr)
    model.info["confounding"] = confounding_table(model, train, w)
    return model, frame


def experience_factors(model: RiskModel, frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """Claims-record credibility factor of each enterprise for pricing ``year``: its claims in
    the ``experience_years`` before ``year`` against the GLM's expected (developed) claims."""
    s = model.settings
    hist = frame[(frame["year"] < year) & (frame["year"] >= year - s.experience_years)]
    if hist.empty:
        return pd.DataFrame(columns=["enterprise_id", "weight", "actual", "expected", "ae", "z",
                                     "factor"])
    h = hist.assign(actual=hist["n_claims"],
                    expected=model.frequency(hist) * hist["exposure_years"] * hist["maturity"])
    return credibility.credibility_factors(h, model.structure)


#: Below this many enterprises with claims the within-enterprise fit is not attempted.
MIN_ENTERPRISES_FOR_DIAGNOSTIC = 20


def confounding_table(model: RiskModel, train: pd.DataFrame, w: np.ndarray) -> list[dict[str, Any]]:
    """Pooled vs within-enterprise Poisson GLM on the behaviour columns (confounding by
    safety culture; the simulator's estimators, delete-one-enterprise jackknife SEs). Empty
    when the book is too small or the within-enterprise fit does not converge."""
    pipe = model.pipelines["glm"]
    X = pipe[:-1].transform(train)
    cols = [c for c in X.columns if design.PART_OF.get(c) in ("behaviour", "data_quality")
            and c != "telematics_missing"]
    if not cols:  # no telematics varies in the training years (nothing to diagnose)
        return []
    X = X[cols]
    y = train["n_claims"].to_numpy(float)
    ent = train["enterprise_id"].to_numpy()
    ok = w > 0
    with_claims = pd.Series(y[ok]).groupby(ent[ok]).sum()
    if (with_claims > 0).sum() < MIN_ENTERPRISES_FOR_DIAGNOSTIC:
        return []  # too few enterprises with claims for a within-enterprise estimate
    try:
        with np.errstate(all="ignore"):
            pooled = fit_poisson_glm(X[ok], y[ok], w[ok], groups=ent[ok])
            within = fit_poisson_within(X[ok], y[ok], w[ok], ent[ok])
    except (np.linalg.LinAlgError, ValueError):
        return []
    if (pooled.jackknife_deltas is None or within.jackknife_deltas is None
            or not np.isfinite(within.coef.to_numpy()).all()):
        return []
    d = pooled.jackknife_deltas[:, 1:] - within.jackknife_deltas
    g = d.shape[0]
    diff_se = np.sqrt(((d - d.mean(axis=0)) ** 2).sum(axis=0) * (g - 1) / g)
    rows = []
    for j, c in enumerate(cols):
        diff = float(pooled.coef[c] - within.coef[c])
        rows.append({"column": c, "pooled": float(pooled.coef[c]), "within": float(within.coef[c]),
                     "diff": diff, "diff_se": float(diff_se[j]),
                     "z": diff / float(diff_se[j]) if diff_se[j] > 0 else None,
                     "flag": bool(diff_se[j] > 0 and abs(diff / diff_se[j]) > 3)})
    return rows


def relativities(model: RiskModel, name: str = "glm") -> pd.DataFrame:
    """Relativity table: per model column the coefficient, SE, 95 % CI and ``exp`` of each
    (per unit of the transformed feature)."""
    pipe = model.pipelines[name]
    est = pipe[-1]
    cols = design.model_columns(pipe)
    coef = np.r_[est.intercept_, est.coef_]
    se = est.bse_
    names = ["intercept", *cols]
    rows = []
    for j, c in enumerate(names):
        feat, tr = design.TRANSFORMS.get(c, (c, "identity"))
        b, e = float(coef[j]), float(se[j])
        lo, hi = np.clip([b - 1.96 * e, b, b + 1.96 * e], -700.0, 700.0)[[0, 2]]
        rows.append({"model": name, "column": c, "feature": feat, "transform": tr, "coef": b,
                     "se": e, "ci_low": b - 1.96 * e, "ci_high": b + 1.96 * e,
                     "relativity": float(np.exp(np.clip(b, -700.0, 700.0))),
                     "rel_ci_low": float(np.exp(lo)), "rel_ci_high": float(np.exp(hi)),
                     "part": design.PART_OF.get(c, "tariff" if c != "intercept" else "")})
    return pd.DataFrame(rows)
