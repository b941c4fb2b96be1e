"""Shared fixtures. Test data is built by literal builders or the simulator, never fetched."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from session_cache import shared_dir

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


@dataclass(frozen=True)
class SampleDb:
    """data/sample imported and ingested: the warehouse file (shared by the session's workers:
    copy it before writing) and the simulated days."""

    db: Path
    start: date
    end: date  # inclusive

    def copy_to(self, folder: Path) -> Path:
        """A private copy of the warehouse in ``folder`` (to write into)."""
        target = folder / "sample.duckdb"
        shutil.copyfile(self.db, target)
        return target


@pytest.fixture(scope="session")
def ingested_sample(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                    worker_id: str) -> SampleDb:
    """The committed sample through `hazrisk registry import` + `hazrisk ingest`, once per
    test session (shared by the xdist workers; never written to: use ``copy_to``). Both must
    succeed: the sample's rejected frames and garbage are quarantined, which is not a failure
    (ingest exits 1 only for a file it could not ingest or a path that matched nothing)."""
    from hazrisk.cli import main

    with shared_dir(tmp_path_factory, worker_id, "ingested_sample") as (folder, ready):
        db = folder / "sample.duckdb"
        if not ready:
            err = io.StringIO()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
                assert main(["registry", "import", str(sample_dir), "--db", str(db),
                             "--json"]) == 0, err.getvalue()
                assert main(["ingest", str(sample_dir), "--db", str(db), "--json",
                             "--no-progress"]) == 0, err.getvalue()
    params = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))["parameters"]
    start = date.fromisoformat(params["start"])
    return SampleDb(db, start, start + timedelta(days=int(params["days"]) - 1))


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are wrapped to the terminal (``COLUMNS``; pytest-xdist workers set 80): tests
    that look for a message in the output see it on one line. Width tests set their own."""
    monkeypatch.setenv("COLUMNS", "1000")
