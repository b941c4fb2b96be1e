"""The public API of hazrisk.jt808: names pinned, Record JSON, flags, encoder errors."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

import hazrisk.jt808 as jt
from hazrisk.jt808 import (
    BEIJING,
    EncodeError,
    Record,
    decode_frame,
    encode_body,
    encode_message,
    encode_subpackages,
)
from hazrisk.jt808.quality import limits

PUBLIC = {
    "Alarm", "BEIJING", "DEVIATIONS", "DecodeError", "EncodeError", "FORMATS", "ITEMS",
    "JT808Error", "MESSAGES", "PARAMS", "QUALITY_FLAGS", "REASONS", "Record", "Status",
    "alarm_names", "checksum", "decode_body", "decode_frame", "detect_format", "encode_body",
    "encode_message", "encode_subpackages", "escape", "iter_records", "load_state",
    "decode_positions", "decode_hexlog", "iter_position_batches", "iter_chunks", "DecodedChunk",
    "status_names", "unescape",
}


def test_public_names_are_pinned() -> None:
    assert set(jt.__all__) == PUBLIC
    for name in jt.__all__:
        assert getattr(jt, name) is not None


def test_record_fields_are_the_contract() -> None:
    names = list(Record.__dataclass_fields__)
    assert names[:16] == ["offset", "length", "status", "reason", "quality", "msg_id", "phone",
                          "serial", "version", "subpackage", "recv_time", "direction", "body",
                          "raw_body", "reassembled_from", "line"]
    assert not hasattr(Record(0, 0, "ok"), "__dict__")  # slots


def test_to_json_is_serialisable() -> None:
    rec = Record(
        offset=5, length=0, status="ok", msg_id=0x0702, phone="013800000001", serial=1,
        version=2013, recv_time=datetime(2026, 10, 1, 0, 0, tzinfo=BEIJING),
        body={"time": datetime(2026, 10, 1, 0, 0, tzinfo=BEIJING), "cert_expiry": date(2030, 1, 2),
              "nested": [{"x": b"\x01"}]},
        raw_body=b"\xab", reassembled_from=[1, 2],
    )
    obj = json.loads(json.dumps(rec.to_json()))
    assert obj["recv_time"] == "2026-10-01T00:00:00+08:00"
    assert obj["body"] == {"time": "2026-10-01T00:00:00+08:00", "cert_expiry": "2030-01-02",
                           "nested": [{"x": "01"}]}
    assert obj["raw_body"] == "ab" and obj["reassembled_from"] == [1, 2]
    assert "raw_body" not in rec.to_json(raw=False)


def test_flag_helpers() -> None:
    assert jt.alarm_names(0b101) == ["emergency", "fatigue"]
    assert jt.status_names(0b1111) == ["acc_on", "positioned", "south", "west"]
    assert jt.load_state(0x300) == "full"
    assert jt.Status.POSITIONED == 2 and jt.Alarm.ILLEGAL_DOOR_OPEN == 1 << 31


def test_limits_come_from_the_rules_file() -> None:
    lim = limits()
    assert (lim.gps_speed_max_kmh, lim.heading_max_deg) == (160, 359)
    assert (lim.altitude_min_m, lim.altitude_max_m) == (-200, 6500)


def test_doctests_of_the_examples_hold() -> None:
    frame = encode_message(0x0002, {}, phone="13800000000", serial=7)
    assert decode_frame(frame).body == {}


@pytest.mark.parametrize(("call", "match"), [
    (lambda: encode_message(0x0002, {}, phone="1380000000012", serial=1), "phone"),
    (lambda: encode_message(0x0002, {}, phone="abc", serial=1), "phone"),
    (lambda: encode_message(0x0002, {}, phone="1", serial=70000), "serial"),
    (lambda: encode_body(0x0001, {"reply_serial": 1, "result": 0}), "reply_msg_id"),
    (lambda: encode_body(0x0001, {"reply_serial": 1, "reply_msg_id": 70000, "result": 0}), "range"),
    (lambda: encode_body(0x0900, {"x": 1}), "raw_hex"),
    (lambda: encode_body(0x0002, {}, version=2020), "version"),
    (lambda: encode_body(0x0104, {"reply_serial": 1, "params": {"0x0013": 5}}), "0x0013"),
    (lambda: encode_body(0x0200, {"items": {}}), "alarm"),
    (lambda: encode_message(0x0900, {"raw_hex": "00" * 1024}, phone="1", serial=1),
     "encode_subpackages"),
    (lambda: encode_subpackages(0x0002, {}, phone="1", serial=1, max_body=0), "max_body"),
])
def test_encoder_errors(call: object, match: str) -> None:
    with pytest.raises(EncodeError, match=match):
        call()  # type: ignore[operator]


def test_encoder_accepts_iso_strings_and_naive_beijing_times() -> None:
    body = {"card_status": 2, "time": "2026-10-01T09:00:00+08:00"}
    same = {"card_status": 2, "time": datetime(2026, 10, 1, 9, 0)}
    utc = {"card_status": 2, "time": datetime.fromisoformat("2026-10-01T01:00:00+00:00")}
    assert encode_body(0x0702, body) == encode_body(0x0702, same) == encode_body(0x0702, utc)


@pytest.mark.parametrize("module", [
    "hazrisk.jt808", "hazrisk.jt808.flags", "hazrisk.jt808.framing", "hazrisk.jt808.field_fixed",
    "hazrisk.jt808.header",
])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0
