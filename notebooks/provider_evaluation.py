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
period = "2026-10"  # YYYY-MM, or YYYY-MM-DD..YYYY-MM-DD as `hazrisk rates` computed it
provider = ""  # one provider id; empty for all
snapshot = "../data/local/demo/published.duckdb"  # `hazrisk publish --out`
trend_periods = 12
worst_n = 5

# %% [markdown]
# # 服务商考核报告 Provider evaluation
#
# The seven technical rates of each platform operator (第三方运营服务商) with their 95 %
# Wilson intervals, the floors failed (不达标), the composite score and ranking with the
# change against the previous period, the trend, the vehicles behind each failed floor, and
# the device makers' KPIs. Definitions and sources: `hazrisk/rates/README.md` and
# `conf/rules.toml` (`[rate_weights]`, `[rate_floors]`); figures equal
# `hazrisk rates --period P --format json`.

# %%
import hazrisk.snapshot as hs
from hazrisk import charts
from hazrisk.reports import nbtools as nb

provider = nb.nullable(provider)
con = hs.open_snapshot(snapshot)
nb.banner(con, snapshot, period, {"服务商 provider": provider or "全部 all"})

# %% [markdown]
# ## 1. 综合排名 Composite ranking

# %%
ranking = hs.ranking(con, period, provider)
if ranking.empty:
    nb.say(f"**本期无考核结果 No provider results for {period}** in this snapshot: run "
           f"`hazrisk rates --period {period}` and publish again.")
nb.show(ranking, "ranking", ["rank", "provider_id", "provider_name", "score", "floors_failed",
                             "national_score", "national_rank", "prev_period", "score_change",
                             "rank_change", "coverage"])
if len(ranking):
    fig = charts.ranking_chart(ranking)

# %% [markdown]
# ## 2. 七项指标与置信区间 The rates with their intervals

# %%
rates = hs.provider_rates(con, period, provider)
nb.show(rates, "provider_rates", ["provider_id", "number", "name_zh", "numerator",
                                  "denominator", "rate", "ci_low", "ci_high", "floor",
                                  "floor_failed", "score"])

# %% [markdown]
# ## 3. 不达标项 Floors failed (scored 0)

# %%
failed = hs.floors_failed(con, period, provider)
if failed.empty:
    nb.say("本期无服务商低于任何底线。No provider fell below a floor this period.")
else:
    nb.say(f"**{len(failed)}** 项低于底线 rates below their floor: "
           + "; ".join(f"{r.provider_id} {r.name_zh} {r.rate:.1%} < {r.floor:.0%}"
                       for r in failed.itertuples()))
nb.show(failed, "floors_failed", ["provider_id", "name_zh", "rate", "ci_low", "ci_high",
                                  "floor"])
for metric in failed["metric"].unique():
    fig = charts.rates_chart(rates, metric)

# %% [markdown]
# ## 4. 不达标项的问题车辆 Worst vehicles per failed floor
#
# `failing` is in the rate's unit: vehicle-days, records or km (column `unit`).

# %%
worst = hs.worst_vehicles(con, period, provider=provider, n=worst_n)
nb.show(worst, "worst_vehicles", ["provider_id", "name_zh", "position", "vehicle_id", "plate",
                                  "failing", "total", "failing_share", "unit", "checks"])

# %% [markdown]
# ## 5. 趋势 Trend over the last periods

# %%
trends = hs.rate_trends(con, period, n=trend_periods, provider=provider)
n_periods = trends["period"].nunique()
nb.say(f"快照中有 {n_periods} 个统计期 {n_periods} period(s) in the snapshot"
       + ("；趋势需要更多期 a trend needs more periods." if n_periods < 2 else "."))
if len(trends):
    fig = charts.trend_chart(trends)

# %% [markdown]
# ## 6. 设备厂商指标 Device makers (24 h repair, data preservation)

# %%
devices = hs.device_kpis(con, period)
nb.show(devices[devices["device_model"] == "*"], "device_kpis",
        ["maker_id", "maker_name", "name_zh", "numerator", "denominator", "rate", "ci_low",
         "ci_high"])

# %%
con.close()
