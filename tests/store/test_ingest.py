"""Ingest: counts equal the decoder's, idempotency, dedup, bad files, folders, --json."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from store_testkit import PHONE_A, PHONE_B, T0, Stream, loc, mixed_stream

from hazrisk.jt808 import iter_records
from hazrisk.jt808.columnar import records_table
from hazrisk.sqlfiles import in_transaction
from hazrisk.store import file_chunks
from hazrisk.store import ingest as ingest_module
from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect
from hazrisk.store.ingest import ingest_paths


def decoder_counts(path: Path) -> dict[str, object]:
    """What the codec says about a file: ok frames, rejects by reason, garbage, positions."""
    ok = 0
    rejected: Counter[str] = Counter()
    garbage = 0
    positions = 0
    for rec in iter_records(path):
        if rec.status == "ok":
            ok += rec.length > 0
            if rec.subpackage is None or rec.reassembled_from is not None:
                positions += records_table([rec]).num_rows
        elif rec.status == "rejected":
            rejected[rec.reason or "?"] += 1
        else:
            garbage += rec.length
    return {"frames_ok": ok, "rejected": dict(rejected), "garbage_bytes": garbage,
            "positions": positions}


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


@pytest.mark.parametrize("fmt,gz,worker", [
    ("raw", False, False), ("raw", True, False), ("hexlog", False, False),
    ("hexlog", True, False), ("raw", False, True), ("hexlog", True, True)])
def test_counts_equal_the_decoder(db: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str,
                                  gz: bool, worker: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """(``worker``: decoded in the worker process, as large files are.)"""
    monkeypatch.setattr(ingest_module, "WORKER_BYTES", 0 if worker else 1 << 62)
    path = mixed_stream().write(tmp_path / f"d.{'log' if fmt == 'hexlog' else 'bin'}", fmt, gz=gz)
    report = ingest_paths(db, [path], chunk_bytes=256)  # tiny chunks: many cuts
    (f,) = report.files
    assert f.error is None and not f.skipped
    truth = decoder_counts(path)
    assert {k: getattr(f, k) for k in truth} == truth
    assert f.duplicates == 1
    assert count(db, "core.positions") == truth["positions"] - 1
    assert count(db, "core.frames_rejected") == sum(truth["rejected"].values())  # type: ignore[arg-type]
    assert count(db, "core.heartbeats") == 6
    assert count(db, "core.registrations") == 1
    assert count(db, "core.authentications") == 1
    assert count(db, "core.param_answers") == 2
    assert count(db, "core.text_messages") == 1
    assert count(db, "core.multimedia") == 2
    assert count(db, "core.alarms") == 1
    assert count(db, "core.safety_events") == 1
    (backfilled,) = db.execute(
        "SELECT count(*) FROM core.positions WHERE is_backfill").fetchall()[0]
    assert backfilled == 10  # 2 in a plain 0x0704, 8 in the reassembled one
    # provenance: every position points at the frame it came from
    rows = db.execute("SELECT DISTINCT source_offset FROM core.positions").fetchall()
    offsets = {r.offset for r in iter_records(path) if r.status == "ok"}
    assert {o for (o,) in rows} <= offsets
    (seq_unique,) = db.execute(
        "SELECT count(DISTINCT pos_seq) = count(*) FROM core.positions").fetchall()[0]
    assert seq_unique
    assert db.execute("SELECT format, compressed FROM meta.ingested_files").fetchall() == [
        ("raw" if fmt == "raw" else "hexlog", gz)]


def test_failing_writer_job_rolls_the_chunk_back(db: duckdb.DuckDBPyConnection,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A job failing on the writer thread mid-file: its chunk transaction is rolled back as
    the writer stops (no transaction left open on the connection), the file's committed
    chunks are deleted, and the same connection ingests the file afterwards."""
    path = mixed_stream(n=3000).write(tmp_path / "d.bin")  # beyond the 64 KiB sniff
    real = file_chunks.append_positions
    calls = {"n": 0}

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(file_chunks, "append_positions", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest_paths(db, [path], chunk_bytes=4096)
    assert calls["n"] == 3 and not in_transaction(db)
    for table in ("store.positions", "store.heartbeats", "meta.ingest_in_progress",
                  "meta.ingested_files"):
        assert count(db, table) == 0, table
    monkeypatch.setattr(file_chunks, "append_positions", real)
    (f,) = ingest_paths(db, [path], chunk_bytes=4096).files
    assert f.error is None and count(db, "core.positions") == f.positions_stored > 0


def test_typed_rows(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = mixed_stream().write(tmp_path / "d.log", "hexlog")
    ingest_paths(db, [path])
    assert db.execute("SELECT plate, maker_id, plate_color FROM core.registrations").fetchall() \
        == [("浙A12345", "M0001", 2)]
    params = dict(db.execute("SELECT param_hex, value_text FROM core.param_answers").fetchall())
    assert params == {"0x0013": "jt808.example.cn", "0x0029": "30"}
    ((text, direction, t),) = db.execute(
        "SELECT text, direction, recv_time FROM core.text_messages").fetchall()
    assert (text, direction, t) == ("请勿疲劳驾驶", "SEND", T0)
    ((system, typ, level, flag, ev_time),) = db.execute(
        "SELECT system, alarm_type, alarm_level, flag_status, event_time "
        "FROM core.safety_events").fetchall()
    assert (system, typ, level, flag) == ("adas", 2, 1, 1)
    assert ev_time is not None
    assert db.execute("SELECT msg_id, media_id, data_bytes, data_magic_hex, lat_deg "
                      "FROM core.multimedia ORDER BY msg_id").fetchall() == [
        (0x0800, 5, None, None, None), (0x0801, 5, 10, "ffd8ffe0", 30.1)]
    ((name, bit),) = db.execute("SELECT alarm_name, alarm_bit FROM core.alarms").fetchall()
    assert (name, bit) == ("overspeed", 1)
    # hex logs carry the receive time
    (n_recv,) = db.execute(
        "SELECT count(*) FROM core.positions WHERE recv_time IS NULL").fetchall()[0]
    assert n_recv == 0


def test_idempotent_on_content(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = mixed_stream().write(tmp_path / "a.bin")
    first = ingest_paths(db, [path]).files[0]
    before = {t: count(db, t) for t in ("core.positions", "core.heartbeats", "raw.messages")}
    copy = tmp_path / "copy_of_a.bin"
    copy.write_bytes(path.read_bytes())
    again = ingest_paths(db, [path, copy])
    assert [f.skipped for f in again.files] == [True, True]
    assert all(f.sha256 == first.sha256 for f in again.files)
    assert "already ingested" in (again.files[1].skip_reason or "")
    assert {t: count(db, t) for t in before} == before
    assert count(db, "meta.ingested_files") == 1


def test_hash_alongside_decoding_and_same_size_files(db: duckdb.DuckDBPyConnection,
                                                     tmp_path: Path) -> None:
    """A file of a size no ingested file has is hashed while it is decoded: the recorded
    sha256 is still that of its bytes. A different file of the same size (hashed first) is
    ingested, not skipped; a byte-identical copy is skipped."""
    import hashlib

    a = mixed_stream().write(tmp_path / "a.bin")
    data = bytearray(a.read_bytes())
    i = data.index(b"HTTP")  # a byte of the garbage at the end: same size, other content
    data[i] ^= 0x20
    b = tmp_path / "b.bin"
    b.write_bytes(bytes(data))
    c = tmp_path / "c.bin"
    c.write_bytes(a.read_bytes())
    rep = ingest_paths(db, [a, b, c])
    assert [f.skipped for f in rep.files] == [False, False, True]
    got = dict(db.execute("SELECT path, sha256 FROM meta.ingested_files").fetchall())
    assert got == {str(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)}
    assert count(db, "meta.ingest_in_progress") == 0


def test_duplicates_across_files_and_backfill(db: duckdb.DuckDBPyConnection,
                                              tmp_path: Path) -> None:
    a = Stream()
    for i in range(5):
        a.msg(0x0200, loc(T0.replace(minute=i)))
    b = Stream()
    b.msg(0x0200, loc(T0.replace(minute=4)))  # resent: a duplicate of a's last point
    b.msg(0x0704, {"batch_type": 1, "positions": [loc(T0.replace(minute=5))]})
    b.msg(0x0200, loc(T0.replace(minute=5)))  # the live copy after its backfill: duplicate
    ra = ingest_paths(db, [a.write(tmp_path / "a.bin")]).files[0]
    rb = ingest_paths(db, [b.write(tmp_path / "b.bin")]).files[0]
    assert (ra.positions, ra.duplicates) == (5, 0)
    assert (rb.positions, rb.duplicates) == (3, 2)
    assert count(db, "core.positions") == 6
    ((backfill,),) = db.execute(
        "SELECT is_backfill FROM core.positions WHERE device_time = $t",
        {"t": T0.replace(minute=5)}).fetchall()
    assert backfill  # the first copy (the backfilled one) is kept, flagged


def test_alarm_bits_of_duplicates_attach_to_the_kept_copy(db: duckdb.DuckDBPyConnection,
                                                          tmp_path: Path) -> None:
    """One alarm row per (kept position, bit): a bit first seen on a dropped duplicate (in the
    same file or a later one) is attached to the kept copy with the duplicate's provenance; a
    bit the kept copy already has is not repeated."""
    t = [T0.replace(minute=m) for m in range(4)]
    a = Stream()
    a.msg(0x0200, loc(t[0], alarm=0b0010))            # P: overspeed
    a.msg(0x0200, loc(t[1]))                          # X: no alarm ...
    a.msg(0x0200, loc(t[1], alarm=0b0010))            # ... X': its duplicate, overspeed
    a.msg(0x0200, loc(t[2], alarm=0b0010))            # Y: overspeed ...
    a.msg(0x0200, loc(t[2], alarm=0b1010))            # ... Y': + bit 3 (GNSS fault)
    b = Stream()
    b.msg(0x0200, loc(t[0], alarm=0b0110))            # P again: overspeed + fatigue (bit 2)
    pa_ = a.write(tmp_path / "a.bin")
    pb = b.write(tmp_path / "b.bin")
    ingest_paths(db, [pa_])
    ingest_paths(db, [pb])
    offs_a = [r.offset for r in iter_records(pa_)]
    offs_b = [r.offset for r in iter_records(pb)]
    seq = dict(db.execute("SELECT device_time, pos_seq FROM core.positions").fetchall())
    files = dict(db.execute("SELECT path, file_id FROM meta.ingested_files").fetchall())
    fa, fb = files[str(pa_.resolve())], files[str(pb.resolve())]
    got = sorted(db.execute("SELECT pos_seq, alarm_bit, source_file_id, source_offset "
                            "FROM core.alarms").fetchall())
    want = sorted([
        (seq[t[0]], 1, fa, offs_a[0]), (seq[t[0]], 2, fb, offs_b[0]),
        (seq[t[1]], 1, fa, offs_a[2]),
        (seq[t[2]], 1, fa, offs_a[3]), (seq[t[2]], 3, fa, offs_a[4]),
    ])
    assert got == want


def test_unknown_terminals_kept_and_reported(db: duckdb.DuckDBPyConnection,
                                             tmp_path: Path) -> None:
    s = Stream()
    s.msg(0x0200, loc(), PHONE_A)
    s.msg(0x0200, loc(), PHONE_B)
    s.msg(0x0002, {}, "13911112222")
    f = ingest_paths(db, [s.write(tmp_path / "u.bin")]).files[0]
    assert f.unknown_terminals == ["013900000001", "013900000002", "013911112222"]
    assert count(db, "core.positions") == 2
    assert count(db, "core.unknown_terminals") == 2
    assert "unknown terminals 3" in f.line()


def test_bad_files_fail_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = mixed_stream().write(tmp_path / "in" / "good.bin")
    full = gzip.compress(mixed_stream(PHONE_B).raw_bytes() * 20)
    (tmp_path / "in" / "truncated.bin.gz").write_bytes(full[: len(full) // 2])
    (tmp_path / "in" / "picture.bin").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "in" / "notes.csv").write_text("not a dump\n")
    (tmp_path / "in" / "dangling.log").symlink_to(tmp_path / "nowhere")
    db_path = tmp_path / "w.duckdb"
    rc = store_main(["ingest", str(tmp_path / "in"), "--db", str(db_path), "--json",
                     "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1
    # a truncated gzip keeps what is readable (test_readers.py), with a warning
    assert [Path(f["path"]).name for f in out["files"]] == ["good.bin", "truncated.bin.gz"]
    (trunc,) = [f for f in out["files"] if f["path"].endswith(".gz")]
    assert trunc["frames_ok"] > 0 and trunc["rejected"].get("bad_gzip") == 1
    assert "truncated gzip" in trunc["warnings"][0]
    errors = {Path(e["path"]).name: e["error"] for e in out["totals"]["errors"]}
    assert set(errors) == {"picture.bin", "dangling.log"}
    assert "no valid JT/T 808 frame" in errors["picture.bin"]
    assert "cannot read" in errors["dangling.log"]
    assert [Path(p).name for p in out["totals"]["left_alone"]] == ["notes.csv"]
    con = connect(db_path)
    assert count(con, "meta.ingested_files") == 2
    assert count(con, "meta.ingest_errors") == 2
    (n,) = con.execute("SELECT count(DISTINCT source_file_id) FROM core.positions").fetchall()[0]
    assert n == 2
    con.close()
    _ = good


def test_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mixed_stream().write(tmp_path / "a.bin")
    db_path = str(tmp_path / "w.duckdb")
    assert store_main(["ingest", str(path), "--db", db_path, "--json", "--no-progress"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert store_main(["ingest", str(path), "--db", db_path, "--json", "--no-progress"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert set(first) == {"files", "totals"}
    keys = {"path", "sha256", "skipped", "frames_ok", "rejected", "garbage_bytes", "positions",
            "duplicates", "warnings"}
    for out in (first, second):
        (f,) = out["files"]
        assert set(f) == keys
        assert isinstance(f["rejected"], dict)
    assert first["files"][0]["skipped"] is False and second["files"][0]["skipped"] is True
    assert first["files"][0]["rejected"] == {"bad_checksum": 1, "truncated": 1}
    assert second["files"][0]["frames_ok"] == 0  # nothing ingested by the second run
    t = first["totals"]
    assert (t["ingested"], t["skipped"], t["failed"]) == (1, 0, 0)
    assert t["positions"] == first["files"][0]["positions"]
    assert second["totals"]["skipped"] == 1


def test_text_output_and_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mixed_stream().write(tmp_path / "a.bin")
    rc = store_main(["ingest", str(path), str(tmp_path / "nope*.bin"), "--db",
                     str(tmp_path / "w.duckdb"), "--no-progress"])
    cap = capsys.readouterr()
    assert rc == 1
    assert "frames ok" in cap.out and "duplicates" in cap.out
    assert "nope*.bin" in cap.err


@pytest.mark.parametrize("fmt,gz", [("raw", False), ("hexlog", True)])
def test_worker_process_stores_the_same_rows(tmp_path: Path, fmt: str, gz: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A file decoded in the worker process (large files) stores exactly the rows the same
    file decoded in the ingesting process stores: every core and quarantine table, row for
    row (phones, kept bytes of rejected frames and garbage, safety items)."""
    path = mixed_stream().write(tmp_path / f"d.{'log' if fmt == 'hexlog' else 'bin'}", fmt, gz=gz)
    dumps = {}
    for worker in (False, True):
        monkeypatch.setattr(ingest_module, "WORKER_BYTES", 0 if worker else 1 << 62)
        con = connect(tmp_path / f"w{worker}.duckdb")
        (f,) = ingest_paths(con, [path], chunk_bytes=512).files
        assert f.error is None
        tables = [f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE schema_name IN "
            "('core', 'quarantine') ORDER BY ALL").fetchall()]
        dumps[worker] = {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall()))
                         for t in tables}
        con.close()
    assert dumps[True] == dumps[False]
    assert len(dumps[True]) > 10 and dumps[True]["core.safety_events"]
    assert dumps[True]["quarantine.frames_rejected"] and dumps[True]["core.heartbeats"]


def test_worker_killed_mid_file_fails_that_file_only(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the decoding worker while a file is decoded: that file fails with one line
    naming it and leaves nothing visible; the next file is decoded by a new worker."""
    from hazrisk import worker_process

    monkeypatch.setattr(ingest_module, "WORKER_BYTES", 0)
    first = mixed_stream().write(tmp_path / "a.bin")
    second = mixed_stream(phone=PHONE_B).write(tmp_path / "b.log", "hexlog")
    killed: list[int] = []

    def progress(_bytes: int, _frames: int) -> None:
        worker = worker_process._WORKER
        if not killed and worker is not None:
            killed.append(worker.proc.pid)
            worker.proc.kill()
            worker.proc.wait()

    con = connect(tmp_path / "w.duckdb")
    a, b = ingest_paths(con, [first, second], chunk_bytes=256, progress=progress).files
    assert killed
    assert a.error is not None and str(first) in a.error and "worker process" in a.error
    assert "\n" not in a.error
    assert b.error is None and b.positions > 0
    assert worker_process._WORKER is not None and worker_process._WORKER.proc.pid != killed[0]
    assert [p for (p,) in con.execute("SELECT path FROM meta.ingested_files").fetchall()] == [
        str(second.resolve())]
    assert con.execute("SELECT count(*) FROM core.positions").fetchall() == [
        (b.positions_stored,)]
    assert con.execute("SELECT count(*) FROM meta.ingest_in_progress").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM meta.ingest_errors").fetchall() == [(1,)]
    con.close()


def test_files_back_to_back(db: duckdb.DuckDBPyConnection, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With the worker, each next file is started (id, mark, first chunks asked) once the one
    before is decoded, while it is written: the run stores exactly what ingesting the files
    one run each stores (same ids, counts and rows); a file of a size seen in the run (a
    possible copy) is started in turn, hashed first, and skipped if it is a copy; a file
    failing mid-write leaves the next one, started ahead, ingested."""
    monkeypatch.setattr(ingest_module, "WORKER_BYTES", 0)
    paths = [mixed_stream(phone=f"0139{k:08d}", n=20 + 7 * k).write(tmp_path / f"{k}.bin")
             for k in range(3)]
    copy = tmp_path / "3.bin"
    copy.write_bytes(paths[1].read_bytes())
    aheads: list[Path] = []
    real_start = ingest_module._start

    def spy(con: duckdb.DuckDBPyConnection, path: Path, **kw: object) -> object:
        got = real_start(con, path, **kw)  # type: ignore[arg-type]
        if kw.get("ahead") and got is not None:
            aheads.append(path)
        return got

    monkeypatch.setattr(ingest_module, "_start", spy)
    rep = ingest_paths(db, [*paths, copy], chunk_bytes=512)
    assert aheads == paths[1:]  # the copy has a size seen in the run: started in turn
    assert [f.skipped for f in rep.files] == [False, False, False, True]
    assert [f.file_id for f in rep.files[:3]] == [1, 2, 3]
    db2 = connect(tmp_path / "one_by_one.duckdb")
    for p in paths:
        ingest_paths(db2, [p], chunk_bytes=512)
    for table in ("core.positions", "core.heartbeats", "raw.messages", "store.alarms",
                  "quarantine.frames_rejected", "meta.ingested_files"):
        cols = "* EXCLUDE (finished_at, started_at, duration_s)" if table.startswith("meta") \
            else "*"
        q = f"SELECT {cols} FROM {table} ORDER BY ALL"
        assert db.execute(q).fetchall() == db2.execute(q).fetchall(), table
    assert count(db, "meta.ingest_in_progress") == 0

    # a failure in the first file after the second was started ahead of it (its meta row):
    # the second is still ingested under its own id
    real_record = ingest_module.record_validity
    calls = {"n": 0}

    def failing(con: duckdb.DuckDBPyConnection, file_id: int, v: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        real_record(con, file_id, v)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_module, "record_validity", failing)
    more = [mixed_stream(phone=f"0138{k:08d}", n=31 + 5 * k).write(tmp_path / f"m{k}.bin")
            for k in range(2)]
    aheads.clear()
    rep = ingest_paths(db, more, chunk_bytes=512)
    assert aheads == more[1:]
    assert rep.files[0].error is not None and "disk full" in rep.files[0].error
    assert rep.files[1].error is None and rep.files[1].positions_stored > 0
    assert rep.files[1].file_id == 5  # the id it was started under, after 4
    assert count(db, "meta.ingest_in_progress") == 0
    ((n,),) = db.execute("SELECT count(*) FROM core.positions WHERE source_file_id = 4"
                         ).fetchall()
    assert n == 0
