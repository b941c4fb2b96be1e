"""Differential tests: the columnar fast path agrees with the scalar decoder on every frame.

The expected table is built from :func:`hazrisk.jt808.iter_records` (the scalar, table-driven
path): one row per position of every ``ok`` 0x0200 / 0x0704 record, the item columns read
from the record's ``items`` dictionary, the quality columns from
:func:`hazrisk.jt808.quality.location_flags` of that position. Streams are built with the
scalar encoder and then damaged (flipped bytes, truncation, bad escapes, garbage, the 2019
version bit on 2013 frames, encrypted bodies, broken bodies, subpackage groups lost, repeated
or reordered); hex logs are built from such frames.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jt808_testkit import bodies

from hazrisk.jt808 import encode_body, encode_message, encode_subpackages, iter_records
from hazrisk.jt808.columnar import (
    RECV_SCHEMA,
    SCHEMA,
    decode_hexlog,
    decode_positions,
    iter_position_batches,
)
from hazrisk.jt808.errors import QUALITY_FLAGS, EncodeError
from hazrisk.jt808.fields import BEIJING
from hazrisk.jt808.framing import checksum, escape, unescape
from hazrisk.jt808.quality import location_flags

#: column -> (item key, value key) in the scalar body (written out, not derived)
ITEM_VALUES = {
    "mileage_km": ("0x01", "mileage_km"),
    "fuel_l": ("0x02", "fuel_l"),
    "tacho_speed_kmh": ("0x03", "tacho_speed_kmh"),
    "ext_signal_status": ("0x25", "ext_signal_status"),
    "io_status": ("0x2A", "io_status"),
    "rssi": ("0x30", "rssi"),
    "gnss_count": ("0x31", "gnss_count"),
    "adas_alarm_type": ("0x64", "alarm_type"),
    "adas_alarm_level": ("0x64", "level"),
    "dsm_alarm_type": ("0x65", "alarm_type"),
    "dsm_alarm_level": ("0x65", "level"),
}
CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "jt808_frames.jsonl"

# --------------------------------------------------------------------------------------------
# The scalar reference
# --------------------------------------------------------------------------------------------


def _position_row(
    rec: Any, index: int, backfill: bool, pos: dict[str, Any], hexlog: bool = False
) -> dict[str, Any]:
    items = pos.get("items", {})
    row = {
        "offset": rec.offset,
        "msg_id": rec.msg_id,
        "phone": rec.phone,
        "serial": rec.serial,
        "version": 2019 if rec.version == 2019 else 2013,
        "pos_index": index,
        "is_backfill": backfill,
        "reassembled": rec.reassembled_from is not None,
        "alarm": pos["alarm"],
        "status": pos["status"],
        "lat_deg": pos["lat_deg"],
        "lon_deg": pos["lon_deg"],
        "altitude_m": pos["altitude_m"],
        "speed_kmh": pos["speed_kmh"],
        "heading_deg": pos["heading_deg"],
        "device_time": pos["device_time"],
    }
    for column, (item_key, value_key) in ITEM_VALUES.items():
        row[column] = items.get(item_key, {}).get(value_key)
    # written out: bit 0 ADAS (0x64), 1 DSM (0x65), 2 TPMS (0x66), 3 BSD (0x67), any length
    row["safety_items"] = (("0x64" in items) | ("0x65" in items) << 1
                           | ("0x66" in items) << 2 | ("0x67" in items) << 3)
    flags = location_flags(pos)
    for flag in QUALITY_FLAGS:
        row[f"q_{flag}"] = flag in flags
    if hexlog:
        row["recv_time"] = rec.recv_time
    return row


def scalar_rows(data: bytes, fmt: str = "raw") -> list[dict[str, Any]]:
    """Every position of every ok 0x0200 / 0x0704 record, as the columnar rows should be."""
    rows = []
    hexlog = fmt == "hexlog"
    for rec in iter_records(data, fmt=fmt):
        if rec.status != "ok" or rec.body is None or "raw_hex" in rec.body:
            continue
        if rec.msg_id == 0x0200:
            rows.append(_position_row(rec, 0, False, rec.body, hexlog))
        elif rec.msg_id == 0x0704:
            backfill = rec.body["batch_type"] == 1
            for i, pos in enumerate(rec.body["positions"]):
                rows.append(_position_row(rec, i, backfill, pos, hexlog))
    return rows


def assert_same(table: pa.Table, expected: list[dict[str, Any]], schema: pa.Schema = SCHEMA) -> None:
    assert table.schema.equals(schema), table.schema
    got = table.to_pylist()
    assert len(got) == len(expected), (
        f"{len(got)} rows, scalar has {len(expected)}: "
        f"columnar offsets {[r['offset'] for r in got][:20]}, "
        f"scalar {[r['offset'] for r in expected][:20]}"
    )
    for g, e in zip(got, expected, strict=True):
        for key, value in e.items():
            same = g[key] == value and (value is None or type(g[key]) is type(value))
            if same and isinstance(value, float):  # -0.0 is not 0.0 here
                same = math.copysign(1, g[key]) == math.copysign(1, value)
            assert same, f"offset {e['offset']} pos {e['pos_index']}: {key} = {g[key]!r}, scalar {value!r}"


def check(data: bytes) -> pa.Table:
    table = decode_positions(data)
    assert_same(table, scalar_rows(data))
    return table


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

T0 = datetime(2026, 10, 1, 8, 0, 0, tzinfo=BEIJING)
#: item id -> lengths the table knows (some frames use others on purpose)
ITEM_LENGTHS = {
    0x01: (4,), 0x02: (2,), 0x03: (2,), 0x25: (4,), 0x2A: (2,), 0x30: (1,), 0x31: (1,),
    0x11: (1, 5), 0x2B: (4, 8), 0x64: (47, 63, 69, 70, 71), 0x65: (47, 63, 69, 70, 71),
    0x66: (41,), 0x67: (47,), 0x14: (4,), 0xE1: (3,),
}


def _hex(data: bytes) -> dict[str, str]:
    return {"raw_hex": data.hex()}


@st.composite
def items_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Additional items as raw bytes under hex keys (so any length and content can occur)."""
    out: dict[str, Any] = {}
    for _ in range(draw(st.integers(0, 6))):
        item_id = draw(st.sampled_from(sorted(ITEM_LENGTHS)))
        length = draw(st.one_of(st.sampled_from(ITEM_LENGTHS[item_id]), st.integers(0, 9)))
        value = draw(st.binary(min_size=length, max_size=length))
        key = f"0x{item_id:02X}"
        n = 2
        while key in out:
            key, n = f"0x{item_id:02X}#{n}", n + 1
        out[key] = _hex(value)
    return out


