# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
year = 2026  # renewal year under review
model = ""  # model id in mart.model_cards; empty: every model of the year
snapshot = "../data/local/demo/published.duckdb"

# %% [markdown]
# # 保费调整年度评审 Premium review
#
# The risk model's validation (Lorenz/Gini, lift, double lift, A/E by decile), the
# distribution of the adjustment factors and each enterprise's factor with its parts. It reads
# `mart.model_cards` and `mart.premium_factors`, which the risk models publish.

# %%
import hazrisk.snapshot as hs
from hazrisk.reports import nbtools as nb

model = nb.nullable(model)
con = hs.open_snapshot(snapshot)
nb.banner(con, snapshot, str(year), {"模型 model": model or "全部 all"})
have_model = hs.has_table(con, "model_cards") and hs.has_table(con, "premium_factors")
if not have_model:
    nb.say("**尚无风险模型。No risk model exists in this snapshot**: `mart.model_cards` and "
           "`mart.premium_factors` are not published, so there is no validation, no factor "
           "distribution and no enterprise factor to review. Fit and publish the risk model "
           "first; nothing below is estimated or made up.")

# %% [markdown]
# ## 1. 模型卡 Model card and validation

# %%
if have_model:
    cards = con.execute("SELECT * FROM mart.model_cards").df()
    if model is not None and "model_id" in cards.columns:
        cards = cards[cards["model_id"] == model]
    nb.show(cards, "model_cards")

# %% [markdown]
# ## 2. 调整系数分布与企业系数 Factor distribution and each enterprise's factor

# %%
if have_model:
    factors = con.execute("SELECT * FROM mart.premium_factors").df()
    if "year" in factors.columns:
        factors = factors[factors["year"] == year]
    if model is not None and "model_id" in factors.columns:
        factors = factors[factors["model_id"] == model]
    nb.show(factors, "premium_factors")
    if "factor" in factors.columns and len(factors):
        nb.show(factors["factor"].describe().to_frame().reset_index(), "factor_summary")

# %%
con.close()
