"""The active-safety items of a chunk's positions (``decode_worker._items``, fast-path rows by
:func:`hazrisk.jt808.safety_items.chunk_safety_items`) against the codec's decoding of the
whole frames (the oracle: what the worker did before), on the sample dumps and on hand-built
streams: repeated ids, truncated items, items of no layout, every alarm-identification
variant, 0x0704 batches, escapes, 2019 headers, subpackaged messages, hex logs."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from store_testkit import PHONE_B, T0, Stream, adas_item, bsd_item, loc, tpms_item

from hazrisk.jt808 import decode_frame, encode_message
from hazrisk.jt808.columnar import SAFETY_ITEM_IDS
from hazrisk.jt808.reader import DecodedChunk, iter_chunks
from hazrisk.jt808.safety_items import chunk_safety_items
from hazrisk.store import decode_worker
from hazrisk.store.positions import safety_bits
from hazrisk.store.sources import open_stream

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "dumps"
Items = dict[tuple[int, int], dict[int, dict[str, Any]]]


def _scalar_items(chunk: DecodedChunk) -> Items:
    """The oracle: every position with safety bits, its frame decoded again by the codec (the
    records' own bodies for the codec's rows), the first occurrence of each 0x64-0x67."""
    table = chunk.positions
    if table is None or not table.num_rows:
        return {}
    rows = pa.array(np.flatnonzero(safety_bits(table)))
    wanted = list(zip(table.column("offset").take(rows).to_pylist(),
                      table.column("pos_index").take(rows).to_pylist(), strict=True))
    by_offset = {r.offset: r for r in chunk.records if r.status == "ok"
                 and r.msg_id in (0x0200, 0x0704)
                 and (r.subpackage is None or r.reassembled_from is not None)}
    out: Items = {}
    for off, idx in wanted:
        rec = by_offset.get(off)
        if rec is None:
            frame = chunk.frame_at(off)
            rec = decode_frame(frame, offset=off) if frame else None
        if rec is None or rec.status != "ok":
            continue
        body = rec.body or {}
        fixes = [body] if rec.msg_id == 0x0200 else body.get("positions") or []
        items = fixes[idx].get("items") or {}
        got = {int(k, 16): v for k, v in items.items() if "#" not in k
               and int(k, 16) in SAFETY_ITEM_IDS}
        if got:
            out[(off, idx)] = got
    return out


def _chunks(data: bytes, fmt: str, chunk_bytes: int) -> list[DecodedChunk]:
    return list(iter_chunks(io.BytesIO(data), fmt=fmt, chunk_bytes=chunk_bytes))


def _compare(chunks: list[DecodedChunk]) -> tuple[int, int]:
    """Assert the worker's items equal the oracle's in every chunk; (positions with items,
    of which fast-path rows)."""
    n = fast = 0
    for chunk in chunks:
        expected = _scalar_items(chunk)
        assert decode_worker._items(chunk) == expected
        rec_offsets = {r.offset for r in chunk.records}
        n += len(expected)
        fast += sum(off not in rec_offsets for off, _ in expected)
    return n, fast


def test_sample_dumps() -> None:
    total = 0
    for path in sorted(SAMPLE.glob("P*/*")):
        stream, _ = open_stream(path)
        with stream:
            data = stream.read()
        fmt = "raw" if path.suffix == ".bin" else "hexlog"
        n, fast = _compare(_chunks(data, fmt, 30 << 20))
        assert n == fast, path  # the sample's alarms are all fast-path rows
        assert _compare(_chunks(data, fmt, 40_000)) == (n, fast)  # chunk edges change nothing
        total += n
    assert total == 53  # the sample's active-safety alarms (ADAS and DSM)


def _ident(item: dict[str, Any], ident_len: int) -> dict[str, Any]:
    """``item`` with the alarm-identification block of another length (T/JSATL12 variants)."""
    tid = {16: "T000001", 32: "T" * 23, 38: "X" * 30, 39: "Y" * 29, 40: "粤Z" * 10}[ident_len]
    out = {**item, "terminal_id": tid, "ident_len": ident_len}
    if ident_len == 38:
        out.pop("reserved", None)
    else:
        out["reserved"] = 0 if ident_len != 40 else 0x7E7D  # escapes in the reserved bytes
    return out


def _hand_built() -> Stream:
    s = Stream()
    t = [T0 + timedelta(minutes=k) for k in range(12)]
    dsm = {**adas_item(t[0]), "alarm_id": 0x7E7D7E7D}  # escaped bytes in the item
    dsm = {k: v for k, v in dsm.items() if k not in (
        "front_speed_kmh", "front_distance_100ms", "deviation_type", "road_sign_type",
        "road_sign_value")}
    dsm.update(fatigue_level=3, dsm_reserved=0)
    s.msg(0x0200, loc(t[0], items={"0x01": {"mileage_km": 5.0}, "0x65": dsm,
                                   "0x30": {"rssi": 9}}))
    # a repeated id: the first occurrence counts
    s.msg(0x0200, loc(t[1], items={"0x64": adas_item(t[1], alarm_type=1),
                                   "0x64#2": adas_item(t[1], alarm_type=5),
                                   "0x67": bsd_item(t[1])}))
    # an item of no layout (kept as raw_hex), a TPMS with two events, on a 2019 header
    tp = tpms_item(t[2])
    tp["events"] = tp["events"] * 2
    s.msg(0x0200, loc(t[2], items={"0x67": {"raw_hex": "0102030405"}, "0x66": tp}),
          version=2019)
    # every alarm-identification variant
    for k, n in enumerate((16, 32, 38, 39, 40)):
        s.msg(0x0200, loc(t[3] + timedelta(seconds=k), items={
            "0x64": _ident(adas_item(t[3]), n), "0x67": _ident(bsd_item(t[3]), n)}),
            phone=PHONE_B)
    # a batch: items in its 2nd and 3rd positions only; a backfill on a 2019 header
    s.msg(0x0704, {"batch_type": 1, "positions": [
        loc(t[4]), loc(t[5], items={"0x66": tpms_item(t[5])}),
        loc(t[6], items={"0x65": {"raw_hex": "00"}, "0x64": adas_item(t[6])})]})
    s.msg(0x0704, {"batch_type": 0, "positions": [
        loc(t[7], items={"0x67": bsd_item(t[7], alarm_id=77)})]}, version=2019)
    # a subpackaged batch (reassembled: the codec's rows)
    s.subpackages(0x0704, {"batch_type": 1, "positions": [
        loc(t[8] + timedelta(seconds=k), items={"0x64": adas_item(t[8], alarm_type=k + 1)})
        for k in range(6)]}, max_body=300)
    # truncated items: the frame is rejected, no positions (and no items)
    bad = encode_message(0x0200, loc(t[9], items={"0x64": adas_item(t[9])}), phone=PHONE_B,
                         serial=900)
    s.raw(_truncated_item(bad))
    s.msg(0x0200, loc(t[10], items={"0x64": adas_item(t[10])}))
    return s


def _truncated_item(frame: bytes) -> bytes:
    """``frame`` with its last item declaring one byte more than it holds (check code fixed),
    which the codec rejects as ``item_overrun``."""
    content = bytearray(frame[1:-2])  # no escapes in this frame
    assert 0x7D not in content and 0x7E not in content
    body_at = 12
    p = body_at + 28
    last = p
    while p < len(content):
        last = p
        p += 2 + content[p + 1]
    content[last + 1] += 1
    x = 0
    for b in content:
        x ^= b
    return b"\x7e" + bytes(content) + bytes([x]) + b"\x7e"


@pytest.mark.parametrize("fmt", ["raw", "hexlog"])
def test_hand_built(fmt: str) -> None:
    s = _hand_built()
    data = s.raw_bytes() if fmt == "raw" else s.hexlog()
    chunks = _chunks(data, fmt, 30 << 20)
    n, fast = _compare(chunks)
    assert (n, fast) == (18, 12)  # 12 fast-path positions, 6 reassembled ones
    got: Items = {}
    for chunk in chunks:
        got.update(decode_worker._items(chunk))
    firsts = sorted(got.items())
    assert firsts[1][1][0x64]["alarm_type"] == 1  # the first 0x64, not the repeated one
    assert firsts[0][1][0x65]["alarm_id"] == 0x7E7D7E7D
    assert firsts[2][1][0x67] == {"raw_hex": "0102030405"}
    assert len(firsts[2][1][0x66]["events"]) == 2
    assert {v[0x64]["ident_len"] for _, v in firsts[3:8]} == {16, 32, 38, 39, 40}
    for chunk in _chunks(data, fmt, 700):  # small chunks: frames on every kind of edge
        assert decode_worker._items(chunk) == _scalar_items(chunk)


def test_positions_not_asked_and_frames_not_found() -> None:
    s = Stream()
    s.msg(0x0200, loc(items={"0x64": adas_item()}))
    s.msg(0x0200, loc(items={"0x64": adas_item()}))
    (chunk,) = _chunks(s.raw_bytes(), "raw", 1 << 20)
    offsets = chunk.positions.column("offset").to_pylist()
    assert chunk_safety_items(chunk, []) == {}
    assert chunk_safety_items(chunk, [(offsets[1], 1)]) == {}  # no second position there
    assert chunk_safety_items(chunk, [(offsets[0] + 1, 0)]) == {}  # not a frame's start
    assert chunk_safety_items(chunk, [(10**9, 0)]) == {}  # outside the chunk
    assert list(chunk_safety_items(chunk, [(offsets[1], 0)])) == [(offsets[1], 0)]
