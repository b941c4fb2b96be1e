"""Hex-log receive times with an explicit zone reach the warehouse unchanged, on the
vectorised heartbeat path as on the scalar reader (a zone must never be overwritten)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hazrisk.jt808 import encode_message, iter_records
from hazrisk.store.connect import connect
from hazrisk.store.ingest import ingest_paths


def test_zoned_receive_times_survive_ingest(tmp_path: Path) -> None:
    lines = []
    for i, ts in enumerate(["2026-10-01 00:30:00.250+00:00", "2026-10-01 08:30:01",
                            "2026-10-01T09:00:02Z"]):
        frame = encode_message(0x0002, {}, phone="013900000001", serial=i)
        lines.append(f"{ts} RECV {frame.hex().upper()}\n")
    path = tmp_path / "gw.log"
    path.write_text("".join(lines))
    expected = sorted(r.recv_time for r in iter_records(path) if r.msg_id == 0x0002)
    assert expected[0] == datetime(2026, 10, 1, 0, 30, 0, 250000, tzinfo=UTC)
    con = connect(tmp_path / "w.duckdb")
    ingest_paths(con, [path])
    got = sorted(r[0] for r in con.execute(
        "SELECT recv_time FROM core.heartbeats ORDER BY recv_time").fetchall())
    con.close()
    assert got == expected
