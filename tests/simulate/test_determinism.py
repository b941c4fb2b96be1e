"""Same seed, same bytes; another seed, other bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hazrisk.simulate import simulate


def _hashes(out: Path) -> dict[str, str]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {f["path"]: f["sha256"] for f in manifest["files"]}


def test_same_seed_same_bytes(tmp_path: Path, tiny: Path) -> None:
    again = tmp_path / "again"
    simulate(again, vehicles=8, days=1, seed=11, fault_scale=25)
    assert _hashes(again) == _hashes(tiny)
    assert "history/vehicle_months.csv" in _hashes(tiny)  # the archive is covered too
    assert (again / "manifest.json").read_bytes() == (tiny / "manifest.json").read_bytes()


def test_other_seed_other_bytes(tmp_path: Path, tiny: Path) -> None:
    other = tmp_path / "other"
    simulate(other, vehicles=8, days=1, seed=12, fault_scale=25)
    a, b = _hashes(other), _hashes(tiny)
    differ = [p for p in a if p in b and a[p] != b[p]]
    assert "truth/trajectories.parquet" in differ
    assert "history/vehicle_months.csv" in differ
    assert any(p.startswith("dumps/") for p in differ)


def test_manifest_lists_every_file_with_its_hash(tiny: Path) -> None:
    import hashlib

    hashes = _hashes(tiny)
    on_disk = {p.relative_to(tiny).as_posix() for p in tiny.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert set(hashes) == on_disk
    for rel, digest in hashes.items():
        assert hashlib.sha256((tiny / rel).read_bytes()).hexdigest() == digest
    manifest = json.loads((tiny / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 11 and manifest["parameters"]["vehicles"] == 8


def test_rerun_into_the_same_folder_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    simulate(out, vehicles=3, days=1, seed=5, providers=5)
    (out / "keep.txt").write_text("mine")
    first = _hashes(out)
    simulate(out, vehicles=3, days=1, seed=5, providers=5)
    assert _hashes(out) == first
    assert (out / "keep.txt").read_text() == "mine"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        simulate("/nonexistent-never-written", vehicles=0, days=1)
