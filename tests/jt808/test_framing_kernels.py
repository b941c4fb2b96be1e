"""The compiled framing kernels (:func:`hazrisk.jt808._columnar_framing.frame`) against the
scalar codec: the same frames paired, the same unescaped content, check code and header.

The oracle is the scalar splitter (:func:`hazrisk.jt808.framing.split_frames`) with the
codec's own consistency predicate (:func:`hazrisk.jt808.codec.prepare`): every FRAME span it
gives whose content is length-consistent must be a frame of the kernel, with
``framing.unescape`` of its content, ``framing.checksum`` of that (0 when the check code is
right) and ``header.read_header``'s message id, properties and layout. Streams mix frames
with many escapes, ``7D 03`` and ``7D`` before the closing flag, bad check codes, truncated
frames, subpackages, ``7E 7E`` and garbage; cut at every position they must give the cut
the splitter gives (``final=False``).
"""

from __future__ import annotations

import random
import struct
from datetime import datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazrisk.jt808 import encode_body, encode_message, encode_subpackages, iter_records
from hazrisk.jt808._columnar_framing import Framed, frame
from hazrisk.jt808.codec import prepare
from hazrisk.jt808.columnar import decode_positions
from hazrisk.jt808.fields import BEIJING
from hazrisk.jt808.framing import FRAME, MAX_SPAN, checksum, escape, split_frames, unescape
from hazrisk.jt808.header import read_header

PHONE = "013800138000"
T0 = datetime(2026, 10, 1, 8, 0, 0, tzinfo=BEIJING)


def _consistent(escaped: bytes) -> bool:
    return prepare(escaped).consistent


def expected(data: bytes, final: bool = True) -> tuple[list[tuple[int, int]], int]:
    """(opening flag, closing flag) of the splitter's length-consistent frames, and the cut
    (-1: none)."""
    spans, consumed = split_frames(data, _consistent, final=final)
    pairs = [(s, e - 1) for kind, s, e in spans if kind == FRAME and _consistent(data[s + 1 : e - 1])]
    return pairs, (-1 if final or consumed == len(data) else consumed)


def assert_agrees(data: bytes, fm: Framed, final: bool = True) -> None:
    want, cut = expected(data, final)
    got = list(zip(fm.fs.tolist(), fm.fe.tolist(), strict=True))
    assert got == want
    if not final:
        assert fm.cut == cut or (cut == -1 and fm.cut == -1)
    for k, (s, e) in enumerate(got):
        content = unescape(data[s + 1 : e])
        assert bytes(fm.ub[fm.cs[k] : fm.ce[k]]) == content
        assert int(fm.xor[k]) == checksum(content)
        h = read_header(content)
        assert (int(fm.msg_id[k]), int(fm.props[k])) == (h.msg_id, h.properties)
        assert bool(fm.v2019[k]) == (h.version == 2019)
        assert int(fm.size[k]) == h.size


def check(data: bytes) -> None:
    assert_agrees(data, frame(np.frombuffer(data, np.uint8)))


def location(serial: int, fill: int = 0x30) -> bytes:
    body = {"alarm": 0x7E7D7E7D, "status": fill, "lat_deg": 30.0, "lon_deg": 120.0,
            "altitude_m": 0x7E, "speed_kmh": 12.6, "heading_deg": 0x7D,
            "device_time": T0, "items": {"0x01": {"mileage_km": 3.0}}}
    return encode_message(0x0200, body, phone=PHONE, serial=serial)


def heartbeat(serial: int, version: int = 2013) -> bytes:
    return encode_message(0x0002, {}, phone=PHONE, serial=serial, version=version)


def with_bad_check(f: bytes) -> bytes:
    content = bytearray(unescape(f[1:-1]))
    content[-1] ^= 0x55
    return b"\x7e" + escape(bytes(content)) + b"\x7e"


