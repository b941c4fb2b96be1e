"""Fixtures for the rate tests: literal builders (rates_builders.py) and the committed
simulator sample ingested once per session through the warehouse's own commands."""

from __future__ import annotations

from typing import Any

import pytest
from rates_builders import SampleWarehouse, World

from hazrisk.rates import Period


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="session")
def sample_warehouse(sample_db: Any) -> SampleWarehouse:
    """data/sample imported and ingested once per session (tests/conftest.py: ``sample_db``);
    the period is the simulated days."""
    return SampleWarehouse(str(sample_db.db), Period.between(sample_db.start, sample_db.end))
