"""``json_text`` (the store's JSON of bodies and parameter values) writes exactly what
``json.dumps(jsonable(value), ensure_ascii=False)`` writes: on every message layout's decoded
bodies (Hypothesis) and on each kind of value ``jsonable`` converts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jt808_testkit import bodies, message_cases

from hazrisk.jt808 import decode_body, encode_body
from hazrisk.jt808.record import json_text, jsonable

CASES = message_cases()


def _old(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False)


@pytest.mark.parametrize(("msg_id", "layout"), CASES, ids=[f"{m:04X}-{v}" for m, v in CASES])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_decoded_bodies(msg_id: int, layout: int, data: st.DataObject) -> None:
    body = decode_body(msg_id, encode_body(msg_id, data.draw(bodies(msg_id, layout)), layout),
                       layout)
    assert json_text(body) == _old(body)


class _Odd:
    def __str__(self) -> str:
        return "odd 值"


class _Level(int):
    pass


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**70, _Level(3), 1.5, float("nan"), float("inf"), "",
    "浙A12345 \"quoted\" \\ \n\t\x00 \u2028", b"\x00\x7e\xff", bytearray(b"\x01"),
    memoryview(b"\x02\x03"), date(2026, 10, 1), datetime(2026, 10, 1, 8, 0, 0),
    datetime(2026, 10, 1, 0, 0, 0, tzinfo=UTC),
    datetime(2026, 10, 1, 8, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
    (1, "a", (2.5, None)), [], {}, {1: "int key", 2.5: "float key"}, {"s": {_Odd()}},
    {"a": [{"t": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "b": b"\x7d"}], "o": _Odd()},
])
def test_each_kind_of_value(value: Any) -> None:
    assert json_text(value) == _old(value)


def test_keys_that_differ_are_documented() -> None:
    """A ``None`` key is where the two part ways (no decoded body has one)."""
    assert _old({None: 1}) == '{"None": 1}' and json_text({None: 1}) == '{"null": 1}'
