"""Fixtures for the safety scenarios (literal builders in safety_builders.py)."""

from __future__ import annotations

import pytest
from safety_builders import World


@pytest.fixture
def world() -> World:
    return World()
