"""The model card written with every fitted model (Markdown + JSON).

Names everything the model was fitted on: data window, as-at date, warehouse fingerprint
(row counts and hashes of the input tables), features with their definitions, relativities
with 95 % intervals, validation metrics, development factors, credibility structure,
confounding diagnostic, caveats and the hazrisk version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from hazrisk import __version__
from hazrisk.risk.features import FEATURES, read_sql

REQUIRED = ("name", "version", "fitted_at", "data_window", "fingerprint", "features",
            "relativities", "metrics", "development", "credibility", "confounding", "caveats")


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Row counts and order-independent hashes of the input relations, and their sha256."""
    rows = con.execute(read_sql("fingerprint")).fetchall()
    tables = {r[0]: {"rows": int(r[1]), "hash": str(r[2])} for r in rows}
    digest = hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()
    return {"sha256": digest, "tables": tables}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records", force_ascii=False, date_format="iso"))


def build_card(*, name: str, model: Any, fp: dict[str, Any], frame: pd.DataFrame,
               relativities: pd.DataFrame, comparison: pd.DataFrame, deciles: pd.DataFrame,
               caveats: list[str]) -> dict[str, Any]:
    """The model card as a JSON-ready dict (keys :data:`REQUIRED`)."""
    counts = frame.groupby("split").agg(policies=("policy_id", "size"),
                                        exposure_years=("exposure_years", "sum"),
                                        claims=("n_claims", "sum"))
    return {
        "name": name,
        "version": __version__,
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_window": {"train_years": model.train_years, "test_year": model.test_year,
                        "as_at": model.as_at.isoformat(),
                        "feature_lag_years": model.settings.lag,
                        "by_split": json.loads(counts.to_json(orient="index"))},
        "fingerprint": fp,
        "features": [{"name": f.name, "zh": f.zh, "en": f.en, "unit": f.unit, "group": f.group}
                     for f in FEATURES],
        "relativities": _records(relativities),
        "metrics": {"comparison": _records(comparison), "deciles_glm": _records(deciles)},
        "development": _records(model.development),
        "credibility": model.structure.to_dict(),
        "large_loss_loading": model.large_loss_loading,
        "confounding": model.info.get("confounding", []),
        "settings": vars(model.settings),
        "caveats": caveats,
    }


def _f(value: Any, spec: str) -> str:
    """A number formatted for the card, or an empty cell when it is missing."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return format(float(value), spec)


def markdown(card: dict[str, Any]) -> str:
    """The card as Markdown (Chinese headings with English beside)."""
    w = card["data_window"]
    lines = [f"# 模型卡 Model card: {card['name']}", "",
             f"- hazrisk {card['version']}, fitted {card['fitted_at']}",
             f"- 训练年度 train years: {w['train_years']}; 检验年度 test year: {w['test_year']}; "
             f"评估日 as at: {w['as_at']}; features lag {w['feature_lag_years']} year(s)",
             f"- 数据指纹 warehouse fingerprint: `{card['fingerprint']['sha256']}`", "",
             "## 指标 Metrics (out-of-time)", "",
             "| model | Gini | 95 % CI | D² | A/E | A/E in band | deciles in band |",
             "|---|---|---|---|---|---|---|"]
    for r in card["metrics"]["comparison"]:
        lines.append(f"| {r['model']} | {_f(r['gini'], '.3f')} | {_f(r['gini_low'], '.3f')}–{_f(r['gini_high'], '.3f')} "
                     f"| {_f(r['d2'], '.3f')} | {_f(r['ae'], '.3f')} | {r['ae_within_band']} "
                     f"| {r['deciles_within_band']}/10 |")
    lines += ["", "## 相对系数 Relativities (frequency GLM, 95 % CI)", "",
              "| column | transform | coef | SE | relativity | 95 % CI | part |",
              "|---|---|---|---|---|---|---|"]
    for r in card["relativities"]:
        if r["model"] == "glm":
            lines.append(f"| {r['column']} | {r['transform']} | {_f(r['coef'], '.3f')} | {_f(r['se'], '.3f')} | "
                         f"{_f(r['relativity'], '.3f')} | {_f(r['rel_ci_low'], '.3f')}–{_f(r['rel_ci_high'], '.3f')} | "
                         f"{r['part']} |")
    c = card["credibility"]
    lines += ["", "## 经验费率 Credibility (Bühlmann–Straub)", "",
              f"mu {_f(c['mu'], '.3f')}, within s² {_f(c['s2'], '.3f')}, between a {_f(c['a'], '.4f')}, k = s²/a "
              f"{c['k'] if c['k'] is None else round(c['k'], 2)} expected claims; large-loss "
              f"loading {_f(card['large_loss_loading'], '.3f')}", "",
              "## 进展 Development (chain ladder)", "",
              "| year | reported | ultimate | maturity | reported CNY | ultimate CNY | amount maturity |",
              "|---|---|---|---|---|---|---|"]
    for r in card["development"]:
        lines.append(f"| {r['year']} | {_f(r['reported'], '.0f')} | {_f(r['ultimate'], '.1f')} "
                     f"| {_f(r['maturity'], '.3f')} | {_f(r.get('reported_amount'), ',.0f')} "
                     f"| {_f(r.get('ultimate_amount'), ',.0f')} | {_f(r.get('amount_maturity'), '.3f')} |")
    lines += ["", "## 混杂诊断 Pooled vs within-enterprise", "", "| column | pooled | within | z | flag |",
              "|---|---|---|---|---|"]
    for r in card["confounding"]:
        z = "" if r["z"] is None else f"{_f(r['z'], '.2f')}"
        lines.append(f"| {r['column']} | {_f(r['pooled'], '.3f')} | {_f(r['within'], '.3f')} | {z} | {r['flag']} |")
    lines += ["", "## 特征 Features", ""]
    lines += [f"- `{f['name']}` {f['zh']} / {f['en']} ({f['unit']}; {f['group']})" for f in card["features"]]
    lines += ["", "## 注意 Caveats", ""] + [f"- {c}" for c in card["caveats"]]
    return "\n".join(lines) + "\n"
