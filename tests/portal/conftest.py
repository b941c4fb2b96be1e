"""Portal fixtures: the published sample snapshot (shared with the report tests), cheap bcrypt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reports.conftest import Published, _run, published  # noqa: F401 - the shared fixture

APP = Path(__file__).resolve().parents[2] / "apps" / "app.py"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(autouse=True)
def _cheap_bcrypt(monkeypatch):
    monkeypatch.setattr("hazrisk.portal.users.BCRYPT_ROUNDS", 4)


def cli_json(args: list[str]) -> list[dict]:
    """A ``hazrisk`` command's JSON output (exit code 0)."""
    return json.loads(_run([*args, "--format", "json"]))
