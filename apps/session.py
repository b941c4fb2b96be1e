"""Login, logout and the viewer of this browser session.

The logged-in user lives in ``st.session_state["user"]`` (set only by a successful password
check here); the viewer (role + scope) is derived from it on every run by the data module, so
nothing a page or a URL sets can widen it.
"""

from __future__ import annotations

import streamlit as st

from data import info, insured, viewer
from hazrisk.portal.reader import SnapshotMissing
from hazrisk.portal.scope import Viewer
from hazrisk.portal.users import ROLES, UsersError, authenticate
from hazrisk.snapshot import SnapshotError

USER_KEY = "user"


def sidebar() -> Viewer:
    """The login form (or the logged-in user and a logout button) in the sidebar; returns the
    viewer of this session."""
    user = st.session_state.get(USER_KEY)
    with st.sidebar:
        if user is None:
            with st.form("login", clear_on_submit=False):
                st.markdown("**登录 · Log in**")
                login = st.text_input("用户名 Login", key="login_name")
                password = st.text_input("密码 Password", type="password", key="login_password")
                submitted = st.form_submit_button("登录 Log in")
            if submitted:
                try:
                    found = authenticate(login.strip(), password)
                except UsersError as exc:
                    st.error(f"用户文件不可用 · users file unusable: {exc}")
                    found = None
                if found is None:
                    st.error("用户名或密码错误 · wrong login or password")
                else:
                    st.session_state[USER_KEY] = found
                    st.session_state.pop("login_password", None)
                    st.rerun()
            st.caption("公众无需登录 · the public page needs no login")
        else:
            role_zh = ROLES.get(user.role, user.role)
            scope = f" · {user.scope}" if user.scope else ""
            st.markdown(f"**{user.display_name or user.login}**  \n{role_zh} {user.role}{scope}")
            if user.role == "insurer":
                scope_of = insured(user.scope)
                year = f"{scope_of.year} 保单年度 policy year" if scope_of.year else "无保单 no policies"
                st.caption(f"承保企业 insured enterprises ({year}): "
                           f"{', '.join(scope_of.enterprises) or '—'}")
            if st.button("退出 Log out", key="logout"):
                st.session_state.pop(USER_KEY, None)
                st.rerun()
    return viewer(st.session_state.get(USER_KEY))


def require(page: str) -> Viewer:
    """The viewer, when its role may open ``page``; otherwise an error and the page stops
    (the navigation never offers such a page; this guards a direct script run)."""
    try:
        v = viewer(st.session_state.get(USER_KEY))
        published = info().get("published_at")
    except (SnapshotMissing, SnapshotError) as exc:
        st.error(f"快照不可用 · snapshot unavailable: {exc}")
        st.stop()
    if not v.may_open(page):
        st.error("无权访问此页面 · this page is not available to your role")
        st.stop()
    when = published.strftime("%Y-%m-%d %H:%M") if published is not None else "?"
    st.sidebar.caption(f"数据快照发布于 snapshot published {when} (北京时间 Beijing time)")
    return v