bcd_digits = st.integers(0, 99).map(lambda v: f"{v:02d}")
device_times = st.one_of(
    st.integers(0, 400 * 86400).map(lambda s: {"device_time": T0 + timedelta(seconds=s)}),
    st.binary(min_size=6, max_size=6).map(lambda b: {"device_time": None, "device_time_bcd": b.hex()}),
    st.lists(bcd_digits, min_size=6, max_size=6).map(
        lambda d: {"device_time": None, "device_time_bcd": "".join(d)}
    ),
    # almost real: the 29th-31st of any month, hour 24, minute or second 60
    st.tuples(st.integers(0, 99), st.integers(1, 12), st.integers(28, 31), st.integers(22, 24),
              st.integers(58, 60), st.integers(58, 60)).map(
        lambda t: {"device_time": None, "device_time_bcd": "".join(f"{v:02d}" for v in t)}
    ),
)


@st.composite
def raw_location_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """0x0200 bodies: any alarm/status word (S/W bits too), unsigned lat/lon of any size,
    altitudes and speeds beyond the plausible ranges, valid and invalid BCD times, items."""
    lat = draw(st.one_of(st.integers(0, 0xFFFFFFFF), st.integers(3_000_000, 54_000_000)))
    lon = draw(st.one_of(st.integers(0, 0xFFFFFFFF), st.integers(73_000_000, 136_000_000)))
    body = {
        "alarm": draw(st.integers(0, 0xFFFFFFFF)),
        "status": draw(st.integers(0, 0xFFFFFFFF)),
        "lat_deg": lat / 1_000_000,
        "lon_deg": lon / 1_000_000,
        "altitude_m": draw(st.integers(-32768, 32767)),
        "speed_kmh": draw(st.integers(0, 0xFFFF)) / 10,
        "heading_deg": draw(st.integers(0, 0xFFFF)),
        "items": draw(items_dicts()),
    }
    body.update(draw(device_times))
    return body


def location_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """Our bodies (raw items of any length) or the codec's table-driven ones (structured items)."""
    return st.one_of(raw_location_bodies(), raw_location_bodies(), bodies(0x0200, 2013))


phones = st.integers(0, 10**12 - 1).map(lambda v: f"{v:012d}")
phones19 = st.integers(0, 10**20 - 1).map(lambda v: f"{v:020d}")


