"""Dump readers: every byte accounted for, frames found, subpackages joined, hex logs, gzip."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jt808_testkit import frame2013

from hazrisk.jt808 import BEIJING, Record, encode_message, encode_subpackages, iter_records
from hazrisk.jt808 import stream as stream_mod

T0 = datetime(2026, 10, 1, 8, 0, 0, tzinfo=BEIJING)
LOC = {"alarm": 0, "status": 3, "lat_deg": 30.274084, "lon_deg": 120.15507, "altitude_m": 15,
       "speed_kmh": 65.2, "heading_deg": 90, "device_time": T0,
       "items": {"0x01": {"mileage_km": 12.5}, "0x30": {"rssi": 20}}}


def loc_frame(serial: int = 1, phone: str = "13800000001") -> bytes:
    return encode_message(0x0200, LOC, phone=phone, serial=serial)


HEARTBEAT = encode_message(0x0002, {}, phone="13800000002", serial=9)


def total(records: list[Record]) -> int:
    return sum(r.length for r in records)


def frames_only(records: list[Record]) -> list[tuple[int, int, str, str | None]]:
    return [(r.offset, r.length, r.status, r.reason) for r in records if r.status != "garbage"]


# --------------------------------------------------------------------------------------------
# Nothing lost
# --------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["auto", "raw", "hexlog"]))
def test_arbitrary_bytes_never_raise_and_every_byte_is_accounted_for(data: bytes, fmt: str) -> None:
    records = list(iter_records(data, fmt=fmt))
    if records and records[-1].reason == "bad_gzip":  # pragma: no cover - needs a real gzip
        return
    assert total(records) == len(data)
    spans = sorted((r.offset, r.length) for r in records if r.length)
    at = 0
    for offset, length in spans:  # contiguous and non-overlapping
        assert offset == at
        at += length
    assert at == len(data)


_pieces = st.one_of(
    st.sampled_from([loc_frame(1), loc_frame(2, "13912345678"), HEARTBEAT]),
    st.binary(max_size=30),  # garbage, possibly holding 0x7E
    st.sampled_from([b"\x7e", b"\x7e\x7e", b"\x7d", b"\x7e\x00\x01\x7e"]),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_pieces, max_size=12))
def test_mixed_streams(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    records = list(iter_records(data, fmt="raw"))
    assert total(records) == len(data)
    for r in records:
        if r.status == "ok":  # every ok record is a real frame at its offset
            assert data[r.offset] == 0x7E and data[r.offset + r.length - 1] == 0x7E


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([loc_frame(1), HEARTBEAT, loc_frame(3)]), min_size=1, max_size=8),
       st.lists(st.binary(max_size=8).filter(lambda b: b"\x7e" not in b), min_size=9, max_size=9))
def test_every_frame_is_found_between_clean_garbage(frames: list[bytes], gaps: list[bytes]) -> None:
    data = b""
    where = []
    for frame, gap in zip(frames, gaps, strict=False):
        data += gap
        where.append((len(data), len(frame)))
        data += frame
    records = list(iter_records(data))
    assert [(r.offset, r.length) for r in records if r.status == "ok"] == where
    assert all(r.status in ("ok", "garbage") for r in records)


def test_chunk_boundaries_do_not_change_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = bytearray(loc_frame(5))
    bad[15] ^= 0x55
    data = b"xx" + loc_frame(1) + b"\x7e\x01" + bytes(bad) + HEARTBEAT + loc_frame(2)[:30] + loc_frame(3)
    whole = list(iter_records(data))
    for chunk in (1, 7, 64):
        monkeypatch.setattr(stream_mod, "CHUNK", chunk)
        parts = list(iter_records(data))
        assert frames_only(parts) == frames_only(whole)
        assert total(parts) == len(data)


# --------------------------------------------------------------------------------------------
# Splitting and resynchronisation
# --------------------------------------------------------------------------------------------


def test_truncated_frame_does_not_swallow_the_next() -> None:
    cut = loc_frame(1)[:25]  # connection dropped mid-frame
    data = cut + loc_frame(2) + loc_frame(3)
    records = list(iter_records(data))
    assert [(r.status, r.reason) for r in records] == [
        ("rejected", "truncated"), ("ok", None), ("ok", None)
    ]
    assert records[0].serial == 1 and records[0].length == 25
    assert [r.serial for r in records[1:]] == [2, 3]


def test_stray_flag_in_garbage_does_not_cost_a_frame() -> None:
    data = b"\xaa\x7e\xbb" + loc_frame(1) + loc_frame(2)
    records = list(iter_records(data))
    assert [(r.offset, r.status) for r in records] == [(0, "garbage"), (1, "garbage"),
                                                      (3, "ok"), (3 + len(loc_frame(1)), "ok")]


def test_bad_frame_followed_by_a_frame_back_to_back() -> None:
    bad = bytearray(loc_frame(1))
    bad[-2] ^= 0x01  # wrong check code
    records = list(iter_records(bytes(bad) + HEARTBEAT))
    assert [(r.status, r.reason) for r in records] == [("rejected", "bad_checksum"), ("ok", None)]


def test_empty_frames_and_lone_flags_are_garbage() -> None:
    records = list(iter_records(b"\x7e\x7e\x7e" + HEARTBEAT + b"\x7e"))
    assert [(r.status, r.length) for r in records] == [
        ("garbage", 1), ("garbage", 1), ("garbage", 1), ("ok", len(HEARTBEAT)), ("garbage", 1)
    ]


def test_long_runs_without_a_closing_flag() -> None:
    data = b"\x7e" + bytes(9000) + HEARTBEAT
    records = list(iter_records(data))
    assert total(records) == len(data)
    assert records[-1].status == "ok" and records[-1].offset == 9001


# --------------------------------------------------------------------------------------------
# Subpackages
# --------------------------------------------------------------------------------------------

PARAMS_BODY = {"reply_serial": 3, "params": {f"0x{0xF000 + i:04X}": {"raw_hex": "ab" * 40}
                                             for i in range(30)}}


def test_reassembly_out_of_order_and_interleaved() -> None:
    parts = encode_subpackages(0x0104, PARAMS_BODY, phone="13800000001", serial=100, max_body=500)
    assert len(parts) == 3
    data = parts[2] + HEARTBEAT + parts[0] + loc_frame(7) + parts[1]
    records = list(iter_records(data))
    joined = [r for r in records if r.reassembled_from is not None]
    assert len(joined) == 1
    j = joined[0]
    assert (j.status, j.length, j.msg_id, j.serial, j.subpackage) == ("ok", 0, 0x0104, 100, None)
    assert j.body == PARAMS_BODY
    offsets = {r.subpackage["index"]: r.offset for r in records if r.subpackage}
    assert j.reassembled_from == [offsets[1], offsets[2], offsets[3]]
    assert records.index(j) == len(records) - 1  # right after the completing fragment
    assert j.offset == len(data)
    assert total(records) == len(data)


def test_incomplete_group_is_reported_not_dropped() -> None:
    parts = encode_subpackages(0x0104, PARAMS_BODY, phone="13800000001", serial=100, max_body=500)
    data = parts[0] + HEARTBEAT + parts[2]
    records = list(iter_records(data))
    assert total(records) == len(data)
    fragments = [r for r in records if r.subpackage and r.subpackage["index"]]
    assert [r.status for r in fragments] == ["ok", "ok"] and all(r.raw_body for r in fragments)
    report = records[-1]
    assert (report.status, report.reason, report.length) == ("rejected", "incomplete_subpackages", 0)
    assert report.body == {"received": [1, 3], "missing": [2]}
    assert report.reassembled_from == [fragments[0].offset, fragments[1].offset]
    assert report.subpackage == {"total": 3, "index": None}


def test_repeated_index_closes_the_old_group() -> None:
    first = encode_subpackages(0x0104, PARAMS_BODY, phone="13800000001", serial=1, max_body=500)
    second = encode_subpackages(0x0104, PARAMS_BODY, phone="13800000001", serial=9, max_body=500)
    records = list(iter_records(first[0] + second[0] + second[1] + second[2]))
    reasons = [(r.reason, r.reassembled_from is not None) for r in records if r.length == 0]
    assert reasons == [("incomplete_subpackages", True), (None, True)]


def test_reassembly_can_be_switched_off() -> None:
    parts = encode_subpackages(0x0104, PARAMS_BODY, phone="13800000001", serial=1, max_body=500)
    records = list(iter_records(b"".join(parts), reassemble=False))
    assert [r.subpackage["index"] for r in records] == [1, 2, 3]


# --------------------------------------------------------------------------------------------
# Hex logs and gzip
# --------------------------------------------------------------------------------------------


def test_hex_log_with_and_without_timestamps() -> None:
    f1, f2 = loc_frame(1), HEARTBEAT
    text = (
        f"2026-10-01 08:00:01.123 RECV {f1.hex().upper()}\n"
        "# a comment line\n"
        f"SEND {f2.hex()}\r\n"
        f"{f1.hex()}\n"
        f"2026-10-01T08:00:02+08:00 recv {' '.join(f'{b:02X}' for b in f2)}\n"
        "\n"
        f"2026-10-01 08:00:03 RECV {f1.hex()}"  # no final newline
    ).encode()
    records = list(iter_records(text))
    assert total(records) == len(text)
    assert [(r.line, r.status) for r in records] == [
        (1, "ok"), (2, "garbage"), (3, "ok"), (4, "ok"), (5, "ok"), (6, "garbage"), (7, "ok")
    ]
    r1, _, r3, r4, r5, _, r7 = records
    assert r1.recv_time == datetime(2026, 10, 1, 8, 0, 1, 123000, tzinfo=BEIJING)
    assert r1.recv_time is not None and r1.recv_time.utcoffset().total_seconds() == 8 * 3600
    assert (r1.direction, r3.direction, r4.direction, r5.direction) == ("RECV", "SEND", None, "RECV")
    assert r3.recv_time is None and r4.recv_time is None
    assert r5.body == {} and r5.recv_time == datetime(2026, 10, 1, 8, 0, 2, tzinfo=BEIJING)
    assert r7.recv_time == datetime(2026, 10, 1, 8, 0, 3, tzinfo=BEIJING)
    assert r1.body is not None and r1.body["items"]["0x01"] == {"mileage_km": 12.5}
    assert r1.offset == 0 and r1.length == len(text.split(b"\n")[0]) + 1


def test_hex_log_line_with_two_frames_and_junk() -> None:
    payload = (loc_frame(1) + b"\x01\x02" + HEARTBEAT).hex()
    text = f"2026-10-01 08:00:01 RECV {payload}\n".encode()
    records = list(iter_records(text, fmt="hexlog"))
    assert [(r.status, r.line) for r in records] == [("ok", 1), ("garbage", 1), ("ok", 1)]
    assert total(records) == len(text)
    assert records[1].length == 4  # the two junk bytes are four hex characters
    assert all(r.recv_time is not None for r in records)


def test_gzip_of_raw_and_of_hex_log(tmp_path: Path) -> None:
    raw = b"junk" + loc_frame(1) + HEARTBEAT
    text = f"2026-10-01 08:00:01.000 RECV {loc_frame(2).hex()}\n".encode()
    (tmp_path / "a.bin.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a.log.gz").write_bytes(gzip.compress(text))
    recs = list(iter_records(tmp_path / "a.bin.gz"))
    assert [r.status for r in recs] == ["garbage", "ok", "ok"] and total(recs) == len(raw)
    recs = list(iter_records(str(tmp_path / "a.log.gz")))
    assert [(r.status, r.serial, r.line) for r in recs] == [("ok", 2, 1)]
    assert total(recs) == len(text)


def test_format_detection_and_forcing() -> None:
    text = f"RECV {HEARTBEAT.hex()}\n".encode()
    assert stream_mod.detect_format(text) == "hexlog"
    assert stream_mod.detect_format(HEARTBEAT) == "raw"
    assert stream_mod.detect_format(b"hello world\n") == "raw"
    forced = list(iter_records(text, fmt="raw"))
    assert [r.status for r in forced] == ["garbage"] and total(forced) == len(text)
    with pytest.raises(ValueError, match="fmt"):
        list(iter_records(text, fmt="csv"))


def test_broken_gzip() -> None:
    raw = (loc_frame(1) + HEARTBEAT) * 200
    blob = gzip.compress(raw)
    records = list(iter_records(blob[: len(blob) // 2]))
    assert records[-1].reason == "bad_gzip" and records[-1].length == 0
    assert 0 < total(records) < len(raw)
    assert all(r.status == "ok" for r in records if r.length and r is not records[-2])
    # gzip magic followed by nonsense: read as raw bytes, nothing lost
    junk = b"\x1f\x8b" + bytes(range(50))
    records = list(iter_records(junk))
    assert total(records) == len(junk) and all(r.status == "garbage" for r in records)


def test_empty_inputs() -> None:
    assert list(iter_records(b"")) == []
    assert list(iter_records(gzip.compress(b""))) == []


def test_frame_builder_agrees_with_encoder() -> None:
    assert frame2013(0x0002, "", phone="13800000002", serial=9) == HEARTBEAT


_LOG_ALPHABET = "0123456789abcdefABCDEF7E7e \t\n\r:-.TRECVSND"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_LOG_ALPHABET, max_size=400),
       st.lists(st.sampled_from([loc_frame(1).hex(), HEARTBEAT.hex().upper()]), max_size=3))
def test_hex_log_like_text_never_raises(noise: str, frames: list[str]) -> None:
    text = (noise + "\n" + "\n".join(f"2026-10-01 08:00:00 RECV {f}" for f in frames)).encode()
    records = list(iter_records(text, fmt="hexlog"))
    assert total(records) == len(text)
    assert sum(r.status == "ok" and r.msg_id in (0x0200, 0x0002) for r in records) >= len(frames)
    lines = [r.line for r in records]
    assert lines == sorted(lines) and all(line is not None for line in lines)
