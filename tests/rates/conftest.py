"""Fixtures for the rate tests: literal builders (rates_builders.py) and the committed
simulator sample ingested once per session through the warehouse's own commands."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from rates_builders import SampleWarehouse, World

from hazrisk.cli import main
from hazrisk.rates import Period


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="session")
def sample_warehouse(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SampleWarehouse:
    """data/sample imported and ingested with `hazrisk registry import` + `hazrisk ingest`;
    the period is the simulated days."""
    db = str(tmp_path_factory.mktemp("sample_wh") / "sample.duckdb")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["registry", "import", str(sample_dir), "--db", db, "--json"]) == 0
        # 0: the sample's rejected frames are counted, not a failure of the ingest
        assert main(["ingest", str(sample_dir), "--db", db, "--json", "--no-progress"]) == 0
    params = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))["parameters"]
    start = pd.Timestamp(params["start"]).date()
    end = (pd.Timestamp(params["start"]) + pd.Timedelta(days=int(params["days"]) - 1)).date()
    return SampleWarehouse(db, Period.between(start, end))
