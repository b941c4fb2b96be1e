"""Dump readers as users have them: every hex-log form the README shows decodes and ingests,
a truncated .log.gz keeps what is readable, a frame cut off by the end of a file is
``truncated`` (never garbage), through decode and ingest alike."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from store_testkit import PHONE_A, T0, Stream, loc

from hazrisk.cli import main as hazrisk_main
from hazrisk.jt808 import iter_records
from hazrisk.store.connect import connect
from hazrisk.store.ingest import ingest_paths


def _frames(n: int = 6) -> list[bytes]:
    s = Stream()
    for i in range(n):
        s.msg(0x0200, loc(T0 + timedelta(seconds=30 * i), 30.1 + i * 1e-3))
    s.msg(0x0002, {})
    return [f for f, _, _ in s.items]


def _spaced(h: str) -> str:
    return " ".join(h[i:i + 2] for i in range(0, len(h), 2))


#: (form, line builder, has time, has direction); README and ARCHITECTURE show the first three.
FORMS = [
    ("bracketed", lambda t, h: f"[{t}] [RECV] {h}", True, True),
    ("plain", lambda t, h: f"{t} RECV {h}", True, True),
    ("hex_only", lambda t, h: h, False, False),
    ("bracketed_time_only", lambda t, h: f"[{t}] {h}", True, False),
    ("bracketed_direction_only", lambda t, h: f"[RECV] {h}", False, True),
    ("iso_with_zone", lambda t, h: f"{t.replace(' ', 'T')}+08:00 [RECV] {h}", True, True),
    ("spaced_hex", lambda t, h: f"[{t}] [RECV] {_spaced(h)}", True, True),
    ("crlf", lambda t, h: f"[{t}] [RECV] {h}\r", True, True),
]


@pytest.mark.parametrize("form, build, has_time, has_dir", FORMS, ids=[f[0] for f in FORMS])
def test_every_hex_log_form_decodes_and_ingests(tmp_path: Path, form: str, build: object,
                                                has_time: bool, has_dir: bool) -> None:
    frames = _frames()
    stamps = [T0 + timedelta(seconds=30 * i, milliseconds=200) for i in range(len(frames))]
    text = "".join(build(t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], f.hex().upper()) + "\n"  # type: ignore[operator]
                   for t, f in zip(stamps, frames, strict=True))
    path = tmp_path / "gw" / "2026-10-01.log"
    path.parent.mkdir()
    path.write_text(text, encoding="ascii")
    recs = list(iter_records(path))
    assert [r.status for r in recs] == ["ok"] * len(frames)
    assert sum(r.length for r in recs) == len(text)
    assert [r.recv_time for r in recs] == (stamps if has_time else [None] * len(frames))
    assert {r.direction for r in recs} == ({"RECV"} if has_dir else {None})
    con = connect(":memory:")
    rep = ingest_paths(con, [path])
    assert rep.exit_code == 0 and rep.files[0].format == "hexlog"
    got = con.execute("SELECT recv_time FROM core.positions ORDER BY pos_seq").fetchall()
    assert [t for (t,) in got] == (stamps[:-1] if has_time else [None] * (len(frames) - 1))
    assert con.execute("SELECT count(*) FROM core.heartbeats").fetchall() == [(1,)]
    assert con.execute("SELECT count(*) FROM core.garbage_spans").fetchall() == [(0,)]


def test_truncated_log_gz_keeps_what_is_readable(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    s = Stream()
    for i in range(3000):
        s.msg(0x0200, loc(T0 + timedelta(seconds=i), 30 + (i % 97) * 1e-3))
    packed = gzip.compress(s.hexlog(), mtime=0)
    path = tmp_path / "dumps" / "P01" / "2026-10-01.log.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(packed[: len(packed) // 2])
    decoded = list(iter_records(path))
    ok = sum(r.status == "ok" for r in decoded)
    (broke,) = [r for r in decoded if r.reason == "bad_gzip"]
    assert 0 < ok < 3000
    db = tmp_path / "w.duckdb"
    assert hazrisk_main(["ingest", str(path), "--db", str(db), "--no-progress", "--json"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    (f,) = report["files"]
    rejected = Counter(r.reason for r in decoded if r.status == "rejected")
    assert f["frames_ok"] == ok and f["rejected"] == dict(rejected)
    assert rejected["bad_gzip"] == 1
    assert "truncated gzip" in f["warnings"][0] and "quarantined as bad_gzip" in f["warnings"][0]
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM core.positions").fetchall() == [(ok,)]
    assert con.execute("SELECT source_offset, length FROM core.frames_rejected WHERE reason = "
                       "'bad_gzip'").fetchall() == [(broke.offset, 0)]
    con.close()
    # the human summary says so too
    path2 = path.with_name("2026-10-02.log.gz")
    path2.write_bytes(packed[: len(packed) // 3])
    assert hazrisk_main(["ingest", str(path2), "--db", str(db), "--no-progress"]) == 0
    assert "WARNING" in capsys.readouterr().out


@pytest.mark.parametrize("cut", [1, 10, 30, 40, 45, 49, 50])
def test_frame_cut_off_at_end_of_file_is_truncated(tmp_path: Path, cut: int) -> None:
    frames = _frames(2)[:2]  # two 0x0200 frames of 52 bytes
    data = b"".join(frames)[:-cut]
    recs = list(iter_records(data))
    last = recs[-1]
    assert (last.status, last.reason) == ("rejected", "truncated")
    left = len(frames[1]) - cut  # bytes of the cut frame, its opening flag included
    assert last.offset == len(frames[0]) and last.msg_id == (0x0200 if left >= 3 else None)
    if left >= 11:  # flag + 10 header bytes: the phone arrived
        assert last.phone == "0" + PHONE_A
    path = tmp_path / "cut.bin"
    path.write_bytes(data)
    con = connect(":memory:")
    ingest_paths(con, [path])
    assert con.execute("SELECT source_offset, length, reason, msg_id FROM core.frames_rejected"
                       ).fetchall() == [(last.offset, last.length, "truncated", last.msg_id)]
    assert con.execute("SELECT count(*) FROM core.garbage_spans").fetchall() == [(0,)]


@pytest.mark.parametrize("cut", [1, 2, 21, 60])
def test_hex_log_cut_off_mid_line_is_truncated(tmp_path: Path, cut: int) -> None:
    """The last line of a hex log cut anywhere, even between the two digits of a byte."""
    s = Stream()
    for f in _frames(2)[:2]:
        s.raw(f)
    text = s.hexlog()[: -1 - cut]  # drop the newline and `cut` characters
    recs = list(iter_records(text))
    assert sum(r.length for r in recs) == len(text)
    last = recs[-1]
    assert (last.status, last.reason, last.msg_id) == ("rejected", "truncated", 0x0200)
    path = tmp_path / "cut.log"
    path.write_bytes(text)
    con = connect(":memory:")
    ingest_paths(con, [path])
    assert con.execute("SELECT source_offset, length, reason FROM core.frames_rejected"
                       ).fetchall() == [(last.offset, last.length, "truncated")]
