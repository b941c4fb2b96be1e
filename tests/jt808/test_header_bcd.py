"""``header.bcd_valid`` (every frame's phone) against the nibble definition."""

from __future__ import annotations

from hazrisk.jt808.header import bcd_valid


def _nibbles_decimal(data: bytes) -> bool:
    return all(b >> 4 < 10 and b & 0x0F < 10 for b in data)


def test_every_one_and_two_byte_value() -> None:
    assert bcd_valid(b"")
    for v in range(1 << 16):
        two = v.to_bytes(2, "big")
        assert bcd_valid(two) == _nibbles_decimal(two), two.hex()
    assert sum(bcd_valid(bytes([b])) for b in range(256)) == 100


def test_phones() -> None:
    assert bcd_valid(bytes.fromhex("013912345678"))
    assert bcd_valid(bytes.fromhex("00000000013912345678"))
    assert not bcd_valid(bytes.fromhex("01391234567a"))
    assert not bcd_valid(bytes.fromhex("f13912345678"))
