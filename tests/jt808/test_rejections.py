"""Each rejection reason pinned by a crafted frame; strict mode; quality flags; deviations."""

from __future__ import annotations

import pickle
from datetime import datetime

import pytest
from jt808_testkit import frame2013, header2013, wire

from hazrisk.jt808 import (
    BEIJING,
    DEVIATIONS,
    QUALITY_FLAGS,
    REASONS,
    DecodeError,
    JT808Error,
    decode_body,
    decode_frame,
    encode_message,
    iter_records,
)

PHONE = "13800000001"
LOC_HEX = "00000000 00000003 01CDF224 07296BBE 000F 028C 005A 261001080000"  # 28 bytes


def _bad_checksum() -> bytes:
    f = bytearray(frame2013(0x0002, ""))
    f[-2] ^= 0xFF
    return bytes(f)


# name: (frame, reason, strict field)
CRAFTED: dict[str, tuple[bytes, str, str]] = {
    "bad_escape": (bytes.fromhex("7E00020000013800000001000A7D03AA7E"), "bad_escape", "frame"),
    "bare_flag": (bytes.fromhex("7E000200000138000000017E000AAA7E"), "bad_escape", "frame"),
    "header_too_short": (bytes.fromhex("7E0002000001387E"), "header_too_short", "header"),
    "truncated": (wire(header2013(0x0002, 5, PHONE, 1) + "0102"), "truncated",
                  "header -> body_length"),
    "no_end_flag": (frame2013(0x0002, "")[:-1], "truncated", "frame -> end_flag"),
    "body_length_mismatch": (wire(header2013(0x0002, 0, PHONE, 1) + "0102"),
                             "body_length_mismatch", "header -> body_length"),
    "bad_checksum": (_bad_checksum(), "bad_checksum", "check_code"),
    "item_overrun": (frame2013(0x0200, LOC_HEX + "01 04 0000"), "item_overrun",
                     "body -> items -> 0x01"),
    "item_lone_byte": (frame2013(0x0200, LOC_HEX + "01"), "item_overrun", "body -> items"),
    "bad_body": (frame2013(0x0001, "0010 81"), "bad_body", "body -> reply_msg_id"),
    "short_location": (frame2013(0x0200, "00000000 0000"), "bad_body", "body -> status"),
    "trailing_bytes": (frame2013(0x0001, "0010 8103 00 FF"), "bad_body", "body"),
    "batch_overrun": (frame2013(0x0704, "0002 00 001C" + LOC_HEX), "bad_body",
                      "body -> positions[1]"),
    "param_overrun": (frame2013(0x0104, "0001 01 00000013 10 3132"), "bad_body",
                      "body -> params -> 0x0013"),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_each_reason_is_pinned(name: str) -> None:
    frame, reason, field = CRAFTED[name]
    rec = decode_frame(frame, offset=40)
    assert (rec.status, rec.reason) == ("rejected", reason)
    assert rec.body is None and rec.quality == []
    assert rec.detail is not None and rec.detail.startswith(field)
    assert (rec.offset, rec.length) == (40, len(frame))
    with pytest.raises(DecodeError) as info:
        decode_frame(frame, strict=True, offset=40)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, JT808Error)
    assert (err.reason, err.field, err.offset) == (reason, field, 40)
    assert "offset 40" in str(err) and field in str(err)


def test_rejected_frames_keep_their_header() -> None:
    for name in ("truncated", "body_length_mismatch", "bad_checksum", "item_overrun", "bad_body"):
        rec = decode_frame(CRAFTED[name][0])
        assert rec.phone is not None and rec.phone.isdigit() and len(rec.phone) == 12
        assert rec.msg_id is not None and rec.serial is not None and rec.version == 2013
        assert rec.raw_body is not None


