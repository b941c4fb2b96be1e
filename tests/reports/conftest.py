"""Fixtures for the snapshot, notebook and report tests: the committed sample built into a
warehouse and published once per session through the project's own commands, with the JSON
the CLI printed for the evaluated month kept for comparison."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from session_cache import shared_dir

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
def published(ingested_sample: Any, tmp_path_factory: pytest.TempPathFactory,
              worker_id: str) -> Published:
    """data/sample (imported and ingested once per session: tests/conftest.py) -> rates,
    devices, detect, publish (once per session, shared by the xdist workers); the CLI's JSON
    for the month kept beside it."""
    with shared_dir(tmp_path_factory, worker_id, "published") as (root, ready):
        db, snap, cli = root / "warehouse.duckdb", root / "published.duckdb", root / "cli.json"
        if not ready:
            w = str(db)
            shutil.copyfile(ingested_sample.db, db)
            rates = json.loads(_run(["rates", "--db", w, "--period", PERIOD, "--format", "json"]))
            ranking = json.loads(_run(["rates", "--db", w, "--period", PERIOD, "--ranking",
                                       "--format", "json"]))
            _run(["devices", "--db", w, "--period", PERIOD])
            _run(["detect", "--db", w, "--no-progress"])
            safety = json.loads(_run(["safety", "--db", w, "--period", PERIOD,
                                      "--format", "json"]))
            _run(["publish", "--db", w, "--out", str(snap)])
            cli.write_text(json.dumps({"rates": rates, "ranking": ranking, "safety": safety},
                                      ensure_ascii=False), encoding="utf-8")
        saved = json.loads(cli.read_text(encoding="utf-8"))
    return Published(db, snap, PERIOD, saved["rates"], saved["ranking"], saved["safety"])
