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
period = "2026-10"  # YYYY-MM, or YYYY-MM-DD..YYYY-MM-DD (a quarter)
enterprise = ""  # enterprise id of the history page; empty: the lowest-ranked
city = ""  # a city such as 温州 to show its enterprises only; empty: the province
snapshot = "../data/local/demo/published.duckdb"

# %% [markdown]
# # 企业安全报告 Enterprise safety
#
# League table with the national enterprise scoring against the city and province averages
# (超速/疲劳 scores, max 20 each), violations per 100 km by rule, handling of the violations
# (提醒, 上报, 未处置), a map of where they happened, and one enterprise's history. Figures
# equal `hazrisk safety --period P --format json`; rules and sources:
# `hazrisk/safety/README.md`, `conf/rules.toml`.

# %%
import hazrisk.snapshot as hs
from hazrisk import charts
from hazrisk.reports import nbtools as nb

enterprise, city = nb.nullable(enterprise), nb.nullable(city)
con = hs.open_snapshot(snapshot)
nb.banner(con, snapshot, period, {"城市 city": city or "全省 province"})

# %% [markdown]
# ## 1. 企业排名 League table

# %%
league = hs.league_table(con, period, city=city)
if league.empty:
    nb.say(f"**本期无安全档案 No safety histories for {period}** in this snapshot.")
nb.show(league, "league_table",
        ["enterprise_id", "enterprise_name", "city", "vehicles", "km", "n_violations",
         "violations_per_100km", "speeding_score_province", "fatigue_score_province",
         "handling_rate"])

# %% [markdown]
# ### 各市对比 Cities compared

# %%
nb.show(hs.city_summary(con, period), "city_summary",
        ["city", "enterprises", "vehicles", "km", "n_violations", "violations_per_100km",
         "speeding_per_vehicle", "fatigue_min_per_vehicle", "n_unhandled"])

# %% [markdown]
# ## 2. 各规则百公里违规 Violations per 100 km by rule (enterprise, city, province)

# %%
rule_rates = hs.rule_rates(con, period, city=city)
nb.show(rule_rates[rule_rates["n_events"] > 0], "rule_rates",
        ["rule_name_zh", "enterprise_id", "city", "n_events", "km", "per_100km",
         "city_per_100km", "province_per_100km"])
if len(rule_rates):
    fig = charts.rule_rate_chart(rule_rates)

# %% [markdown]
# ## 3. 处置情况 Handling: reminded, escalated, unhandled

# %%
handling = hs.handling(con, period, city=city)
nb.show(handling, "handling",
        ["enterprise_id", "enterprise_name", "n_violations", "n_reminded",
         "n_escalated_safety_dept", "n_escalated_police", "n_dismissed", "n_unhandled",
         "handling_rate", "median_time_to_reminder_s", "n_continued_after_reminder"])
if len(handling):
    total, unhandled = handling["n_violations"].sum(), handling["n_unhandled"].sum()
    nb.say(f"共 {total} 起违规，未处置 {unhandled} 起（{unhandled / total:.0%}）。"
           f" {total} violations, {unhandled} not acted on.")

# %% [markdown]
# ## 4. 违规分布图 Map of violations

# %%
geo = hs.violations_geo(con, period, city=city)
fig = charts.violations_map(geo, title=f"违规分布 violations {period}")

# %% [markdown]
# ## 5. 企业档案 One enterprise's history

# %%
if enterprise is None and len(league):
    enterprise = str(league["enterprise_id"].iloc[-1])
if enterprise is not None:
    name = hs.league_table(con, period, enterprise=enterprise)
    label = name["enterprise_name"].iloc[0] if len(name) else enterprise
    nb.say(f"### {label} ({enterprise})")
    history = hs.enterprise_history(con, enterprise)
    nb.show(history, "history",
            ["period", "vehicles", "km", "n_violations", "speeding_per_100km",
             "handling_rate", "speeding_score_province", "fatigue_score_province"])
    if enterprise in set(rule_rates["enterprise_id"]):
        fig = charts.rule_rate_chart(rule_rates, enterprise)

# %%
con.close()
