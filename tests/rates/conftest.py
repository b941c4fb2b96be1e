"""Fixtures for the rate scenarios (literal builders in rates_builders.py)."""

from __future__ import annotations

import pytest
from rates_builders import World


@pytest.fixture
def world() -> World:
    return World()
