"""Portal fixtures: the published sample snapshot (shared with the report tests), cheap bcrypt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hazrisk.portal.users import User
from tests.reports.conftest import Published, _run, published  # noqa: F401 - the shared fixture

APP = Path(__file__).resolve().parents[2] / "apps" / "app.py"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(autouse=True)
def _cheap_bcrypt(monkeypatch):
    monkeypatch.setattr("hazrisk.portal.users.BCRYPT_ROUNDS", 4)


def cli_json(args: list[str]) -> list[dict]:
    """A ``hazrisk`` command's JSON output (exit code 0)."""
    return json.loads(_run([*args, "--format", "json"]))


#: One user per role, as the page tests log them in.
ROLE_USERS = {
    "public": None,
    "evaluator": User("eva", "evaluator"),
    "enterprise": User("ent1", "enterprise", scope="E0001"),
    "operator": User("op1", "operator", scope="P01"),
    "insurer": User("ins1", "insurer", scope="I01"),  # insures E0003, E0004 (policies 2025)
}


def render_app(user, page: str, **state):
    """``apps/app.py`` through AppTest as ``user`` (``None``: the public) on ``page``, with the
    session-state values ``state`` set before the page's run; no exception allowed."""
    from streamlit.testing.v1 import AppTest

    from hazrisk.portal.scope import ROLE_PAGES

    at = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        at.session_state["user"] = user
    at.run()
    if page != ROLE_PAGES[user.role if user is not None else "public"][0]:
        at.switch_page(f"screens/{page}.py")
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