def test_escapes_bad_escapes_and_check_codes() -> None:
    good = location(1)
    assert b"\x7d\x01" in good and b"\x7d\x02" in good  # escapes of both kinds
    i = good.index(b"\x7d\x01")
    bad_escape = good[: i + 1] + b"\x03" + good[i + 2 :]  # the same length: only the escape is bad
    esc_before_flag = good[:-2] + b"\x7d\x7e"
    check(good + bad_escape + good + esc_before_flag + location(2) + with_bad_check(good) + good)


def test_truncated_frames_resync_and_garbage() -> None:
    a, b, c = location(1), heartbeat(2), location(3)
    data = (b"junk" + a[: len(a) // 2] + b + b"\x7e\x7e" + c + b"\x00\x7e" + a[:5] + c
            + b"\x7e" + bytes(MAX_SPAN + 10) + b + heartbeat(4, 2019) + b"tail\x7e")
    check(data)


def test_subpackages_and_2019_flag_on_2013_frames() -> None:
    parts = encode_subpackages(0x0900, {"raw_hex": (bytes(range(256)) * 3).hex()}, phone=PHONE,
                               serial=9, max_body=300)
    assert len(parts) > 1
    flagged = bytearray(unescape(location(5)[1:-1]))
    flagged[2] |= 0x40  # the 2019 bit on a 2013 frame: the 2013 fallback
    flagged[-1] ^= 0x40  # keep the check code right
    fallback = b"\x7e" + escape(bytes(flagged)) + b"\x7e"
    check(b"".join(parts) + fallback + heartbeat(6, 2019) + fallback)


def test_every_cut_point_gives_the_splitters_cut() -> None:
    rng = random.Random(3)
    a, b = location(1), heartbeat(2)
    data = a + b + a[: len(a) - 7] + b + with_bad_check(a) + a[:-1] + b"\x7d\x03" + b + a
    buf = np.frombuffer(data, np.uint8)
    for n in sorted({*range(0, len(data) + 1, 3), *(rng.randrange(len(data)) for _ in range(30))}):
        part = bytes(data[:n])
        cap = np.zeros(n + n // 4 + 8192, np.uint8)
        cap[:n] = buf[:n]
        assert_agrees(part, frame(buf[:n], final=False, capacity=cap), final=False)


def test_unescaped_copies_beyond_the_capacity_are_not_lost() -> None:
    """A buffer of frames that are nearly all escapes: the appendix outgrows the room the
    caller gave (a quarter of the bytes) and the kernel starts again in a larger one."""
    body = bytes([0x7E, 0x7D]) * 400
    f = encode_message(0x0900, {"raw_hex": body.hex()}, phone=PHONE, serial=1)
    data = f * 50
    buf = np.frombuffer(data, np.uint8)
    cap = np.zeros(buf.size + 10, np.uint8)
    cap[: buf.size] = buf
    fm = frame(buf, capacity=cap)
    assert fm.fs.size == 50
    assert_agrees(data, fm)


def test_lines_keep_frames_apart() -> None:
    a, b = location(1), heartbeat(2)
    data = a + b[:-1] + b"\x7e" + a  # line 2 starts inside the heartbeat
    starts = np.array([0, len(a) + 5], np.int64)
    fm = frame(np.frombuffer(data, np.uint8), line_start=starts)
    assert fm.fs.tolist() == [0, len(a) + len(b)]
    ends = [len(a) - 1, len(a) + len(b) + len(a) - 1]
    assert fm.fe.tolist() == ends


@st.composite
def pieces(draw: st.DrawFn) -> bytes:
    serial = draw(st.integers(0, 0xFFFF))
    kind = draw(st.sampled_from(["loc", "hb", "hb19", "trunc", "badcheck", "esc03", "junk",
                                 "flags", "sub"]))
    if kind == "loc":
        return location(serial, draw(st.sampled_from([0x7E, 0x7D, 0x30])))
    if kind == "hb":
        return heartbeat(serial)
    if kind == "hb19":
        return heartbeat(serial, 2019)
    if kind == "trunc":
        f = location(serial)
        return f[: draw(st.integers(1, len(f) - 1))]
    if kind == "badcheck":
        return with_bad_check(location(serial))
    if kind == "esc03":  # an escape pair of the frame made bad: 7D 00 / 03 / 7D / 7E
        f = location(serial)
        i = draw(st.sampled_from([j for j in range(len(f)) if f[j] == 0x7D]))
        return f[: i + 1] + bytes([draw(st.sampled_from([0, 3, 0x7D, 0x7E]))]) + f[i + 2 :]
    if kind == "junk":
        return draw(st.binary(max_size=12))
    if kind == "flags":
        return b"\x7e" * draw(st.integers(1, 3))
    parts = encode_subpackages(0x0900, {"raw_hex": bytes(range(126, 326 % 256)).hex() * 2},
                               phone=PHONE, serial=serial, max_body=80)
    return b"".join(parts[: draw(st.integers(1, len(parts)))])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(pieces(), max_size=14).map(b"".join), st.integers(0, 400))
def test_random_streams_agree_with_the_splitter(data: bytes, n: int) -> None:
    check(data)
    n = min(n, len(data))
    buf = np.frombuffer(data, np.uint8)
    assert_agrees(data[:n], frame(buf[:n], final=False), final=False)


@pytest.mark.parametrize("data", [b"", b"\x7e", b"\x7e\x7e", b"\x7d", b"\x7e\x7d\x7e", bytes(9)])
def test_tiny_inputs(data: bytes) -> None:
    check(data)
    assert_agrees(data, frame(np.frombuffer(data, np.uint8), final=False), final=False)


# --------------------------------------------------------------------------------------------
# The body kernels: a rejected frame's positions leave nothing behind
# --------------------------------------------------------------------------------------------


def _location_body(mileage: float | None, extra: bytes = b"") -> bytes:
    items = {} if mileage is None else {"0x01": {"mileage_km": mileage}, "0x30": {"rssi": 9}}
    return encode_body(0x0200, {"alarm": 0, "status": 3, "lat_deg": 30.0, "lon_deg": 120.0,
                                "altitude_m": -7, "speed_kmh": 12.6, "heading_deg": 90,
                                "device_time": T0, "items": items}) + extra


def _batch(*positions: bytes, count: int | None = None, tail: bytes = b"") -> bytes:
    body = struct.pack(">HB", len(positions) if count is None else count, 1)
    body += b"".join(struct.pack(">H", len(p)) + p for p in positions) + tail
    return encode_message(0x0704, {"raw_hex": body.hex()}, phone=PHONE, serial=7)


def test_rejected_batches_leave_no_values_in_the_next_rows() -> None:
    """Batches rejected after some of their positions were read (an item overrun in the
    second position, a short location block, a wrong count, bytes left over), each followed
    by frames whose items are absent: those rows' item columns stay null, as the codec says."""
    plain = encode_message(0x0200, {"raw_hex": _location_body(None).hex()}, phone=PHONE,
                           serial=8)
    good = _location_body(5.0)
    data = b"".join([
        _batch(good, _location_body(6.0, b"\x02\x04\x00")), plain,  # item overrun
        _batch(good, good[:20]), plain,  # a location block of 20 bytes
        _batch(good, good, count=3), plain,  # count says 3
        _batch(good, tail=b"\x00"), plain,  # a byte left over
        _batch(good, _location_body(7.0)), plain,  # ok
    ])
    table = decode_positions(data)
    scalar = [r for r in iter_records(data) if r.status == "ok"]
    assert [r.msg_id for r in scalar] == [0x0200] * 4 + [0x0704, 0x0200]
    assert table.column("pos_index").to_pylist() == [0, 0, 0, 0, 0, 1, 0]
    assert table.column("mileage_km").to_pylist() == [None] * 4 + [5.0, 7.0, None]
    assert table.column("rssi").to_pylist() == [None] * 4 + [9, 9, None]
    assert table.column("altitude_m").to_pylist() == [-7] * 7
    assert table.column("offset").to_pylist() == [r.offset for r in scalar[:4]] + [
        scalar[4].offset] * 2 + [scalar[5].offset]