def test_the_reason_sets_are_closed() -> None:
    assert set(REASONS) >= {"bad_checksum", "truncated", "body_length_mismatch", "bad_escape",
                            "header_too_short", "item_overrun", "bad_body", "garbage"}
    assert {reason for _, reason, _ in CRAFTED.values()} <= set(REASONS)
    assert set(QUALITY_FLAGS) == {"invalid_bcd_time", "lat_out_of_range", "lon_out_of_range",
                                  "speed_out_of_range", "heading_out_of_range",
                                  "altitude_out_of_range"}
    assert set(DEVIATIONS) == {"invalid_bcd", "item_bad_length"}


def test_stream_records_only_use_the_closed_set() -> None:
    data = b"".join(f for f, _, _ in CRAFTED.values())
    records = list(iter_records(data))
    assert sum(r.length for r in records) == len(data)
    assert {r.reason for r in records if r.reason} <= set(REASONS)


def test_decode_error_pickles_and_reports_position() -> None:
    with pytest.raises(DecodeError) as info:
        decode_frame(CRAFTED["item_overrun"][0], strict=True, offset=3)
    err = pickle.loads(pickle.dumps(info.value))
    assert (err.reason, err.field, err.offset) == ("item_overrun", "body -> items -> 0x01", 3)
    assert err.position == 12 + 28  # item header right after the location block


def test_decode_body_strict_errors() -> None:
    with pytest.raises(DecodeError, match="body -> reply_msg_id"):
        decode_body(0x0001, bytes.fromhex("001081"))
    assert decode_body(0x0001, bytes.fromhex("0010810300")) == {
        "reply_serial": 16, "reply_msg_id": 0x8103, "result": 0}


# --------------------------------------------------------------------------------------------
# Deviations: tolerated in lenient mode, refused in strict mode
# --------------------------------------------------------------------------------------------


def _flagged_2013(auth: str) -> bytes:
    content = bytearray.fromhex(header2013(0x0102, len(auth), PHONE, 5) + auth.encode().hex())
    content[2] |= 0x40  # version flag set, layout still 2013
    return wire(content.hex())


def test_2019_flag_on_a_2013_frame_falls_back() -> None:
    frame = _flagged_2013("ZZZZZZZZ")
    rec = decode_frame(frame)
    assert (rec.status, rec.version, rec.phone, rec.serial) == ("ok", 2013, "013800000001", 5)
    assert rec.body == {"auth_code": "ZZZZZZZZ"}
    assert rec.detail is not None and "read as 2013" in rec.detail
    with pytest.raises(DecodeError) as info:
        decode_frame(frame, strict=True)
    assert (info.value.reason, info.value.field) == ("invalid_bcd", "header -> phone")
    # too short for any 2019 header: strict names that instead
    short = _flagged_2013("AB")
    assert decode_frame(short).body == {"auth_code": "AB"}
    with pytest.raises(DecodeError, match="header_too_short"):
        decode_frame(short, strict=True)


def test_a_real_2019_frame_is_not_a_fallback() -> None:
    frame = encode_message(0x0102, {"auth_code": "A", "imei": "1", "software_version": "v"},
                           phone="12345678901234567890", serial=1, version=2019)
    rec = decode_frame(frame, strict=True)
    assert rec.version == 2019 and rec.phone == "12345678901234567890" and rec.detail is None


def test_non_bcd_phone() -> None:
    frame = wire("0002 0000 01380000000A 0001")
    rec = decode_frame(frame)
    assert rec.status == "ok" and rec.phone == "01380000000a"
    with pytest.raises(DecodeError, match="invalid_bcd"):
        decode_frame(frame, strict=True)


def test_item_with_a_non_standard_length() -> None:
    frame = frame2013(0x0200, LOC_HEX + "01 03 000064  2B 08 12A803DC00010000  30 01 10")
    rec = decode_frame(frame)
    assert rec.status == "ok" and rec.body is not None
    assert rec.body["items"] == {
        "0x01": {"raw_hex": "000064"},  # no layout for 3 bytes: kept raw
        "0x2B": {"analog": 0x12A803DC, "analog_ext": 0x00010000},  # tolerated 8-byte form
        "0x30": {"rssi": 16},
    }
    with pytest.raises(DecodeError) as info:
        decode_frame(frame, strict=True)
    assert (info.value.reason, info.value.field) == ("item_bad_length", "body -> items -> 0x01")


