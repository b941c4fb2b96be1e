"""Active-safety items 0x66 (TPMS) and 0x67 (BSD) alone on a position: the columnar fast path
has no columns for them, only its ``safety_items`` bitmask; each still gets its
``core.safety_events`` row, as many as the codec's scalar decode of the stream has items."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from store_testkit import PHONE_B, T0, Stream, adas_item, bsd_item, loc, tpms_item

from hazrisk.jt808 import iter_records
from hazrisk.jt808.columnar import decode_positions
from hazrisk.store.ingest import ingest_paths

SYSTEMS = {0x64: "adas", 0x65: "dsm", 0x66: "tpms", 0x67: "bsd"}
Event = tuple[int, str, Any, Any]


def _items(key: str, item: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"0x01": {"mileage_km": 1000.0}, key: item, **(extra or {})}


def safety_stream() -> Stream:
    """Positions whose only active-safety item is a TPMS or a BSD one: plain 0x0200 (2013 and
    2019), inside a 0x0704 batch, inside a subpackaged batch (codec path), both on one, and
    one BSD item of a length the codec's table does not know (kept as raw hex)."""
    s = Stream()
    t = [T0 + timedelta(seconds=10 * i) for i in range(12)]
    s.msg(0x0200, loc(t[0], items=_items("0x66", tpms_item(t[0], alarm_id=101))))
    s.msg(0x0200, loc(t[1], items=_items("0x67", bsd_item(t[1], alarm_id=102, alarm_type=3))))
    s.msg(0x0200, loc(t[2], 30.2, items=_items("0x67", bsd_item(t[2], alarm_id=103))),
          PHONE_B, version=2019)
    s.msg(0x0200, loc(t[3]))  # nothing
    s.msg(0x0704, {"batch_type": 0, "positions": [
        loc(t[4], items=_items("0x66", tpms_item(t[4], alarm_id=104))),
        loc(t[5]),
        loc(t[6], items=_items("0x67", bsd_item(t[6], alarm_id=105, alarm_type=2))),
    ]})
    s.msg(0x0200, loc(t[7], items=_items("0x66", tpms_item(t[7], alarm_id=106),
                                         {"0x67": bsd_item(t[7], alarm_id=107)})))
    s.msg(0x0200, loc(t[8], items=_items("0x67", {"raw_hex": "0102030405"})))
    s.msg(0x0200, loc(t[9], items=_items("0x64", adas_item(t[9]))))  # ADAS still as before
    s.subpackages(0x0704, {"batch_type": 1, "positions": [
        loc(t[10] - timedelta(hours=1), items=_items("0x66", tpms_item(t[10], alarm_id=108))),
        loc(t[11] - timedelta(hours=1), items=_items("0x67", bsd_item(t[11], alarm_id=109))),
    ]}, max_body=120)
    return s


def scalar_events(path: Path) -> list[Event]:
    """(item id, system, alarm id, alarm type) of every active-safety item the codec decodes."""
    out: list[Event] = []
    for rec in iter_records(path):
        if rec.status != "ok" or rec.msg_id not in (0x0200, 0x0704) or rec.body is None:
            continue
        if rec.subpackage is not None and rec.reassembled_from is None:
            continue
        body = rec.body
        for pos in [body] if rec.msg_id == 0x0200 else body.get("positions", []):
            for key, item in (pos.get("items") or {}).items():
                if "#" not in key and int(key, 16) in SYSTEMS:
                    out.append((int(key, 16), SYSTEMS[int(key, 16)], item.get("alarm_id"),
                                item.get("alarm_type")))
    return sorted(out, key=repr)


def stored_events(db: duckdb.DuckDBPyConnection) -> list[Event]:
    rows = db.execute("SELECT item_id, system, alarm_id, alarm_type FROM core.safety_events"
                      ).fetchall()
    return sorted(rows, key=repr)


def test_fast_path_flags_tpms_and_bsd() -> None:
    s = Stream()
    s.msg(0x0200, loc(items=_items("0x66", tpms_item())))
    s.msg(0x0200, loc(items=_items("0x67", bsd_item())))
    s.msg(0x0200, loc(items=_items("0x64", adas_item(), {"0x67": bsd_item()})))
    s.msg(0x0200, loc())
    table = decode_positions(s.raw_bytes())
    assert table.column("safety_items").to_pylist() == [0b0100, 0b1000, 0b1001, 0]
    assert table.column("adas_alarm_type").to_pylist() == [None, None, 2, None]
    assert table.column("reassembled").to_pylist() == [False] * 4


@pytest.mark.parametrize("fmt", ["raw", "hexlog"])
@pytest.mark.parametrize("chunk", [200, 1 << 20])
def test_tpms_and_bsd_alone_are_recorded(db: duckdb.DuckDBPyConnection, tmp_path: Path,
                                         fmt: str, chunk: int) -> None:
    path = safety_stream().write(tmp_path / f"s.{'log' if fmt == 'hexlog' else 'bin'}", fmt)
    (f,) = ingest_paths(db, [path], chunk_bytes=chunk).files
    assert f.error is None
    truth = scalar_events(path)
    assert len(truth) == 11  # 4 TPMS, 6 BSD, 1 ADAS
    assert stored_events(db) == truth
    assert f.safety_events == len(truth)
    got = {(a, b, c, d) for a, b, c, d in stored_events(db)}
    # one row per item, with its system, alarm id and (BSD) alarm type; TPMS has none
    for alarm_id in (101, 104, 106, 108):
        assert (0x66, "tpms", alarm_id, None) in got
    for alarm_id, typ in ((102, 3), (103, 1), (105, 2), (107, 1), (109, 1)):
        assert (0x67, "bsd", alarm_id, typ) in got
    assert (0x67, "bsd", None, None) in got  # a length the table does not know: not lost
    assert (0x64, "adas", 7, 2) in got
    # each attaches to its position, whole item kept
    (orphans,) = db.execute("""
        SELECT count(*) FROM core.safety_events e
        LEFT JOIN core.positions p USING (pos_seq) WHERE p.pos_seq IS NULL""").fetchall()[0]
    assert orphans == 0
    (n_json,) = db.execute("SELECT count(*) FROM core.safety_events WHERE item_json IS NOT NULL"
                           ).fetchall()[0]
    assert n_json == len(truth)


def test_duplicate_position_records_its_item_once(db: duckdb.DuckDBPyConnection,
                                                  tmp_path: Path) -> None:
    s = Stream()
    for _ in range(2):
        s.msg(0x0200, loc(items=_items("0x66", tpms_item(alarm_id=5))))
    path = s.write(tmp_path / "d.bin")
    (f,) = ingest_paths(db, [path]).files
    assert f.duplicates == 1
    assert stored_events(db) == [(0x66, "tpms", 5, None)]
