"""平台服务商评价 · provider evaluation: the seven rates with intervals and floors, ranking and
change, trends, and the drill-down from a rate to the failing vehicles with the check named."""

import altair as alt
import streamlit as st
import widgets as w
from session import require

import data
from hazrisk.portal.scope import NotAuthorised

v = require("providers")
w.page_title("providers", "七项技术指标（附 95 % 置信区间与底线）、排名及变化、趋势与明细 · "
             "the seven rates with 95 % intervals and floors, ranking, trends, drill-down")

period = w.period_picker(data.rate_periods(), key="prov_period")
if period is None:
    w.no_data("尚无评价结果", "no evaluation published yet")
    st.stop()

w.section("排名及变化", "Ranking and change")
rank = data.ranking(v, period)
w.table(rank, "prov_ranking", columns=[
    "rank", "provider_id", "provider_name", "score", "verdict", "prev_rank", "rank_change",
    "score_change", "national_score", "national_rank", "coverage"],
    file_name=f"provider_ranking_{period}")

names = dict(zip(rank["provider_id"], rank["provider_name"], strict=False))
own = sorted(data.drillable_providers(v))
options = own if v.role == "operator" else sorted(names)
provider = w.pick("服务商", "Provider", options, key="prov_provider",
                  fmt={k: f"{k} {names.get(k, '')}" for k in options})
if provider is None:
    st.stop()

mine = rank[rank["provider_id"] == provider]
if not mine.empty:
    c1, c2, c3 = st.columns(3)
    with c1:
        w.metric("综合得分", "composite score", float(mine["score"].iloc[0]), "分", digits=2)
    with c2:
        w.metric("排名", "rank", int(mine["rank"].iloc[0]), f"/ {len(rank)}", digits=0)
    with c3:
        st.metric("结论 verdict", str(mine["verdict"].iloc[0]))

w.section("技术指标", "Rates")
rates = data.provider_rates(v, period, provider)
w.table(rates, "prov_rates", columns=[
    "number", "name_zh", "name_en", "unit", "numerator", "denominator", "rate", "ci_low",
    "ci_high", "floor", "verdict", "weight", "score"], file_name=f"rates_{provider}_{period}")
if not rates.empty:
    base = alt.Chart(rates.assign(pct=rates["rate"] * 100, lo=rates["ci_low"] * 100,
                                  hi=rates["ci_high"] * 100, floor_pct=rates["floor"] * 100))
    y = alt.Y("name_zh:N", sort=list(rates["name_zh"]), title=None)
    chart = (base.mark_point(filled=True, size=60).encode(
                 x=alt.X("pct:Q", title="比率 rate (%)", scale=alt.Scale(domain=[0, 100])), y=y,
                 tooltip=["name_zh", "name_en", alt.Tooltip("pct:Q", format=".2f")])
             + base.mark_rule().encode(x="lo:Q", x2="hi:Q", y=y)
             + base.mark_tick(color="red", thickness=2).encode(x="floor_pct:Q", y=y))
    st.altair_chart(chart, width="stretch")
    st.caption("点：比率；横线：95 % 置信区间；红色刻度：底线 · dot: rate; line: 95 % interval; "
               "red tick: floor")

w.section("趋势", "Trend")
trend = data.rate_trends(v, period, provider)
if trend.empty:
    w.no_data("无历史期", "no earlier periods")
else:
    scores = trend.drop_duplicates("period")[["period", "composite_score"]].set_index("period")
    st.line_chart(scores, x_label="统计期 period", y_label="综合得分 composite score (分 pts)")
    w.table(trend, "prov_trend", columns=["period", "name_zh", "rate", "ci_low", "ci_high",
                                          "score", "composite_score", "rank"],
            file_name=f"trend_{provider}")

w.section("不合格明细", "Drill-down: failing vehicles and records")
metrics = dict(zip(rates["metric"], rates["name_zh"], strict=False))
scored = rates[rates["direction"] == "higher"]  # default: the provider's weakest rate
weakest = (str(scored.sort_values("rate")["metric"].iloc[0]) if not scored.empty else None)
metric = w.pick("指标", "Metric", list(metrics), key="prov_metric", fmt=metrics,
                index=list(metrics).index(weakest) if weakest in metrics else 0)
if metric is not None:
    try:
        failing = data.failing_vehicles(v, period, provider, metric)
    except NotAuthorised as exc:
        w.not_authorised(str(exc))
    else:
        st.caption("不合格数按指标的计量单位（车辆、车辆日、记录或公里）；检查项为未通过的校验 · "
                   "failing counted in the metric's unit; checks name what failed")
        w.table(failing, "prov_failing", columns=[
            "unit_id", "plate", "name_zh", "unit", "failing", "total", "failing_share",
            "checks"], file_name=f"failing_{provider}_{metric}_{period}")
