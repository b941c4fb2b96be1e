"""设备厂商 · device makers: 24-hour repair rate and data preservation per maker and model."""

import streamlit as st
import widgets as w
from session import require

import data

v = require("devices")
w.page_title("devices", "24小时故障修复率与故障期间数据保存率（按厂商及型号） · 24 h repair rate and "
             "data preservation during outages, per maker and model")
kpi_periods = [p for p in data.rate_periods() if not data.device_kpis(v, p).empty]
period = w.period_picker(kpi_periods, key="dev_period")
if period is None:
    w.no_data("尚无设备厂商结果", "no device-maker results published yet")
    st.stop()
kpis = data.device_kpis(v, period)
for metric, title in (("repair_24h", ("24小时故障修复率", "24-hour repair rate")),
                      ("data_preservation", ("故障期间数据保存率", "data preservation"))):
    w.section(*title)
    rows = kpis[kpis["metric"] == metric]
    if rows.empty:
        w.no_data("本期无记录", "nothing in this period")
        continue
    models = rows[rows["device_model"] != "*"]
    if not models.empty:
        chart = models.assign(label=models["maker_name"] + " " + models["device_model"])
        st.bar_chart(chart.set_index("label")["rate"] * 100, horizontal=True,
                     x_label=f"{title[0]} {title[1]} (%)", y_label="")
    w.table(rows, f"dev_{metric}", columns=["maker_id", "maker_name", "device_model",
                                            "numerator", "denominator", "unit", "rate",
                                            "ci_low", "ci_high"],
            file_name=f"{metric}_{period}")
st.caption("型号为 * 的行为厂商合计 · rows with model * are the maker's total")
