"""Variable-width field codecs (:mod:`hazrisk.jt808.fields`): strings to the end of the body
or with a length byte, hex to the end, constants, nested layouts and counted lists of them
(JT/T 808-2019 §4.2). Each decodes itself from a position and returns the position after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hazrisk.jt808.errors import EncodeError
from hazrisk.jt808.field_base import Body, Ctx, Fatal, Field, join, require
from hazrisk.jt808.field_fixed import decode_string, encode_string

if TYPE_CHECKING:  # pragma: no cover
    from hazrisk.jt808.fields import Struct


class RestStr(Field):
    """STRING filling the rest of the body (NUL terminator/padding stripped)."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name, self.doc = name, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        out[self.name] = decode_string(buf[pos:end])
        return end

    def encode(self, body: Mapping[str, Any]) -> bytes:
        return encode_string(self.name, require(body, self.name))


class LenStr(Field):
    """BYTE length followed by a STRING of that length."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name, self.doc = name, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        if pos >= end:
            raise Fatal("bad_body", join(path, self.name), pos, "no length byte left")
        n = buf[pos]
        if pos + 1 + n > end:
            raise Fatal(
                "bad_body", join(path, self.name), pos,
                f"declares {n} bytes, {end - pos - 1} left",
            )
        out[self.name] = decode_string(buf[pos + 1 : pos + 1 + n])
        return pos + 1 + n

    def encode(self, body: Mapping[str, Any]) -> bytes:
        raw = encode_string(self.name, require(body, self.name))
        if len(raw) > 255:
            raise EncodeError(f"{self.name}: {len(raw)} bytes, a BYTE length holds 255")
        return bytes([len(raw)]) + raw


class RestHex(Field):
    """BYTE[n] filling the rest of the body, as a lowercase hex string."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name, self.doc = name, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        out[self.name] = buf[pos:end].hex()
        return end

    def encode(self, body: Mapping[str, Any]) -> bytes:
        value = require(body, self.name)
        try:
            return bytes.fromhex(value)
        except (TypeError, ValueError):
            raise EncodeError(f"{self.name}: not hex: {value!r}") from None


class Const(Field):
    """No bytes: a constant key telling which layout variant was read (e.g. ``ident_len``)."""

    def __init__(self, name: str, value: Any, doc: str = "") -> None:
        self.name, self.value, self.doc = name, value, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        out[self.name] = self.value
        return pos

    def encode(self, body: Mapping[str, Any]) -> bytes:
        if body.get(self.name) != self.value:
            raise EncodeError(f"{self.name}: expected {self.value!r}")
        return b""


class Nested(Field):
    """A sub-layout decoded into its own dictionary under ``name``."""

    def __init__(self, name: str, layout: Struct, doc: str = "") -> None:
        self.name, self.layout, self.doc = name, layout, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        inner: Body = {}
        pos = self.layout.decode(buf, pos, end, inner, ctx, join(path, self.name))
        out[self.name] = inner
        return pos

    def encode(self, body: Mapping[str, Any]) -> bytes:
        return self.layout.encode(require(body, self.name))


class ListOf(Field):
    """A BYTE count followed by that many fixed layouts (e.g. TPMS events)."""

    def __init__(self, name: str, layout: Struct, doc: str = "") -> None:
        self.name, self.layout, self.doc = name, layout, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        if pos >= end:
            raise Fatal("bad_body", join(path, self.name), pos, "no count byte left")
        count = buf[pos]
        pos += 1
        values = []
        for i in range(count):
            entry: Body = {}
            pos = self.layout.decode(buf, pos, end, entry, ctx, join(path, f"{self.name}[{i}]"))
            values.append(entry)
        out[self.name] = values
        return pos

    def encode(self, body: Mapping[str, Any]) -> bytes:
        values = require(body, self.name)
        if not isinstance(values, list) or len(values) > 255:
            raise EncodeError(f"{self.name}: expected a list of at most 255 entries")
        return bytes([len(values)]) + b"".join(self.layout.encode(v) for v in values)