def reframe(frame: bytes, edit: Any) -> bytes:
    """Unescape a frame's content, edit it, fix the check code, escape it again."""
    content = bytearray(unescape(frame[1:-1])[:-1])
    edit(content)
    return b"\x7e" + escape(bytes(content) + bytes([checksum(bytes(content))])) + b"\x7e"


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """One frame (or garbage), valid or damaged."""
    try:
        return _frame(draw)
    except EncodeError:  # e.g. a batch longer than 1023 bytes
        assume(False)
        raise


def _frame(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(
        ["loc", "loc", "loc", "batch", "batch", "heartbeat", "loc19", "raw_body", "garbage", "sub"]
    ))
    serial = draw(st.integers(0, 0xFFFF))
    if kind == "garbage":
        return draw(st.binary(max_size=30).map(lambda b: b.replace(b"\x00", b"\x7e")))
    if kind == "sub":  # a subpackage group: some fragments lost, repeated or reordered
        msg = draw(st.sampled_from([0x0200, 0x0704]))
        body = draw(location_bodies()) if msg == 0x0200 else {
            "batch_type": 1, "positions": draw(st.lists(location_bodies(), min_size=1, max_size=3))
        }
        parts = encode_subpackages(msg, body, phone=draw(st.sampled_from(["13800000000", "13900000000"])),
                                   serial=serial, max_body=draw(st.integers(8, 60)))
        parts = draw(st.lists(st.sampled_from(parts), min_size=1, max_size=len(parts) + 1)) \
            if draw(st.booleans()) else parts
        return b"".join(parts)
    if kind == "heartbeat":
        frame = encode_message(0x0002, {}, phone=draw(phones), serial=serial)
    elif kind == "loc":
        frame = encode_message(0x0200, draw(location_bodies()), phone=draw(phones), serial=serial)
    elif kind == "loc19":
        frame = encode_message(
            0x0200, draw(location_bodies()), phone=draw(phones19), serial=serial, version=2019
        )
    elif kind == "batch":
        body = draw(st.one_of(
            st.fixed_dictionaries({
                "batch_type": st.sampled_from([0, 1, 2]),
                "positions": st.lists(location_bodies(), max_size=4),
            }),
            bodies(0x0704, 2013),
        ))
        frame = encode_message(0x0704, body, phone=draw(phones), serial=serial)
    else:  # a consistent frame whose body is broken (short, item overrun, odd batch)
        msg = draw(st.sampled_from([0x0200, 0x0704]))
        how = draw(st.sampled_from(["random", "tail", "count"]))
        if how == "random":
            raw = draw(st.binary(max_size=60))
        elif msg == 0x0200:  # a good block and items, then leftovers (1 byte, or a cut item)
            raw = encode_body(0x0200, draw(location_bodies())) + draw(st.binary(min_size=1, max_size=4))
        else:
            batch = {"batch_type": 1, "positions": draw(st.lists(location_bodies(), min_size=1, max_size=3))}
            raw = encode_body(0x0704, batch)
            if how == "tail":  # bytes after the last position
                raw += draw(st.binary(min_size=1, max_size=4))
            else:  # a count that disagrees with the positions
                count = len(batch["positions"]) + draw(st.sampled_from([-1, 1]))
                raw = count.to_bytes(2, "big") + raw[2:]
        frame = encode_message(msg, _hex(raw), phone=draw(phones), serial=serial)
    damage = draw(st.sampled_from(
        ["none"] * 6
        + ["flip", "truncate", "bad_escape", "v2019_bit", "drop_flag", "double_flag", "encrypt"]
    ))
    if damage == "flip":
        i = draw(st.integers(0, len(frame) - 1))
        frame = frame[:i] + bytes([frame[i] ^ draw(st.integers(1, 255))]) + frame[i + 1 :]
    elif damage == "truncate":
        frame = frame[: draw(st.integers(1, len(frame) - 1))]
    elif damage == "bad_escape":
        i = draw(st.integers(1, len(frame) - 1))
        frame = frame[:i] + b"\x7d" + bytes([draw(st.sampled_from([0, 3, 0x7D, 0x7E]))]) + frame[i:]
    elif damage == "v2019_bit":  # 2013 layout with the 2019 flag (the fallback), check code fixed
        frame = reframe(frame, lambda c: c.__setitem__(2, c[2] | 0x40))
    elif damage == "encrypt":  # RSA flag: the scalar keeps the body raw (no positions)
        frame = reframe(frame, lambda c: c.__setitem__(2, c[2] | 0x04))
    elif damage == "drop_flag":
        frame = frame[1:] if draw(st.booleans()) else frame[:-1]
    elif damage == "double_flag":
        frame = b"\x7e" + frame
    return frame


