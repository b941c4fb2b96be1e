"""Field codecs: the vocabulary of the declarative message table.

JT/T 808-2019 §4.2 (数据类型): BYTE, WORD, DWORD (big-endian, §4.3), BYTE[n], BCD[n] and
STRING (GBK). Each :class:`Field` knows its wire width, its key in the body dictionary, its
scale and unit (the unit is part of the key: ``speed_kmh``), and how to encode and decode
itself. A :class:`Struct` is an ordered list of fields; consecutive fixed-width fields are
compiled into one :class:`struct.Struct` so a location block is a single ``unpack_from``.

The vocabulary lives in three modules, re-exported here (the one import path):
:mod:`~hazrisk.jt808.field_base` (constants, :class:`Ctx`, :class:`Fatal`, :class:`Field`),
:mod:`~hazrisk.jt808.field_fixed` (fixed-width fields) and
:mod:`~hazrisk.jt808.field_variable` (variable-width fields); this module holds the layouts
(:class:`Struct`, and :class:`When`, a conditional run of fields).

Decoding writes into a dictionary and never raises on plausible-but-odd data; it raises
:class:`Fatal` only when the bytes cannot be read as the declared layout (the frame is then
rejected with ``Fatal.reason``). Tolerated deviations go through :meth:`Ctx.deviation`, which
raises :class:`~hazrisk.jt808.errors.DecodeError` in strict mode.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hazrisk.jt808.errors import EncodeError
from hazrisk.jt808.field_base import (
    BEIJING,
    STRING_ENCODING,
    WIRE_OFFSET_S,
    Body,
    Ctx,
    Fatal,
    Field,
    join,
    require,
)
from hazrisk.jt808.field_fixed import (
    Bcd,
    BcdDate,
    BcdTime,
    ByteList,
    FixedStr,
    LatLon,
    SignMagnitude16,
    SInt,
    StatusWord,
    UInt,
    decode_string,
    encode_string,
    parse_bcd_time,
)
from hazrisk.jt808.field_variable import Const, LenStr, ListOf, Nested, RestHex, RestStr

# ---------------------------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------------------------


class When(Field):
    """Fields present only when ``predicate(body)`` holds on the keys decoded before them."""

    def __init__(
        self, predicate: Callable[[Mapping[str, Any]], bool], *fields: Field, doc: str = ""
    ) -> None:
        self.predicate, self.layout, self.doc = predicate, Struct(*fields), doc
        self.name = "|".join(f.name for f in fields)

    @property
    def keys(self) -> tuple[str, ...]:
        return ()

    @property
    def optional_keys(self) -> tuple[str, ...]:
        return self.layout.keys + self.layout.optional_keys

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        if self.predicate(out):
            return self.layout.decode(buf, pos, end, out, ctx, path)
        return pos

    def encode(self, body: Mapping[str, Any]) -> bytes:
        return self.layout.encode(body) if self.predicate(body) else b""


@dataclass(frozen=True)
class _Fixed:
    codec: struct.Struct
    fields: tuple[Field, ...]
    offsets: tuple[int, ...]


class Struct:
    """An ordered layout of fields; fixed-width runs are read with one ``unpack_from``."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields
        steps: list[_Fixed | Field] = []
        run: list[Field] = []

        def flush() -> None:
            if run:
                offsets, at = [], 0
                for f in run:
                    offsets.append(at)
                    at += f.size
                fmt = ">" + "".join(f.fmt or "" for f in run)
                steps.append(_Fixed(struct.Struct(fmt), tuple(run), tuple(offsets)))
                run.clear()

        for f in fields:
            if f.fmt is not None:
                run.append(f)
            else:
                flush()
                steps.append(f)
        flush()
        self.steps = tuple(steps)
        # the decode plan: (struct, bound put methods, offsets) or (None, bound decode, None)
        self._plan: tuple[tuple[Any, Any, Any], ...] = tuple(
            (st.codec, tuple(f.put for f in st.fields), st.offsets)
            if isinstance(st, _Fixed) else (None, st.decode, None)
            for st in steps
        )
        fixed = all(f.fmt is not None or isinstance(f, Const) for f in fields)
        self.fixed_size: int | None = sum(f.size for f in fields) if fixed else None

    def __add__(self, other: Struct) -> Struct:
        return Struct(*self.fields, *other.fields)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for f in self.fields for k in f.keys)

    @property
    def optional_keys(self) -> tuple[str, ...]:
        return tuple(k for f in self.fields for k in f.optional_keys)

    def walk(self) -> Iterable[Field]:
        return iter(self.fields)

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        """Decode into ``out`` from ``buf[pos:end]``; return the position after the layout."""
        for codec, run, offsets in self._plan:
            if codec is None:
                pos = run(buf, pos, end, out, ctx, path)
                continue
            if pos + codec.size > end:
                self._short(pos, end, path, codec)
            for put, raw, at in zip(run, codec.unpack_from(buf, pos), offsets):  # noqa: B905
                put(raw, out, ctx, path, pos + at)
            pos += codec.size
        return pos

    def _short(self, pos: int, end: int, path: str, codec: struct.Struct) -> None:
        step = next(st for st in self.steps if isinstance(st, _Fixed) and st.codec is codec)
        left = end - pos
        for f, at in zip(step.fields, step.offsets, strict=True):
            if at + f.size > left:
                raise Fatal(
                    "bad_body", join(path, f.name), pos + at,
                    f"needs {f.size} bytes, {max(left - at, 0)} left",
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def decode_exact(self, buf: bytes, pos: int, end: int, ctx: Ctx, path: str) -> Body:
        """Decode ``buf[pos:end]`` entirely; trailing bytes are ``bad_body``."""
        out: Body = {}
        stop = self.decode(buf, pos, end, out, ctx, path)
        if stop != end:
            raise Fatal("bad_body", path or "body", stop, f"{end - stop} bytes left after the layout")
        return out

    def encode(self, body: Mapping[str, Any]) -> bytes:
        if not isinstance(body, Mapping):
            raise EncodeError(f"expected a dict, got {type(body).__name__}")
        parts: list[bytes] = []
        for step in self.steps:
            if isinstance(step, _Fixed):
                raws = [f.take(body) for f in step.fields]
                try:
                    parts.append(step.codec.pack(*raws))
                except struct.error as exc:
                    names = ", ".join(f.name for f in step.fields)
                    raise EncodeError(f"{names}: {exc}") from None
            else:
                parts.append(step.encode(body))
        return b"".join(parts)


__all__ = [
    "BEIJING", "STRING_ENCODING", "WIRE_OFFSET_S", "Bcd", "BcdDate", "BcdTime", "Body",
    "ByteList", "Const", "Ctx", "Fatal", "Field", "FixedStr", "LatLon", "LenStr", "ListOf",
    "Nested", "RestHex", "RestStr", "SInt", "SignMagnitude16", "StatusWord", "Struct", "UInt",
    "When", "decode_string", "encode_string", "join", "parse_bcd_time", "require",
]
