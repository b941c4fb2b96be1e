"""data/sample is intact and up to date with the simulator (`make sample` regenerates it)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from hazrisk.simulate import simulate


def test_sample_files_match_manifest(sample_dir: Path) -> None:
    manifest = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["seed"] == 808
    assert manifest["parameters"]["vehicles"] == 40 and manifest["parameters"]["days"] == 3
    for f in manifest["files"]:
        data = (sample_dir / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
    assert "README.md" in {f["path"] for f in manifest["files"]}
    size = sum(f["bytes"] for f in manifest["files"])
    assert size < 8_000_000


def test_sample_is_what_make_sample_writes(sample_dir: Path, tmp_path: Path) -> None:
    fresh = simulate(tmp_path / "sample", vehicles=40, days=3, start="2026-10-01", seed=808,
                     sample=True)
    committed = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
    stale = [f["path"] for f, g in zip(fresh.manifest["files"], committed["files"], strict=False)
             if f != g]
    assert fresh.manifest == committed, f"data/sample is stale, run `make sample`: {stale[:5]}"
