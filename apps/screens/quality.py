"""数据质量 · data quality: ingest quarantine by reason, gateway and day; deliveries; unknown
terminals; registry rejects and files left alone (evaluators)."""

import streamlit as st
import widgets as w
from session import require

import data

v = require("quality")
w.page_title("quality", "入库隔离（按原因、服务商、日期）、每日送达、未登记终端、登记数据拒收 · "
             "ingest quarantine by reason, gateway and day; deliveries; unknown terminals; "
             "registry rejects")
if v.role == "operator":
    st.caption("仅显示本服务商网关的数据 · only your own gateway's data is shown")

period = w.period_picker(data.rate_periods(), key="dq_period")
if period is None:
    w.no_data("尚无数据", "nothing published yet")
    st.stop()

days = data.ingest_days(v, period)
if not days.empty:
    c1, c2, c3 = st.columns(3)
    with c1:
        w.metric("文件", "files", int(days["files"].sum()), "个", digits=0)
    with c2:
        w.metric("拒收帧", "frames rejected", int(days["frames_rejected"].sum()), "帧", digits=0)
    with c3:
        w.metric("无效字节", "garbage", int(days["garbage_bytes"].sum()), "B", digits=0)

w.section("入库隔离", "Quarantine")
tabs = st.tabs(["按原因 by reason", "按服务商 by gateway", "按日期 by day"])
for tab, by in zip(tabs, ("reason", "provider", "day"), strict=True):
    with tab:
        q = data.quarantine_by(v, period, by)
        w.table(q, f"dq_quarantine_{by}", file_name=f"quarantine_by_{by}_{period}")

w.section("每日送达", "Deliveries per gateway and day")
if not days.empty:
    pivot = days.pivot_table(index="source_date", columns="source_provider_id",
                             values="frames_ok", aggfunc="sum")
    st.bar_chart(pivot, x_label="文件日期 file date", y_label="有效帧 frames ok")
w.table(days, "dq_days", file_name=f"ingest_days_{period}")

w.section("未登记终端", "Unknown terminals")
w.table(data.unknown_terminals(v, period), "dq_unknown", file_name=f"unknown_terminals_{period}")

if v.role == "evaluator":
    w.section("登记数据拒收", "Registry rejects")
    w.table(data.registry_rejects(v), "dq_registry", file_name="registry_rejects")
    w.section("未处理的文件", "Files left alone")
    w.table(data.files_left_alone(v), "dq_left_alone", file_name="files_left_alone")
    w.section("入库失败", "Failed ingests")
    w.table(data.ingest_errors(v), "dq_ingest_errors", file_name="ingest_errors")