streams = st.lists(frames(), min_size=1, max_size=12).map(b"".join)

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(streams)
def test_differential_random_streams(data: bytes) -> None:
    check(data)


def typical_frame(rng: random.Random, i: int) -> bytes:
    """A 0x0200 with the usual items (the layout templates of the fast path see these)."""
    items = {
        "0x01": {"mileage_km": rng.randrange(10**7) / 10},
        "0x02": {"fuel_l": rng.randrange(6000) / 10},
        "0x03": {"tacho_speed_kmh": rng.randrange(1200) / 10},
        "0x25": {"ext_signal_status": rng.randrange(4)},
        "0x2A": {"io_status": 0},
        "0x30": {"rssi": rng.randrange(32)},
        "0x31": {"gnss_count": rng.randrange(30)},
    }
    r = rng.random()
    if r < 0.1:
        items["0x65"] = _hex(bytes(rng.randrange(256) for _ in range(47)))
    elif r < 0.13:  # ADAS, or TPMS / BSD alone (no column of their own but ``safety_items``)
        key = ("0x64", "0x66", "0x67")[min(int((r - 0.1) * 100), 2)]
        items[key] = _hex(bytes(rng.randrange(256) for _ in range(47)))
    elif r < 0.2:  # repeated ids: the first one is the column's value
        items["0x01#2"] = {"mileage_km": rng.randrange(10**7) / 10}
        items["0x30#2"] = _hex(b"\x01\x02")
    elif r < 0.25:
        items["0x02"] = _hex(b"\x01\x02\x03")  # a length the table does not know
    body = {
        "alarm": 0, "status": rng.choice((3, 3, 3, 7, 11, 15)),
        "lat_deg": (0 if rng.random() < 0.1 else rng.randrange(60_000_000)) / 1e6, "lon_deg": rng.randrange(60_000_000, 140_000_000) / 1e6,
        "altitude_m": rng.randrange(-300, 7000), "speed_kmh": rng.randrange(2000) / 10,
        "heading_deg": rng.randrange(400), "device_time": T0 + timedelta(seconds=rng.randrange(10**7)),
        "items": items,
    }
    return encode_message(0x0200, body, phone=f"{rng.randrange(10**12):012d}", serial=i & 0xFFFF,
                          version=2019 if rng.random() < 0.05 else 2013)


def simulated_stream(seed: int, n: int, extra: list[bytes], damage: bool = True) -> bytes:
    """``n`` typical frames with ``extra`` (arbitrary frames) mixed in, some damaged."""
    rng = random.Random(seed)
    parts = []
    for i in range(n):
        frame = typical_frame(rng, i)
        r = rng.random() if damage else 1.0
        if r < 0.01:
            j = rng.randrange(len(frame))
            frame = frame[:j] + bytes([frame[j] ^ (1 + rng.randrange(255))]) + frame[j + 1 :]
        elif r < 0.02:
            frame = frame[: rng.randrange(1, len(frame))]
        elif r < 0.03:
            frame += bytes(rng.randrange(256) for _ in range(rng.randrange(20)))
        parts.append(frame)
        if extra and rng.random() < 0.05:
            parts.append(rng.choice(extra))
    return b"".join(parts)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(frames(), min_size=10, max_size=10), st.integers(0, 2**32 - 1))
def test_differential_simulated_stream(extra: list[bytes], seed: int) -> None:
    """Large enough for the layout templates (and the general walk for the rest)."""
    check(simulated_stream(seed, 1500, extra))


def test_subpackaged_positions_are_reassembled() -> None:
    rng = random.Random(3)
    positions = [
        {"alarm": 0, "status": 3, "lat_deg": 30.1 + i / 1000, "lon_deg": 120.2, "altitude_m": 10,
         "speed_kmh": 50.0, "heading_deg": 90, "device_time": T0 + timedelta(seconds=i),
         "items": {"0x01": {"mileage_km": 100.0 + i}}}
        for i in range(40)
    ]
    parts = encode_subpackages(0x0704, {"batch_type": 1, "positions": positions},
                               phone="013912345678", serial=100, max_body=300)
    loc = encode_subpackages(0x0200, positions[0], phone="013912345679", serial=7, max_body=20)
    data = b"".join([typical_frame(rng, 0), *parts[:2], typical_frame(rng, 1), *parts[2:],
                     *loc, typical_frame(rng, 2)])
    table = check(data)
    assert table.num_rows == 3 + 40 + 1


