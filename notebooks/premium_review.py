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
model = ""  # model name in mart.model_cards; empty: every model
snapshot = "../data/local/demo/published.duckdb"

# %% [markdown]
# # 保费调整年度评审 Premium review
#
# The risk model's validation (Lorenz/Gini, lift, double lift, A/E by decile), the
# distribution of the adjustment factors and each enterprise's factor with its parts. It reads
# `mart.model_cards` and `mart.premium_factors`, which the risk models publish.

# %%
import hazrisk.snapshot as hs
from hazrisk import charts
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
# ## 1. 模型卡与检验 Model card and validation (out of time)

# %%
if have_model:
    cards = hs.model_cards(con, model=model)
    nb.show(cards, "model_cards", ["model", "fitted_at", "train_years", "test_year", "as_at",
                                   "fingerprint", "hazrisk_version"])
    for card in cards.itertuples():
        metrics = hs.card_metrics(card.card_json)
        nb.say(f"### {card.model}: 检验指标 validation (Gini, lift, double lift)")
        nb.show(metrics["comparison"], f"comparison_{card.model}")
        nb.say("实际/预期 按十分位 A/E by decile")
        nb.show(metrics["deciles"], f"deciles_{card.model}")
        nb.say(card.card_markdown)

# %% [markdown]
# ## 2. 调整系数分布与企业系数 Factor distribution and each enterprise's factor with its parts
#
# factor = 赔付记录 claims record × 驾驶行为 behaviour × 安全管理 management × 数据质量
# data quality, balanced and capped within the regulator's band.

# %%
if have_model:
    factors = hs.premium_factors(con, year, model=model)
    if factors.empty:
        nb.say(f"**{year} 年无调整系数 No factors for {year}** in this snapshot.")
    else:
        nb.show(factors["factor"].describe().to_frame().reset_index(), "factor_summary")
        fig = charts.factor_histogram(factors)
    nb.show(factors, "premium_factors",
            ["enterprise_id", "enterprise_name", "factor", "claims_record", "behaviour",
             "management", "data_quality", "raw_factor", "trusted", "model"])

# %%
con.close()
