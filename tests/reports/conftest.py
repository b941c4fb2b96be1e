"""Fixtures for the snapshot, notebook and report tests: the committed sample built into a
warehouse and published once per session through the project's own commands, with the JSON
the CLI printed for the evaluated month kept for comparison."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hazrisk.cli import main

PERIOD = "2026-10"


@dataclass(frozen=True)
class Published:
    warehouse: Path
    snapshot: Path
    period: str
    rates_json: list[dict[str, Any]]
    ranking_json: list[dict[str, Any]]
    safety_json: list[dict[str, Any]]


def _run(argv: list[str], ok: tuple[int, ...] = (0,)) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main(argv)
    assert rc in ok, f"hazrisk {' '.join(argv)} -> {rc}"
    return out.getvalue()


@pytest.fixture(scope="session")
def published(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """data/sample -> registry import, ingest, rates, devices, detect, publish."""
    root = tmp_path_factory.mktemp("published")
    db, snap = root / "warehouse.duckdb", root / "published.duckdb"
    w = str(db)
    _run(["registry", "import", str(sample_dir), "--db", w])
    _run(["ingest", str(sample_dir), "--db", w, "--no-progress"], ok=(0, 1))  # sample has rejects
    rates = json.loads(_run(["rates", "--db", w, "--period", PERIOD, "--format", "json"]))
    ranking = json.loads(_run(["rates", "--db", w, "--period", PERIOD, "--ranking",
                               "--format", "json"]))
    _run(["devices", "--db", w, "--period", PERIOD])
    _run(["detect", "--db", w, "--no-progress"])
    safety = json.loads(_run(["safety", "--db", w, "--period", PERIOD, "--format", "json"]))
    _run(["publish", "--db", w, "--out", str(snap)])
    return Published(db, snap, PERIOD, rates, ranking, safety)
