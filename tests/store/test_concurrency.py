"""Atomicity (a real ingest process killed mid-file) and publishing while an ingest runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from store_testkit import PHONE_A, VEHICLE_HEADER, mixed_stream, vehicle_row, write_csv

from hazrisk.store.connect import StoreError, connect
from hazrisk.store.publish import publish

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TABLES = (
    "core.positions", "core.alarms", "core.safety_events", "core.heartbeats",
    "core.registrations", "core.authentications", "core.param_answers", "core.text_messages",
    "core.multimedia", "raw.messages", "quarantine.frames_rejected", "quarantine.garbage_spans",
    "meta.ingested_files", "meta.ingested_file_rejects",
)
STORE = ("store.positions", "store.alarms", "store.heartbeats", "store.raw_messages",
         "store.frames_rejected", "store.garbage_spans")


@pytest.fixture(scope="module")
def big_dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(REPO))
    from benchmarks.bench_ingest import make_dump

    path = tmp_path_factory.mktemp("big") / "big.bin"
    make_dump(path, 400_000, vehicles=500, seed=7)
    return path


def _ingest_cmd(db: Path, *paths: Path) -> list[str]:
    return [sys.executable, "-m", "hazrisk.store.cli", "ingest", *map(str, paths), "--db",
            str(db), "--no-progress", "--chunk-mb", "1"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}


def _snapshot(db: Path) -> dict[str, object]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out: dict[str, object] = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                                  for t in TABLES}
        out["positions_hash"] = con.execute(
            "SELECT sum(hash(pos_seq, terminal_phone, device_time, lat_deg, lon_deg, "
            "source_offset)) FROM core.positions").fetchall()[0][0]
        out["files"] = con.execute(
            "SELECT file_id, sha256, frames_ok, positions, duplicates FROM meta.ingested_files "
            "ORDER BY file_id").fetchall()
        return out
    finally:
        con.close()


def test_killed_ingest_leaves_nothing_and_rerun_completes(tmp_path: Path,
                                                          big_dump: Path) -> None:
    small = mixed_stream().write(tmp_path / "small.bin")
    db = tmp_path / "killed.duckdb"
    proc = subprocess.Popen(_ingest_cmd(db, small, big_dump), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(), cwd=REPO)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the small file's summary: it is committed
    assert "small.bin" in line, line + (proc.stderr.read() if proc.stderr else "")
    def stored() -> int:
        return sum(p.stat().st_size for p in (db, Path(f"{db}.wal")) if p.exists())

    base = stored()
    deadline = time.time() + 30
    while stored() < base + (6 << 20) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)  # until some chunks of the big file are committed
    assert proc.poll() is None, "the ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after_kill = _snapshot(db)
    assert [f[0] for f in after_kill["files"]] == [1]  # type: ignore[union-attr]
    con = duckdb.connect(str(db), read_only=True)
    for table in TABLES:  # nothing of the killed file is visible ...
        if table.startswith(("core.", "raw.", "quarantine.")):
            (n,) = con.execute(f"SELECT count(*) FROM {table} WHERE source_file_id <> 1"
                               ).fetchall()[0]
            assert n == 0, table
    (partial,) = con.execute("SELECT count(*) FROM store.positions WHERE source_file_id = 2"
                             ).fetchall()[0]
    assert con.execute("SELECT file_id FROM meta.ingest_in_progress").fetchall() == [(2,)]
    con.close()
    assert partial > 0, "no chunk of the big file was stored before the kill"
    con = connect(db)  # ... and the next writer reclaims what it stored
    for table in STORE:
        (n,) = con.execute(f"SELECT count(*) FROM {table} WHERE source_file_id <> 1"
                           ).fetchall()[0]
        assert n == 0, table
    assert con.execute("SELECT count(*) FROM meta.ingest_in_progress").fetchall() == [(0,)]
    con.close()
    rerun = subprocess.run(_ingest_cmd(db, small, big_dump), capture_output=True, text=True,
                           env=_env(), cwd=REPO, check=True)
    assert "skipped" in rerun.stdout and "small.bin" in rerun.stdout
    clean = tmp_path / "clean.duckdb"
    subprocess.run(_ingest_cmd(clean, small, big_dump), capture_output=True, env=_env(),
                   cwd=REPO, check=True)
    assert _snapshot(db) == _snapshot(clean)


def test_publish_is_readable_while_ingest_runs(tmp_path: Path, big_dump: Path) -> None:
    write_csv(tmp_path / "reg" / "vehicles.csv", VEHICLE_HEADER, [vehicle_row("V00001", PHONE_A)])
    db = tmp_path / "w.duckdb"
    out = tmp_path / "pub" / "snapshot.duckdb"
    con = connect(db)
    from hazrisk.store.ingest import ingest_paths
    from hazrisk.store.registry_import import import_registry

    import_registry(con, tmp_path / "reg")
    ingest_paths(con, [mixed_stream().write(tmp_path / "small.bin")])
    con.close()
    first = publish(db, out, parquet_dir=tmp_path / "pub" / "parquet")
    assert first.tables["vehicles"] == 1 and first.tables["ingested_files"] == 1
    assert (tmp_path / "pub" / "parquet" / "vehicles.parquet").exists()

    proc = subprocess.Popen(_ingest_cmd(db, big_dump), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=_env(), cwd=REPO)
    reads = 0
    held = duckdb.connect(str(out), read_only=True)  # a reader that stays open throughout
    refused = False
    try:
        deadline = time.time() + 60
        while proc.poll() is None and time.time() < deadline:
            reader = duckdb.connect(str(out), read_only=True)
            assert reader.execute("SELECT count(*) FROM mart.ingested_files").fetchall() == [(1,)]
            assert reader.execute("SELECT owner_name FROM vehicles").fetchall() == [("张*",)]
            reader.close()
            reads += 1
            if not refused:  # until the ingest holds its lock (it takes a moment to start)
                try:
                    publish(db, tmp_path / "other.duckdb")
                except StoreError as exc:
                    refused = "ingest running" in str(exc)
            time.sleep(0.05)
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert reads >= 3
    assert refused is True  # the warehouse is locked by the ingest: a clear error, no snapshot
    second = publish(db, out)
    assert second.tables["ingested_files"] == 2
    # the reader opened before the new snapshot still sees the old one, consistently
    assert held.execute("SELECT count(*) FROM mart.ingested_files").fetchall() == [(1,)]
    held.close()
    fresh = duckdb.connect(str(out), read_only=True)
    assert fresh.execute("SELECT count(*) FROM mart.ingested_files").fetchall() == [(2,)]
    with pytest.raises(duckdb.Error):
        fresh.execute("CREATE TABLE mart.x (a INTEGER)")
    fresh.close()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_writer_waits_for_a_lock_held_by_another_process(tmp_path: Path) -> None:
    """A writer that finds the warehouse locked (e.g. by a publish) waits, then opens it;
    without waiting it fails with a clear error naming the file."""
    db = tmp_path / "w.duckdb"
    connect(db).close()
    hold = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print('held', flush=True); time.sleep(2.0); c.close()")
    proc = subprocess.Popen([sys.executable, "-c", hold, str(db)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
        with pytest.raises(StoreError, match="w.duckdb: cannot open database"):
            connect(db, lock_wait_s=0)
        t0 = time.monotonic()
        con = connect(db, lock_wait_s=30)
        waited = time.monotonic() - t0
        con.close()
    finally:
        proc.wait(timeout=30)
    assert 0.2 < waited < 30


def test_killed_publish_leaves_no_temp_file_after_the_next_run(tmp_path: Path,
                                                               big_dump: Path) -> None:
    """kill -9 a publish while it writes its temporary snapshot; the next run completes and
    leaves no temporary file (snapshot or Parquet) behind."""
    db = tmp_path / "w.duckdb"
    subprocess.run(_ingest_cmd(db, big_dump), capture_output=True, env=_env(), cwd=REPO,
                   check=True)
    out, pq = tmp_path / "pub" / "published.duckdb", tmp_path / "pub" / "pq"
    cmd = [sys.executable, "-m", "hazrisk", "publish", "--db", str(db), "--out", str(out),
           "--parquet", str(pq)]
    killed = 0
    for _ in range(5):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=_env(), cwd=REPO)
        while proc.poll() is None:
            if list(out.parent.glob(".published.duckdb.publish-*")):
                os.kill(proc.pid, signal.SIGKILL)
                killed += 1
                break
            time.sleep(0.002)
        proc.wait(timeout=120)
        if killed:
            break
    assert killed, "publish always finished before its temporary file could be seen"
    assert list(out.parent.glob(".*publish-*"))  # the killed run's leftovers
    done = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=REPO,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.parent.rglob(".*")] == []
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT count(*) FROM mart._published").fetchall() == [(1,)]
    con.close()
