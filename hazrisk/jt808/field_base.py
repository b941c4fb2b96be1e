"""The base of the field codecs (:mod:`hazrisk.jt808.fields`): the wire's constants, the
decoding context and its one fatal error, and :class:`Field`, which every field codec extends.

JT/T 808-2019 §4.2 (数据类型): multi-byte integers are big-endian (§4.3), times are BCD in
Beijing time (GMT+8), strings are GBK. A :class:`Field` has a key in the body dictionary, a
``struct`` format when it is fixed-width (``fmt``), and puts / takes its value (fixed width)
or decodes / encodes itself (variable width).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from datetime import timedelta, timezone
from typing import Any

from hazrisk.jt808.errors import DecodeError, EncodeError

#: Beijing time, the zone of every BCD time on the wire (JT/T 808-2019 §4.2, GMT+8), and its
#: offset in seconds (the vectorised readers and writers add it). A fixed
#: offset on purpose: it is the wire format's own constant, not a setting; everything above the
#: codec uses :data:`hazrisk.localtime.BEIJING` (``[period] timezone`` in ``conf/rules.toml``).
WIRE_OFFSET_S = 8 * 3600
BEIJING = timezone(timedelta(seconds=WIRE_OFFSET_S))

STRING_ENCODING = "gb18030"  # a superset of GBK: decodes every GBK string identically

Body = dict[str, Any]


class Fatal(Exception):
    """The bytes cannot be read as the declared layout (rejection ``reason`` at ``field``)."""

    def __init__(self, reason: str, field: str, position: int, detail: str) -> None:
        self.reason = reason
        self.field = field
        self.position = position
        self.detail = detail
        super().__init__(f"{field}: {reason}: {detail}")


class Ctx:
    """Decoding context: strictness, and the frame offset used in strict-mode errors."""

    __slots__ = ("strict", "offset", "deviations")

    def __init__(self, strict: bool = False, offset: int = 0) -> None:
        self.strict = strict
        self.offset = offset
        self.deviations: list[str] = []

    def deviation(self, reason: str, field: str, position: int, detail: str) -> None:
        """A tolerated departure from the standard; raises in strict mode."""
        if self.strict:
            raise DecodeError(reason, field, self.offset, detail, position)
        self.deviations.append(f"{field}: {reason}: {detail}")


def join(path: str, name: str) -> str:
    """A field's path in messages: ``outer -> inner``."""
    return f"{path} -> {name}" if path else name


def require(body: Mapping[str, Any], key: str) -> Any:
    """``body[key]`` for encoding (:class:`EncodeError` naming the key when it is missing)."""
    try:
        return body[key]
    except KeyError:
        raise EncodeError(f"missing key {key!r}") from None
    except TypeError:
        raise EncodeError(f"expected a dict holding {key!r}, got {type(body).__name__}") from None


class Field:
    """A field of a layout. Subclasses are fixed-width (``fmt``) or variable-width."""

    name: str = ""
    #: struct format of a fixed-width field (``None`` for variable-width fields)
    fmt: str | None = None
    doc: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """Keys always present in a decoded body."""
        return (self.name,)

    @property
    def optional_keys(self) -> tuple[str, ...]:
        """Keys present only sometimes (e.g. ``device_time_bcd``)."""
        return ()

    # fixed-width fields
    def put(self, raw: Any, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        out[self.name] = raw

    def take(self, body: Mapping[str, Any]) -> Any:
        return require(body, self.name)

    # variable-width fields
    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        raise NotImplementedError

    def encode(self, body: Mapping[str, Any]) -> bytes:
        raise NotImplementedError

    @property
    def size(self) -> int:
        return struct.calcsize(">" + self.fmt) if self.fmt is not None else 0
