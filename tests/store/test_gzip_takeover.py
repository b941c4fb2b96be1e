"""The ISA-L gzip reader hands over to zlib at the first fault: what a damaged dump keeps and
the error it reports are zlib's to the byte (``hazrisk.store.sources.CheckedGzip``)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from hazrisk.store.sources import BadDumpError, CheckedGzip


def _read_all(path: Path, fast: bool) -> tuple[bytes, str | None]:
    f = CheckedGzip(path)
    if not fast:
        f._fast.close()  # type: ignore[union-attr]
        f._fast = None
    with f:
        parts = []
        while piece := f.read(1 << 20):
            parts.append(piece)
        return b"".join(parts), f.broken


def _payload() -> bytes:
    rnd = random.Random(3)
    lines = [f"2026-10-01 00:00:{i % 60:02d}.000 RECV 7E0200{rnd.getrandbits(160):040X}7E\n"
             for i in range(120_000)]
    return "".join(lines).encode()


@pytest.mark.parametrize("damage", ["none", "truncated", "crc", "middle"])
def test_fast_reader_keeps_what_zlib_keeps(tmp_path: Path, damage: str) -> None:
    raw = _payload()
    data = bytearray(gzip.compress(raw))
    if damage == "truncated":
        data = data[: len(data) * 2 // 3]
    elif damage == "crc":
        data[-6] ^= 0xFF  # the CRC32 of the trailer
    elif damage == "middle":
        data[len(data) // 2] ^= 0x5A
    path = tmp_path / "2026-10-01.log.gz"
    path.write_bytes(bytes(data))
    fast = _read_all(path, fast=True)
    slow = _read_all(path, fast=False)
    assert fast == slow
    if damage == "none":
        assert fast == (raw, None)
    else:  # a flipped bit mid-stream may inflate to other bytes until the CRC fails
        assert fast[1] is not None
        assert damage == "middle" or fast[0] == raw[: len(fast[0])]


def test_nothing_readable_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "2026-10-01.log.gz"
    path.write_bytes(gzip.compress(b"x" * 1000)[:10])  # the header only
    with pytest.raises(BadDumpError, match="truncated gzip"):
        _read_all(path, fast=True)
