"""Simulated books for the risk-model tests (seeded, moderately sized: CI time matters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pytest

from hazrisk.risk.models import Settings
from hazrisk.risk.synthetic import load_book
from hazrisk.risk.workflow import FitResult, fit_and_validate
from hazrisk.simulate.insurance import InsuranceResult, make_insurance_book
from hazrisk.store.connect import connect

YEARS = [2021, 2022, 2023, 2024, 2025]
TRAIN = [2022, 2023, 2024]


@dataclass
class Book:
    res: InsuranceResult
    con: duckdb.DuckDBPyConnection


def make_book(n_enterprises: int, seed: int, *, correlated: bool = False) -> Book:
    res = make_insurance_book(n_enterprises, years=YEARS, random_state=seed, correlated=correlated)
    con = connect(":memory:")
    load_book(con, res, random_state=seed)
    return Book(res, con)


@pytest.fixture(scope="session")
def book_ind() -> Book:
    """About 10,000 vehicle-years, 1,500 claims; enterprise effects independent of behaviour."""
    return make_book(200, 11)


@pytest.fixture(scope="session")
def fitted(book_ind: Book) -> FitResult:
    """Prospective (default) fit on 2022-2024, out-of-time test on 2025, as at the end of
    2025 (the test year's late claims not yet reported: judged on developed counts)."""
    return fit_and_validate(book_ind.con, TRAIN, 2025, as_at=date(2025, 12, 31),
                            settings=Settings.default(bootstrap_reps=50), name="test-model")
