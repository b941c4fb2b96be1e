"""Reading the snapshot while ``hazrisk publish`` replaces it: no lock errors, no half reads,
and the new snapshot is seen without reopening anything by hand."""

from __future__ import annotations

import shutil
import threading

from hazrisk import snapshot as snap
from hazrisk.portal.reader import read_consistent, version_of
from tests.portal.conftest import _run


def test_reads_stay_whole_while_publish_replaces_the_file(published, tmp_path):
    target = tmp_path / "published.duckdb"
    shutil.copy(published.snapshot, target)
    expected = len(snap.provider_rates(snap.open_snapshot(published.snapshot), published.period))
    errors: list[str] = []
    versions: set = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                version, df = read_consistent(
                    target, lambda con: snap.provider_rates(con, published.period))
            except Exception as exc:  # noqa: BLE001 - every failure is what the test counts
                errors.append(repr(exc))
                continue
            versions.add(version)
            if len(df) != expected:
                errors.append(f"half read: {len(df)} rows of {expected}")

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    before = version_of(target)
    try:
        for _ in range(4):
            _run(["publish", "--db", str(published.warehouse), "--out", str(target)])
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert version_of(target) != before
    assert len(versions) >= 2, "the readers saw the new snapshots"
