"""The days ``hazrisk detect`` covers without a period (hazrisk.safety.data_range): hand-computed
counts, the rule both engines apply to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from hazrisk.safety.data_range import MIN_DAY_SHARE, data_range
from hazrisk.store.connect import connect


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(":memory:")
    yield c
    c.close()


def test_stray_days_do_not_stretch_the_range(con: duckdb.DuckDBPyConnection) -> None:
    """Median of (3, 1000, 1200, 900, 2) is 900: a day needs 9 positions, so the broken
    clock's day before and the one after fall out; a quiet day inside stays inside."""
    assert MIN_DAY_SHARE == 0.01
    counts = {date(2025, 1, 1): 3, date(2026, 10, 1): 1000, date(2026, 10, 2): 1200,
              date(2026, 10, 3): 900, date(2027, 6, 1): 2}
    assert data_range(con, counts) == (date(2026, 10, 1), date(2026, 10, 3))
    edge = {date(2026, 10, 1): 900, date(2026, 10, 2): 900, date(2026, 10, 9): 9}
    assert data_range(con, edge) == (date(2026, 10, 1), date(2026, 10, 9))  # 1 % exactly
    edge[date(2026, 10, 9)] = 8
    assert data_range(con, edge) == (date(2026, 10, 1), date(2026, 10, 2))


def test_no_day_no_range(con: duckdb.DuckDBPyConnection) -> None:
    assert data_range(con) is None  # an empty warehouse: its own day counts
    assert data_range(con, {}) is None
