"""Shared fixtures. Test data is built by literal builders or the simulator, never fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    path = REPO / "data" / "sample"
    if not (path / "manifest.json").exists():
        pytest.fail("data/sample is missing: run `make sample`")
    return path
