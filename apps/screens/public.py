"""信息公示 · public disclosure: provider ranking and verdicts, device makers' results,
enterprise safety standing (aggregates only), the period and the method."""

from datetime import date

import altair as alt
import streamlit as st
import widgets as w
from session import require

import data

v = require("public")
w.page_title("public", "浙江省危险货物道路运输安全服务门户 · Zhejiang hazardous-goods road "
             "transport safety portal")

periods = data.rate_periods()
closed = [p for p in periods if data.period_end(p) < date.today()]
period = w.period_picker(periods, key="public_period", default=(closed or periods)[0] if periods else None)
if period is None:
    w.no_data("尚无评价结果", "no evaluation published yet")
    st.stop()
st.markdown(f"**统计期 Period: {period}**  (北京时间自然日 Beijing days, inclusive)")

w.section("平台服务商排名与结论", "Provider ranking and verdict")
rank = data.ranking(v, period)
if not rank.empty:
    c1, c2, c3 = st.columns(3)
    with c1:
        w.metric("参评服务商", "providers evaluated", len(rank), "家", digits=0)
    with c2:
        w.metric("合格", "passing", int((rank["floors_failed"] == 0).sum()), "家", digits=0)
    with c3:
        w.metric("最高综合得分", "top composite score", float(rank["score"].max()), "分", digits=2)
w.table(rank, "public_ranking", columns=["rank", "provider_name", "score", "verdict",
                                         "rank_change", "national_score", "national_rank"],
        file_name=f"provider_ranking_{period}")
if not rank.empty:
    st.altair_chart(alt.Chart(rank).mark_bar().encode(
        x=alt.X("score:Q", title="综合得分 composite score (分 pts)"),
        y=alt.Y("provider_name:N", sort="-x", title=None),
        color=alt.Color("verdict:N", title="结论 verdict"),
        tooltip=["provider_name", alt.Tooltip("score:Q", format=".2f"), "verdict"]),
        width="stretch")

w.section("设备厂商", "Device makers")
kpis = data.device_kpis(v, period)
makers = kpis[kpis["device_model"] == "*"] if not kpis.empty else kpis
w.table(makers, "public_devices", columns=["maker_name", "name_zh", "numerator",
                                           "denominator", "rate", "ci_low", "ci_high"],
        file_name=f"device_makers_{period}")

w.section("企业安全状况（汇总）", "Enterprise safety standing (aggregates)")
speriods = data.safety_periods()
speriod = w.period_picker(speriods, key="public_safety_period") if speriods else None
if speriod is None:
    w.no_data("尚无企业安全结果", "no enterprise safety results published yet")
else:
    league = data.league_table(v, speriod)
    w.table(league, "public_league", columns=[
        "enterprise_name", "city", "vehicles", "km", "n_violations", "violations_per_100km",
        "speeding_score_city", "speeding_score_province", "fatigue_score_city",
        "fatigue_score_province", "handling_rate"], file_name=f"enterprise_league_{speriod}")

w.section("评价方法", "Method")
st.markdown(
    "- 七项技术指标及国家考核指标，每项给出分子、分母、比率与 95 % Wilson 置信区间；综合得分为"
    "权重 × 比率（低于底线记 0 分），结论“不合格”表示至少一项低于底线。"
    "  \n  Seven technical rates and the national indicators, each with numerator, denominator, "
    "rate and 95 % Wilson interval; composite score = weight × rate (0 beyond the floor); "
    "“fail” means at least one rate is beyond its floor.\n"
    "- 依据 Sources: 交运发〔2016〕160号 (national assessment table), JT/T 808-2019, "
    "JT/T 809-2011; thresholds and weights are listed below with their source.\n"
    "- 企业安全：超速、疲劳驾驶、夜间禁行等按百公里事件数与全市、全省均值比较（数据来自车载终端）。"
    "  \n  Enterprise safety: speeding, fatigue, night-ban and other events per 100 km compared "
    "with the city and province means.")
w.table(data.rate_metrics(), "public_method",
        columns=["number", "name_zh", "name_en", "unit", "direction", "weight", "floor",
                 "definition", "source", "floor_source", "weight_source"], file_name="method")
