"""保险 · premium: each enterprise's adjustment factor and its parts, and a what-if; a notice
until the risk models are published."""

import premium_view
import streamlit as st
import widgets as w
from session import require

import data

v = require("insurance")
w.page_title("insurance", "保费调整系数及其构成、假设分析 · premium adjustment factor, its parts, "
             "and a what-if")
published = data.premium(v)
if "premium_factors" not in published:
    st.info("风险模型尚未发布：快照中没有 mart.premium_factors。精算模型发布后，此处显示各企业的调整"
            "系数及其构成。 · No risk model published yet: the snapshot holds no "
            "mart.premium_factors. Once the insurers' models are published, each enterprise's "
            "factor and its parts appear here.")
    st.stop()
premium_view.factors_view(published["premium_factors"], published.get("year"),
                          published.get("model_cards"))
