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
def sample_warehouse(ingested_sample: Any,
                     tmp_path_factory: pytest.TempPathFactory) -> SampleWarehouse:
    """A private copy of data/sample imported and ingested once per session
    (``ingested_sample`` of tests/conftest.py); the period is the simulated days."""
    s = ingested_sample
    db = s.copy_to(tmp_path_factory.mktemp("sample_warehouse"))
    return SampleWarehouse(str(db), Period.between(s.start, s.end))
