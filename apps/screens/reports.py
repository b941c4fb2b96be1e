"""报告 · the generated reports (HTML) with their lineage, newest first."""

import streamlit as st
import widgets as w
from session import require

import data

v = require("reports")
w.page_title("reports", "定期生成的评价报告及其数据来源 · scheduled reports and their lineage")
found = data.reports(v)
st.caption(f"报告目录 reports folder: {data.reports_dir()}")
if not found:
    w.no_data("尚无生成的报告（由 hazrisk report 生成）",
              "no generated reports yet (written by the scheduled report runs)")
    st.stop()
for i, rep in enumerate(found):
    finished = rep.lineage.get("finished_at", "")
    title = rep.lineage.get("title", "")
    status = rep.lineage.get("status", "")
    with st.expander(f"{rep.kind} · {rep.run}  {title}  {finished}  {status}".rstrip(),
                     expanded=(i == 0)):
        snap_info = rep.lineage.get("snapshot") or {}
        if isinstance(snap_info, dict) and snap_info:
            st.caption(f"数据快照 snapshot: published {snap_info.get('published_at', '?')}, "
                       f"sha256 {str(snap_info.get('sha256', '?'))[:12]}…")
        for html in rep.html:
            st.download_button(f"下载 download {html.name}", data=html.read_bytes(),
                               file_name=f"{rep.kind}_{rep.run}_{html.name}",
                               mime="text/html", key=f"rep-{i}-{html.name}")
        if rep.lineage:
            st.markdown("**数据来源 Lineage**")
            st.json(rep.lineage, expanded=False)
        else:
            st.caption("无 lineage.json · no lineage recorded")
