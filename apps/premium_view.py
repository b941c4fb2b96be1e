"""The premium-factor view: each enterprise's factor, its parts, a what-if.

``mart.premium_factors`` (published by the risk models, read through
:func:`hazrisk.snapshot.premium_factors`) holds per priced year and enterprise
``factor`` = clip(``balance_constant`` ×
claims_record × behaviour × management × data_quality) to the ``[premium]`` band, the lower
bound raised to 1 when the telematics data are not ``trusted`` (no discount without trusted
data). The what-if recomputes that formula with the parts the user sets.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
import widgets as w

from hazrisk.config import load_rules
from hazrisk.snapshot import card_metrics

#: The factor's parts, as the risk models publish them, with their names.
PARTS: dict[str, tuple[str, str]] = {
    "claims_record": ("赔付记录", "claims record"),
    "behaviour": ("驾驶行为", "driving behaviour"),
    "management": ("安全管理", "safety management"),
    "data_quality": ("数据质量", "data quality"),
}


def band() -> tuple[float, float]:
    """The factor band (min, max) of ``conf/rules.toml``."""
    rules = load_rules()
    for section in ("premium", "insurance"):
        if section in rules.sections:
            sec = rules.sections[section]
            return float(sec["factor_min"]), float(sec["factor_max"])
    raise KeyError("conf/rules.toml has no [premium] factor_min/factor_max")


def factor_of(parts: dict[str, float], balance: float, trusted: bool,
              lo: float, hi: float) -> float:
    """clip(balance × product of the parts) to the band; no discount unless ``trusted``."""
    raw = balance * math.prod(parts.values())
    return min(max(raw, lo if trusted else max(lo, 1.0)), hi)


def factors_view(factors: pd.DataFrame, year: int | None, cards: pd.DataFrame | None) -> None:
    """Render the factors of ``year`` (enterprise rows of :func:`hazrisk.snapshot.premium_factors`),
    one enterprise's parts, the what-if and the model cards."""
    lo, hi = band()
    st.caption(f"调整系数区间 factor band [{lo}, {hi}]（交强险费率浮动办法 · compulsory motor "
               "insurance floating band); 系数 = 平衡常数 × 各分项之积 · factor = balance constant "
               "× product of the parts")
    if factors.empty or year is None:
        w.no_data("您的范围内没有企业的系数", "no factors for the enterprises in your scope")
        return
    ents = factors.reset_index(drop=True)
    parts = [p for p in PARTS if p in ents.columns]
    w.section(f"{year} 年度各企业调整系数", f"factors per enterprise, policy year {year}")
    w.table(ents, "ins_factors", columns=["enterprise_id", "enterprise_name", "city", "factor",
                                          *parts, "trusted", "balance_constant", "model"],
            file_name=f"premium_factors_{year}")
    ids = list(ents["enterprise_id"])
    names = dict(zip(ids, ents.get("enterprise_name", pd.Series(ids)), strict=False))
    enterprise = w.pick("企业", "Enterprise", ids, key="ins_enterprise",
                        fmt={k: f"{k} {names.get(k) or ''}".strip() for k in ids})
    if enterprise is None:
        return
    row = {str(k): val for k, val in ents[ents["enterprise_id"] == enterprise].iloc[0].items()}
    w.section("系数构成", "Factor parts")
    cols = st.columns(len(parts) + 1)
    with cols[0]:
        w.metric("调整系数", "factor", float(row["factor"]), "×", digits=3)
    for col, p in zip(cols[1:], parts, strict=True):
        with col:
            w.metric(*PARTS[p], float(row[p]), "×", digits=3)
    st.markdown(" × ".join(f"{PARTS[p][0]} {float(row[p]):.3f}" for p in parts)
                + f" × 平衡常数 balance {float(row['balance_constant']):.3f} → "
                f"**{float(row['factor']):.3f}**"
                + ("" if row.get("trusted", True) else "（数据不可信，无优惠 · data not trusted: "
                   "no discount）"))

    w.section("假设分析", "What-if")
    st.caption("调整各分项，查看系数变化 · set the parts to see the factor they would give")
    chosen: dict[str, float] = {}
    for col, p in zip(st.columns(len(parts)), parts, strict=True):
        with col:
            chosen[p] = st.slider(f"{PARTS[p][0]} {PARTS[p][1]}", 0.5, 1.5,
                                  value=round(float(row[p]), 3), step=0.005,
                                  key=f"ins_whatif_{enterprise}_{p}")
    after = factor_of(chosen, float(row["balance_constant"]), bool(row.get("trusted", True)),
                      lo, hi)
    w.metric("假设系数", "what-if factor", after, "×", digits=3)
    if cards is not None and not cards.empty:
        w.section("模型卡", "Model cards")
        w.table(cards, "ins_cards", columns=[c for c in cards.columns
                                             if c not in ("card_json", "card_markdown")],
                file_name="model_cards")
        for i, card in cards.reset_index(drop=True).iterrows():
            with st.expander(f"{card['model']}"):
                metrics = card_metrics(str(card.get("card_json") or "{}"))
                if not metrics["comparison"].empty:
                    w.table(metrics["comparison"], f"ins_card_cmp_{i}",
                            file_name=f"model_comparison_{card['model']}")
                st.markdown(str(card.get("card_markdown", "")))
