"""The premium-factor view: factor per enterprise, its multiplicative parts, a what-if.

``mart.premium_factors`` holds one row per enterprise (``enterprise_id``, ``factor``) with its
parts either as columns ``factor_<part>`` (wide) or as rows ``part`` / ``value`` (long). The
what-if multiplies the parts the user sets and clips to the regulator's band
(``conf/rules.toml`` ``[premium]`` factor_min / factor_max).
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
import widgets as w

from hazrisk.config import load_rules
from hazrisk.portal.scope import Viewer


def band() -> tuple[float, float]:
    """The factor band (min, max) from the rules."""
    rules = load_rules()
    for section in ("premium", "insurance"):
        if section in rules.sections:
            sec = rules.sections[section]
            return float(sec["factor_min"]), float(sec["factor_max"])
    return (0.0, math.inf)


def parts_frame(factors: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Factors one row per enterprise with a column per part, and the part names."""
    if "part" in factors.columns:
        value = "value" if "value" in factors.columns else "factor_part"
        keys = [c for c in ("enterprise_id", "enterprise_name", "insurer_id", "factor")
                if c in factors.columns]
        wide = factors.pivot_table(index=keys, columns="part", values=value,
                                   aggfunc="first").reset_index()
        parts = sorted(factors["part"].dropna().unique())
        return wide, [str(p) for p in parts]
    parts = [c for c in factors.columns if c.startswith("factor_") and c != "factor"]
    return factors, parts


def factors_view(factors: pd.DataFrame, cards: pd.DataFrame | None, v: Viewer) -> None:
    """Render the factors table, one enterprise's parts and the what-if."""
    lo, hi = band()
    st.caption(f"调整系数区间 factor band [{lo}, {hi}]（交强险费率浮动办法 · compulsory motor "
               "insurance floating band)")
    wide, parts = parts_frame(factors)
    if wide.empty:
        w.no_data("您的范围内没有企业的系数", "no factors for the enterprises in your scope")
        return
    w.section("各企业调整系数", "Factors per enterprise")
    w.table(wide, "ins_factors", file_name="premium_factors")
    ids = list(wide["enterprise_id"])
    names = dict(zip(ids, wide.get("enterprise_name", pd.Series(ids)), strict=False))
    enterprise = w.pick("企业", "Enterprise", ids, key="ins_enterprise",
                        fmt={k: f"{k} {names.get(k, '')}" for k in ids})
    if enterprise is None:
        return
    row = wide[wide["enterprise_id"] == enterprise].iloc[0]
    factor = float(row["factor"])
    w.section("系数构成", "Factor parts")
    if parts:
        st.markdown(" × ".join(f"{p} {float(row[p]):.3f}" for p in parts if pd.notna(row[p]))
                    + f" = **{factor:.3f}**")
    w.metric("调整系数", "factor", factor, "×", digits=3)

    w.section("假设分析", "What-if")
    st.caption("调整各因子，查看系数变化（乘积并限制在区间内） · set the parts to see the factor "
               "(their product, clipped to the band)")
    product = 1.0
    cols = st.columns(max(len(parts), 1))
    for col, p in zip(cols, parts, strict=False):
        current = float(row[p]) if pd.notna(row[p]) else 1.0
        with col:
            product *= st.slider(str(p), 0.5, 1.5, value=round(current, 3), step=0.01,
                                 key=f"ins_whatif_{enterprise}_{p}")
    whatif = min(max(product, lo), hi)
    w.metric("假设系数", "what-if factor", whatif, "×", digits=3,
             help=f"{product:.3f} clipped to [{lo}, {hi}]")
    if cards is not None and not cards.empty:
        w.section("模型说明", "Model cards")
        w.table(cards, "ins_cards", file_name="model_cards")
