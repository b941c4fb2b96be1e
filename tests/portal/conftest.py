"""Portal fixtures: cheap bcrypt for tests (the cost factor is not what is tested)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cheap_bcrypt(monkeypatch):
    monkeypatch.setattr("hazrisk.portal.users.BCRYPT_ROUNDS", 4)
