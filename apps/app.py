"""浙江省危险货物道路运输安全服务门户 — the association's portal. Routes only.

``hazrisk app`` (or ``streamlit run apps/app.py`` with ``HAZRISK_SNAPSHOT`` set) serves it.
The pages a role may open are the only ones registered, so another role's page cannot be
reached by URL.
"""

import streamlit as st
from session import sidebar

from hazrisk.portal.scope import PAGES

st.set_page_config(page_title="危险货物运输安全服务门户 · hazmat safety portal", layout="wide")
viewer = sidebar()
pages = [
    st.Page(f"screens/{key}.py", title=f"{PAGES[key][0]} {PAGES[key][1]}", url_path=key,
            default=(i == 0))
    for i, key in enumerate(viewer.pages)
]
st.navigation(pages).run()
