"""企业安全档案 · enterprise safety: league table with city/province comparison, one
enterprise's monthly history, its violations on a map (shipped boundaries, no tile server)
and in a table with their handling, its vehicles and drivers and the drivers' safety records
of the month (names masked, except for the enterprise's own)."""

import altair as alt
import streamlit as st
import widgets as w
from session import require

import data
from hazrisk.portal.scope import NotAuthorised

v = require("enterprises")
w.page_title("enterprises", "排名、与全市全省比较、月度档案、违规地图与处置 · league table, city and "
             "province comparison, monthly history, violations map and handling")

period = w.period_picker(data.safety_periods(), key="ent_period")
if period is None:
    w.no_data("尚无企业安全结果", "no enterprise safety results published yet")
    st.stop()

w.section("企业安全排名", "League table")
league = data.league_table(v, period)
cities = sorted(league["city"].dropna().unique()) if not league.empty else []
city = st.selectbox("城市 City", ["全省 province", *cities], key="ent_city")
shown = league if city == "全省 province" else league[league["city"] == city]
w.table(shown, "ent_league", columns=[
    "enterprise_id", "enterprise_name", "city", "vehicles", "km", "n_violations",
    "violations_per_100km", "speeding_per_vehicle", "city_speeding_avg", "province_speeding_avg",
    "speeding_score_city", "speeding_score_province", "fatigue_score_city",
    "fatigue_score_province", "handling_rate"], file_name=f"league_{period}")

# -- one enterprise: the URL parameter ?enterprise= or the picker, checked against the scope --
visible = data.visible_enterprises(v)
asked = st.query_params.get("enterprise")
if asked and asked not in visible:
    w.not_authorised(f"无权查看企业 {asked} / enterprise {asked} is outside your scope")
    st.stop()
options = sorted(visible)
if not options:
    st.stop()
enterprise = w.pick("企业", "Enterprise", options, key="ent_enterprise",
                    fmt={k: f"{k} {visible[k]}" for k in options},
                    index=options.index(asked) if asked in options else 0)
if enterprise is None:
    st.stop()
try:
    history = data.enterprise_history(v, enterprise)
    rules = data.rule_rates(v, period, enterprise)
except NotAuthorised as exc:
    w.not_authorised(str(exc))
    st.stop()

own = league[league["enterprise_id"] == enterprise]
if not own.empty:
    c1, c2, c3 = st.columns(3)
    with c1:
        w.metric("行驶里程", "distance", float(own["km"].iloc[0]), "km", digits=1)
    with c2:
        w.metric("违规", "violations", int(own["n_violations"].iloc[0]), "起", digits=0)
    with c3:
        w.metric("处置率", "handling rate", own["handling_rate"].iloc[0], "%", digits=1)

w.section("与全市、全省比较", "Compared with city and province")
if rules.empty:
    w.no_data("本期无违规", "no violations in this period")
else:
    long = rules.melt(id_vars=["rule_name_zh"], value_vars=["per_100km", "city_per_100km",
                                                            "province_per_100km"],
                      var_name="level", value_name="rate")
    long["level"] = long["level"].map({"per_100km": "本企业 enterprise",
                                       "city_per_100km": "全市 city",
                                       "province_per_100km": "全省 province"})
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("rate:Q", title="百公里事件 events per 100 km"),
        y=alt.Y("level:N", title=None), row=alt.Row("rule_name_zh:N", title=None),
        color=alt.Color("level:N", title=None)), width="stretch")
    w.table(rules, "ent_rules", columns=["rule_name_zh", "n_events", "km", "per_100km",
                                         "city_per_100km", "province_per_100km"],
            file_name=f"rules_{enterprise}_{period}")

w.section("月度档案", "Monthly history")
w.table(history, "ent_history", columns=[
    "period", "vehicles", "km", "n_violations", "speeding_per_100km", "fatigue_per_100km",
    "handling_rate", "data_quality_rate", "speeding_score_city", "speeding_score_province",
    "fatigue_score_city", "fatigue_score_province"], file_name=f"history_{enterprise}")

w.section("处置情况", "Handling")
handling = data.handling(v, period)
w.table(handling[handling["enterprise_id"] == enterprise], "ent_handling", columns=[
    "n_violations", "n_reminded", "n_escalated_safety_dept", "n_escalated_police", "n_dismissed",
    "n_unhandled", "handling_rate", "median_time_to_reminder_s"],
    file_name=f"handling_{enterprise}_{period}")

if v.vehicle_detail:
    w.section("违规地图与明细", "Violations: map and records")
    viol = data.violations(v, period, enterprise)
    if viol.empty:
        w.no_data("本期无违规", "no violations in this period")
    else:
        st.altair_chart(w.violations_map(viol, data.boundaries()), width="stretch")
        w.table(viol, "ent_violations", columns=[
            "start_time", "plate", "vehicle_id", "rule_name_zh", "duration_s", "severity",
            "handling_status", "lat_deg", "lon_deg"], file_name=f"violations_{enterprise}_{period}")
    w.section("车辆与驾驶员", "Vehicles and drivers")
    people = data.people(v, enterprise, period)
    st.caption(people.note)
    w.table(people.vehicles, "ent_vehicles", columns=[
        "vehicle_id", "plate", "vehicle_type", "tonnage_t", "hazmat_class", "provider_id",
        "maker_id", "device_model", "owner_name", "operator_phone"],
        file_name=f"vehicles_{enterprise}")
    w.table(people.drivers, "ent_drivers", columns=["driver_id", "vehicle_id", "name", "role",
                                                    "phone", "id_number"],
            file_name=f"drivers_{enterprise}")
    w.section("驾驶员安全档案", "Drivers' safety records")
    if people.driver_safety.empty:
        w.no_data("本期无驾驶员记录", "no driver records in this period")
    else:
        w.table(people.driver_safety, "ent_driver_safety", columns=[
            "driver_id", "driver_name", "role", "n_violations", "n_speeding", "n_fatigue",
            "n_night_ban", "n_active_safety", "n_handled", "n_continued_after_reminder",
            "n_escalation_failures", "id_number"],
            file_name=f"driver_safety_{enterprise}_{period}")
else:
    st.caption("此角色仅可查看汇总 · this role sees aggregates only (no vehicle records)")