def test_vendor_items_and_repeated_ids_are_kept() -> None:
    frame = frame2013(0x0200, LOC_HEX + "E1 02 0102  61 02 055F  61 02 0560  00 00")
    rec = decode_frame(frame, strict=True)
    assert rec.body is not None
    assert rec.body["items"] == {"0xE1": {"raw_hex": "0102"}, "0x61": {"raw_hex": "055f"},
                                 "0x61#2": {"raw_hex": "0560"}, "0x00": {"raw_hex": ""}}
    again = encode_message(0x0200, rec.body, phone="13800000000", serial=1)
    assert again == frame


def test_encrypted_body_is_kept_raw() -> None:
    content = bytearray.fromhex(header2013(0x0200, 2, PHONE, 1) + "ABCD")
    content[2] |= 0x04  # RSA
    rec = decode_frame(wire(content.hex()))
    assert rec.status == "ok" and rec.body == {"raw_hex": "abcd"}
    assert rec.detail is not None and "encrypted" in rec.detail


# --------------------------------------------------------------------------------------------
# Quality flags
# --------------------------------------------------------------------------------------------

T0 = datetime(2026, 10, 1, 8, tzinfo=BEIJING)


def _loc(**kw: object) -> bytes:
    body = {"alarm": 0, "status": 3, "lat_deg": 30.0, "lon_deg": 120.0, "altitude_m": 10,
            "speed_kmh": 60.0, "heading_deg": 0, "device_time": T0, "items": {}}
    body.update(kw)
    return encode_message(0x0200, body, phone=PHONE, serial=1)


@pytest.mark.parametrize(("changes", "flags"), [
    ({}, []),
    ({"speed_kmh": 160.0, "heading_deg": 359, "altitude_m": 6500}, []),  # bounds inclusive
    ({"altitude_m": -200, "lat_deg": 53.55, "lon_deg": 73.55}, []),
    ({"speed_kmh": 160.1}, ["speed_out_of_range"]),
    ({"heading_deg": 360}, ["heading_out_of_range"]),
    ({"altitude_m": 6501}, ["altitude_out_of_range"]),
    ({"altitude_m": -201}, ["altitude_out_of_range"]),
    ({"lat_deg": 60.0}, ["lat_out_of_range"]),
    ({"lat_deg": -30.0}, ["lat_out_of_range"]),
    ({"lon_deg": 150.0}, ["lon_out_of_range"]),
    ({"device_time": None, "device_time_bcd": "260230120000"}, ["invalid_bcd_time"]),
])
def test_quality_flags(changes: dict[str, object], flags: list[str]) -> None:
    rec = decode_frame(_loc(**changes))
    assert rec.status == "ok" and rec.quality == flags


def test_strict_mode_uses_the_standards_ranges() -> None:
    decode_frame(_loc(speed_kmh=200.0, lat_deg=60.0, altitude_m=-300), strict=True)
    with pytest.raises(DecodeError, match="lat_deg"):
        decode_frame(_loc(lat_deg=91.0), strict=True)
    with pytest.raises(DecodeError, match="heading_out_of_range"):
        decode_frame(_loc(heading_deg=360), strict=True)
    with pytest.raises(DecodeError) as info:
        decode_frame(_loc(device_time=None, device_time_bcd="261301080000"), strict=True)
    assert (info.value.reason, info.value.field) == ("invalid_bcd_time", "body -> device_time")


def test_negative_coordinates_set_the_status_bits() -> None:
    rec = decode_frame(_loc(status=0, lat_deg=-12.5, lon_deg=-45.25))
    assert rec.body is not None
    assert rec.body["status"] == 0b1100
    assert (rec.body["lat_deg"], rec.body["lon_deg"]) == (-12.5, -45.25)
