"""Hypothesis round trips: decode(encode(body)) == body for every message layout."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jt808_testkit import bodies, message_cases, wire

from hazrisk.jt808 import (
    decode_body,
    decode_frame,
    encode_body,
    encode_message,
    encode_subpackages,
    escape,
    iter_records,
    unescape,
)
from hazrisk.jt808.framing import checksum

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
CASES = message_cases()


@pytest.mark.parametrize(("msg_id", "layout"), CASES, ids=[f"{m:04X}-{v}" for m, v in CASES])
@SETTINGS
@given(data=st.data())
def test_body_round_trip(msg_id: int, layout: int, data: st.DataObject) -> None:
    body: dict[str, Any] = data.draw(bodies(msg_id, layout))
    raw = encode_body(msg_id, body, layout)
    assert decode_body(msg_id, raw, layout) == body
    # and the bytes are stable: encode(decode(bytes)) == bytes
    assert encode_body(msg_id, decode_body(msg_id, raw, layout), layout) == raw


@pytest.mark.parametrize(("msg_id", "layout"), CASES, ids=[f"{m:04X}-{v}" for m, v in CASES])
@SETTINGS
@given(data=st.data(), phone=st.text("0123456789", min_size=1, max_size=12),
       serial=st.integers(0, 0xFFFF))
def test_frame_round_trip(
    msg_id: int, layout: int, data: st.DataObject, phone: str, serial: int
) -> None:
    body: dict[str, Any] = data.draw(bodies(msg_id, layout))
    raw = encode_body(msg_id, body, layout)
    if len(raw) <= 1023:
        frame = encode_message(msg_id, body, phone=phone, serial=serial, version=layout)
        rec = decode_frame(frame)
        assert rec.status == "ok", rec.detail
        assert rec.body == body
        assert rec.msg_id == msg_id and rec.serial == serial and rec.length == len(frame)
        digits = 20 if layout == 2019 else 12
        assert rec.phone == phone.rjust(digits, "0")
        expected_version = layout if (layout != 2011 or msg_id == 0x0100) else 2013
        assert rec.version == expected_version
        assert rec.raw_body == raw
    # subpackages always reassemble to the same body
    frames = encode_subpackages(
        msg_id, body, phone=phone, serial=serial, version=layout, max_body=37
    )
    records = list(iter_records(b"".join(frames)))
    joined = [r for r in records if r.reassembled_from is not None]
    assert len(joined) == 1 and joined[0].status == "ok", joined[0].detail
    assert joined[0].body == body
    assert joined[0].reassembled_from == [r.offset for r in records if r.subpackage]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_escape_round_trip(data: bytes) -> None:
    escaped = escape(data)
    assert b"\x7e" not in escaped
    assert unescape(escaped) == data
    assert wire(data.hex())[1:-1] == escape(data + bytes([checksum(data)]))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_checksum_is_xor(data: bytes) -> None:
    code = 0
    for b in data:
        code ^= b
    assert checksum(data) == code