def test_streaming_matches_one_shot(tmp_path: Path) -> None:
    extra = [encode_message(0x0704, {"batch_type": 1, "positions": [
        {"alarm": 0, "status": 3, "lat_deg": 30.0, "lon_deg": 120.0, "altitude_m": 1,
         "speed_kmh": 1.0, "heading_deg": 1, "device_time": T0, "items": {}}] * 3},
        phone="013900000000", serial=1)]
    data = simulated_stream(5, 400, extra) + b"\x7e\x02\x00"  # ends inside a frame
    one = decode_positions(data)
    assert one.num_rows > 350
    path = tmp_path / "dump.bin"
    path.write_bytes(data)
    gz = tmp_path / "dump.bin.gz"
    gz.write_bytes(gzip.compress(data))
    small = tmp_path / "small.bin"  # byte by byte only on a prefix (slow otherwise)
    small.write_bytes(data[:1500])
    got = pa.concat_tables(iter_position_batches(small, chunk_bytes=1, fmt="raw"))
    assert got.equals(decode_positions(data[:1500]))
    for chunk in (61, 777, 4096, 5000, len(data) // 2, len(data), 1 << 20):
        tables = list(iter_position_batches(path, chunk_bytes=chunk))
        assert pa.concat_tables(tables).equals(one), chunk
    tables = list(iter_position_batches(gz, chunk_bytes=3000))
    assert pa.concat_tables(tables).equals(one)


def test_frame_straddling_chunk_boundary(tmp_path: Path) -> None:
    rng = random.Random(2)
    a, b, c = (typical_frame(rng, i) for i in range(3))
    data = a + b + c
    path = tmp_path / "three.bin"
    path.write_bytes(data)
    cut = len(a) + len(b) // 2  # the first chunk ends in the middle of frame b
    tables = list(iter_position_batches(path, chunk_bytes=cut))
    assert tables[0].num_rows == 1  # b is carried into the next chunk, not lost or split
    assert sum(t.num_rows for t in tables) == 3
    got = pa.concat_tables(tables)
    assert got.column("offset").to_pylist() == [0, len(a), len(a) + len(b)]
    assert got.equals(check(data))


@pytest.mark.parametrize("data", [b"", b"\x7e", b"\x7e\x7e", b"\x7d", b"garbage", bytes(5000)])
def test_empty_and_frameless_input(data: bytes, tmp_path: Path) -> None:
    table = check(data)
    assert table.num_rows == 0 and table.schema.equals(SCHEMA)
    path = tmp_path / "x.bin"
    path.write_bytes(data)
    assert list(iter_position_batches(path)) == []


def test_recv_times_and_base_offset() -> None:
    rng = random.Random(4)
    a, b = typical_frame(rng, 0), typical_frame(rng, 1)
    t = np.array(["2026-10-01T00:00:01", "NaT"], "datetime64[us]")
    table = decode_positions(a + b, recv_times=([0, len(a)], t), base_offset=1000)
    assert table.column("offset").to_pylist() == [1000, 1000 + len(a)]
    recv = table.column("recv_time").to_pylist()
    assert recv[0] == datetime(2026, 10, 1, 8, 0, 1, tzinfo=BEIJING) and recv[1] is None


def test_schema_is_documented() -> None:
    import hazrisk.jt808.columnar as columnar

    doc = columnar.__doc__ or ""
    for name in SCHEMA.names:
        assert f"``{name}``" in doc, name
    assert SCHEMA.field("device_time").type == pa.timestamp("us", tz="Asia/Shanghai")


@st.composite
def hexlog_lines(draw: st.DrawFn) -> bytes:
    """One gateway log line: time (or none), direction (or none), frames in hex."""
    payload = b"".join(draw(st.lists(frames(), min_size=1, max_size=3)))
    hexed = payload.hex().upper() if draw(st.booleans()) else payload.hex()
    if draw(st.integers(0, 9)) == 0:  # spaced hex pairs
        hexed = " ".join(hexed[i : i + 2] for i in range(0, len(hexed), 2))
    ts = draw(st.sampled_from(["", "2026-10-01 08:00:01.123 ", "2026-10-01T08:00:02 ",
                               "2026-10-01 08:00:03.5+08:00 ", "2026-02-30 08:00:04 "]))
    direction = draw(st.sampled_from(["", "RECV ", "SEND ", "recv: "]))
    line = f"{ts}{direction}{hexed}"
    if draw(st.integers(0, 19)) == 0:
        line = "# not a frame line " + line
    return (line + draw(st.sampled_from(["\n", "\r\n", "  \n"]))).encode()


@settings(SETTINGS, max_examples=50)
@given(st.lists(hexlog_lines(), min_size=1, max_size=8).map(b"".join))
def test_differential_hexlog(text: bytes) -> None:
    table = decode_hexlog(text)
    assert_same(table, scalar_rows(text, "hexlog"), RECV_SCHEMA)


def test_hexlog_offsets_of_later_frames_on_a_line() -> None:
    """Frames after the first span of a line start at their first hex pair (spaced or not)."""
    rng = random.Random(9)
    a, b, c = (typical_frame(rng, i).hex() for i in range(3))
    spaced = " ".join(b[i : i + 2] for i in range(0, len(b), 2))
    text = (
        f"2026-10-01 08:00:00 RECV {a}{c}\n"  # two frames: the second at its hex position
        f"2026-10-01 08:00:01 RECV 0102{a}\n"  # garbage first: the frame at its hex position
        f"RECV 00 11 {spaced} {spaced}\n"  # spaced pairs
        f"{a}"  # last line without newline
    ).encode()
    table = decode_hexlog(text)
    assert_same(table, scalar_rows(text, "hexlog"), RECV_SCHEMA)
    assert table.num_rows == 6


def test_hexlog_streaming_matches_one_shot(tmp_path: Path) -> None:
    rng = random.Random(8)
    lines = []
    for i in range(300):
        frame = typical_frame(rng, i)
        if rng.random() < 0.05:
            frame = frame[: rng.randrange(1, len(frame))]
        lines.append(f"2026-10-01 08:{i // 60:02d}:{i % 60:02d}.{i:03d} RECV {frame.hex().upper()}\n")
    parts = encode_subpackages(0x0704, {"batch_type": 1, "positions": [
        {"alarm": 0, "status": 3, "lat_deg": 30.0, "lon_deg": 120.0, "altitude_m": 1,
         "speed_kmh": 1.0, "heading_deg": 1, "device_time": T0, "items": {}}] * 20},
        phone="013900000000", serial=1, max_body=200)
    lines[100:100] = [f"2026-10-01 09:00:0{i}.000 RECV {p.hex()}\n" for i, p in enumerate(parts)]
    text = "".join(lines).encode()
    one = decode_hexlog(text)
    assert_same(one, scalar_rows(text, "hexlog"), RECV_SCHEMA)
    assert one.num_rows > 280
    path = tmp_path / "gw.log"
    path.write_bytes(text)
    gz = tmp_path / "gw.log.gz"
    gz.write_bytes(gzip.compress(text))
    for source, chunk in ((path, 1000), (path, 7777), (gz, 5000), (gz, 1 << 20)):
        got = pa.concat_tables(iter_position_batches(source, chunk_bytes=chunk))
        assert got.equals(one), (source, chunk)


SAMPLE_DUMPS = Path(__file__).resolve().parents[2] / "data" / "sample" / "dumps"


@pytest.mark.parametrize("pattern", ["*.bin", "*.log.gz"])
def test_simulated_sample_dumps_agree(pattern: str) -> None:
    """The simulator's dumps (the smallest of a kind), streamed, agree with the scalar path."""
    files = sorted(SAMPLE_DUMPS.glob(f"*/{pattern}"), key=lambda p: p.stat().st_size)
    assert files, f"no {pattern} in data/sample (run `make sample`)"
    path = files[0]
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    hexlog = pattern.startswith("*.log")
    tables = list(iter_position_batches(path, chunk_bytes=1 << 16))
    table = pa.concat_tables(tables) if tables else (RECV_SCHEMA if hexlog else SCHEMA).empty_table()
    assert_same(table, scalar_rows(data, "hexlog" if hexlog else "raw"), RECV_SCHEMA if hexlog else SCHEMA)


@pytest.mark.skipif(not CONFORMANCE.exists(), reason="../shared/conformance not present")
def test_conformance_frames_agree() -> None:
    frames_hex = [json.loads(line).get("frame_hex") for line in CONFORMANCE.read_text().splitlines()]
    data = b"".join(bytes.fromhex(h) for h in frames_hex if h)
    check(data)
    for h in frames_hex:
        if h:
            check(bytes.fromhex(h))
