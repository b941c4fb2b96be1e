"""Field codecs: the vocabulary of the declarative message table.

JT/T 808-2019 §4.2 (数据类型): BYTE, WORD, DWORD (big-endian, §4.3), BYTE[n], BCD[n] and
STRING (GBK). Each :class:`Field` knows its wire width, its key in the body dictionary, its
scale and unit (the unit is part of the key: ``speed_kmh``), and how to encode and decode
itself. A :class:`Struct` is an ordered list of fields; consecutive fixed-width fields are
compiled into one :class:`struct.Struct` so a location block is a single ``unpack_from``.

Decoding writes into a dictionary and never raises on plausible-but-odd data; it raises
:class:`Fatal` only when the bytes cannot be read as the declared layout (the frame is then
rejected with ``Fatal.reason``). Tolerated deviations go through :meth:`Ctx.deviation`, which
raises :class:`~hazrisk.jt808.errors.DecodeError` in strict mode.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
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
    return f"{path} -> {name}" if path else name


def _require(body: Mapping[str, Any], key: str) -> Any:
    try:
        return body[key]
    except KeyError:
        raise EncodeError(f"missing key {key!r}") from None
    except TypeError:
        raise EncodeError(f"expected a dict holding {key!r}, got {type(body).__name__}") from None


# ---------------------------------------------------------------------------------------------
# Field base classes
# ---------------------------------------------------------------------------------------------


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
        return _require(body, self.name)

    # variable-width fields
    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        raise NotImplementedError

    def encode(self, body: Mapping[str, Any]) -> bytes:
        raise NotImplementedError

    @property
    def size(self) -> int:
        return struct.calcsize(">" + self.fmt) if self.fmt is not None else 0


_UFMT = {1: "B", 2: "H", 4: "I", 8: "Q"}
_SFMT = {1: "b", 2: "h", 4: "i", 8: "q"}


class UInt(Field):
    """Unsigned BYTE/WORD/DWORD; ``div`` scales the wire integer (value = raw / div)."""

    def __init__(self, name: str, width: int, div: int = 1, doc: str = "") -> None:
        self.name, self.width, self.div, self.doc = name, width, div, doc
        self.fmt = _UFMT[width]
        self.max = (1 << (8 * width)) - 1

    def put(self, raw: int, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        out[self.name] = raw if self.div == 1 else raw / self.div

    def take(self, body: Mapping[str, Any]) -> int:
        value = _require(body, self.name)
        try:
            raw = int(value) if self.div == 1 else round(value * self.div)
        except (TypeError, ValueError):
            raise EncodeError(f"{self.name}: not a number: {value!r}") from None
        if self.div == 1 and raw != value:
            raise EncodeError(f"{self.name}: not an integer: {value!r}")
        if not 0 <= raw <= self.max:
            raise EncodeError(f"{self.name}: {value!r} outside the {8 * self.width}-bit range")
        return raw


class SInt(UInt):
    """Two's-complement WORD/DWORD (altitude: negative metres below sea level)."""

    def __init__(self, name: str, width: int, doc: str = "") -> None:
        super().__init__(name, width, 1, doc)
        self.fmt = _SFMT[width]
        self.min = -(1 << (8 * width - 1))
        self.max = (1 << (8 * width - 1)) - 1

    def take(self, body: Mapping[str, Any]) -> int:
        value = _require(body, self.name)
        if not isinstance(value, int) or not self.min <= value <= self.max:
            raise EncodeError(f"{self.name}: {value!r} not a {8 * self.width}-bit signed int")
        return value


class SignMagnitude16(UInt):
    """WORD whose top bit is the sign (2019 item 0x06, carriage temperature in °C)."""

    def __init__(self, name: str, doc: str = "") -> None:
        super().__init__(name, 2, 1, doc)

    def put(self, raw: int, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        out[self.name] = -(raw & 0x7FFF) if raw & 0x8000 else raw

    def take(self, body: Mapping[str, Any]) -> int:
        value = _require(body, self.name)
        if not isinstance(value, int) or not -0x7FFF <= value <= 0x7FFF:
            raise EncodeError(f"{self.name}: {value!r} outside -32767..32767")
        return (0x8000 | -value) if value < 0 else value


class StatusWord(UInt):
    """The 0x0200 status DWORD; encoding sets bits 2/3 when latitude/longitude are negative."""

    def __init__(self, name: str, sign_bits: Mapping[str, int], doc: str = "") -> None:
        super().__init__(name, 4, 1, doc)
        self.sign_bits = {key: int(bit) for key, bit in sign_bits.items()}

    def take(self, body: Mapping[str, Any]) -> int:
        raw = super().take(body)
        for key, bit in self.sign_bits.items():
            value = body.get(key)
            if isinstance(value, int | float) and value < 0:
                raw |= bit
        return raw


class LatLon(UInt):
    """Latitude/longitude: unsigned DWORD of 1e-6 degrees; the sign comes from a status bit.

    JT/T 808-2019 table 23: 纬度/经度 DWORD, 以度为单位的值乘以 10 的 6 次方; the hemisphere
    is status bit 2 (south) / bit 3 (west).
    """

    def __init__(self, name: str, status_key: str, sign_bit: int, doc: str = "") -> None:
        super().__init__(name, 4, 1_000_000, doc)
        self.status_key, self.sign_bit = status_key, int(sign_bit)

    def put(self, raw: int, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        value = raw / 1_000_000
        out[self.name] = -value if raw and out.get(self.status_key, 0) & self.sign_bit else value

    def take(self, body: Mapping[str, Any]) -> int:
        value = _require(body, self.name)
        if not isinstance(value, int | float):
            raise EncodeError(f"{self.name}: not a number: {value!r}")
        raw = round(abs(value) * 1_000_000)
        if raw > self.max:
            raise EncodeError(f"{self.name}: {value!r} too large")
        return raw


def _bcd_int(b: int) -> int:
    return (b >> 4) * 10 + (b & 0x0F) if (b >> 4) < 10 and (b & 0x0F) < 10 else -1


def parse_bcd_time(raw: bytes) -> datetime | None:
    """BCD[6] ``YYMMDDhhmmss`` in Beijing time -> aware datetime (None when not a real time).

    >>> parse_bcd_time(bytes.fromhex('181015101010')).isoformat()
    '2018-10-15T10:10:10+08:00'
    >>> parse_bcd_time(bytes.fromhex('181315101010')) is None
    True
    """
    yy, mo, dd, hh, mi, ss = (_bcd_int(b) for b in raw)
    if min(yy, mo, dd, hh, mi, ss) < 0:
        return None
    try:
        return datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=BEIJING)
    except ValueError:
        return None


def _to_bcd(digits: str) -> bytes:
    return bytes.fromhex(digits)


def _as_beijing(name: str, value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise EncodeError(f"{name}: not an ISO 8601 time: {value!r}") from None
    if not isinstance(value, datetime):
        raise EncodeError(f"{name}: expected a datetime, got {value!r}")
    value = value.replace(tzinfo=BEIJING) if value.tzinfo is None else value.astimezone(BEIJING)
    if not 2000 <= value.year <= 2099:
        raise EncodeError(f"{name}: {value.isoformat()} outside 2000..2099 (BCD YY)")
    return value


class _BcdStamp(Field):
    """A BCD time stamp: an invalid one decodes to ``None`` with the raw digits under
    ``<name>_bcd`` (in strict mode it raises ``invalid_bcd_time``); encoding takes either a
    value or, for ``None``, the ``<name>_bcd`` digits back."""

    width = 0
    what = ""  # "time" / "date", for messages

    def __init__(self, name: str, doc: str = "") -> None:
        self.name, self.doc = name, doc
        self.bcd_key = f"{name}_bcd"
        self.fmt = f"{self.width}s"

    @property
    def optional_keys(self) -> tuple[str, ...]:
        return (self.bcd_key,)

    def parse(self, raw: bytes) -> Any:
        raise NotImplementedError

    def digits(self, value: Any) -> str:
        raise NotImplementedError

    def put(self, raw: bytes, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        value = self.parse(raw)
        out[self.name] = value
        if value is None:
            out[self.bcd_key] = raw.hex()
            if ctx.strict:
                raise DecodeError(
                    "invalid_bcd_time", join(path, self.name), ctx.offset,
                    f"BCD {raw.hex()} is not a {self.what}", pos,
                )

    def take(self, body: Mapping[str, Any]) -> bytes:
        value = _require(body, self.name)
        if value is None:
            return _fixed_hex(self.bcd_key, _require(body, self.bcd_key), self.width)
        return _to_bcd(self.digits(value))


class BcdTime(_BcdStamp):
    """BCD[6] ``YYMMDDhhmmss``, Beijing time -> aware datetime."""

    width, what = 6, "time"

    def parse(self, raw: bytes) -> datetime | None:
        return parse_bcd_time(raw)

    def digits(self, value: Any) -> str:
        return _as_beijing(self.name, value).strftime("%y%m%d%H%M%S")


class BcdDate(_BcdStamp):
    """BCD[4] ``YYYYMMDD`` -> date."""

    width, what = 4, "date"

    def parse(self, raw: bytes) -> date | None:
        parts = [_bcd_int(b) for b in raw]
        if min(parts) < 0:
            return None
        try:
            return date(parts[0] * 100 + parts[1], parts[2], parts[3])
        except ValueError:
            return None

    def digits(self, value: Any) -> str:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise EncodeError(f"{self.name}: not an ISO date: {value!r}") from None
        if not isinstance(value, date):
            raise EncodeError(f"{self.name}: expected a date, got {value!r}")
        return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _fixed_hex(name: str, value: Any, width: int) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise EncodeError(f"{name}: not hex: {value!r}") from None
    if len(raw) != width:
        raise EncodeError(f"{name}: {len(raw)} bytes, expected {width}")
    return raw


def decode_string(raw: bytes) -> str:
    """STRING (GBK) with NUL padding/termination stripped from both ends."""
    return raw.strip(b"\x00").decode(STRING_ENCODING, errors="replace")


def encode_string(name: str, value: Any) -> bytes:
    if not isinstance(value, str):
        raise EncodeError(f"{name}: expected a string, got {value!r}")
    try:
        return value.encode(STRING_ENCODING)
    except UnicodeEncodeError as exc:
        raise EncodeError(f"{name}: {exc}") from None


class FixedStr(Field):
    """STRING in a fixed BYTE[n] field, NUL-padded (JT/T 808-2019 §4.2: 位数不足后补 0x00)."""

    def __init__(self, name: str, width: int, doc: str = "") -> None:
        self.name, self.width, self.doc = name, width, doc
        self.fmt = f"{width}s"

    def put(self, raw: bytes, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        out[self.name] = decode_string(raw)

    def take(self, body: Mapping[str, Any]) -> bytes:
        raw = encode_string(self.name, _require(body, self.name))
        if len(raw) > self.width:
            raise EncodeError(f"{self.name}: {len(raw)} bytes, the field holds {self.width}")
        return raw  # struct pads with NUL


class Bcd(Field):
    """BCD[n] digit string (hex nibbles kept as they are when not decimal)."""

    def __init__(self, name: str, width: int, doc: str = "") -> None:
        self.name, self.width, self.doc = name, width, doc
        self.fmt = f"{width}s"

    def put(self, raw: bytes, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        out[self.name] = raw.hex()

    def take(self, body: Mapping[str, Any]) -> bytes:
        value = _require(body, self.name)
        if not isinstance(value, str) or len(value) > 2 * self.width:
            raise EncodeError(f"{self.name}: at most {2 * self.width} digits: {value!r}")
        return _fixed_hex(self.name, value.rjust(2 * self.width, "0"), self.width)


class ByteList(Field):
    """BYTE[n] as a list of n integers."""

    def __init__(self, name: str, width: int, doc: str = "") -> None:
        self.name, self.width, self.doc = name, width, doc
        self.fmt = f"{width}s"

    def put(self, raw: bytes, out: Body, ctx: Ctx, path: str, pos: int) -> None:
        out[self.name] = list(raw)

    def take(self, body: Mapping[str, Any]) -> bytes:
        value = _require(body, self.name)
        try:
            raw = bytes(value)
        except (TypeError, ValueError):
            raise EncodeError(f"{self.name}: expected {self.width} ints 0..255") from None
        if len(raw) != self.width:
            raise EncodeError(f"{self.name}: {len(raw)} values, expected {self.width}")
        return raw


# ---------------------------------------------------------------------------------------------
# Variable-width fields
# ---------------------------------------------------------------------------------------------


class RestStr(Field):
    """STRING filling the rest of the body (NUL terminator/padding stripped)."""

    def __init__(self, name: str, doc: str = "") -> None:
        self.name, self.doc = name, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        out[self.name] = decode_string(buf[pos:end])
        return end

    def encode(self, body: Mapping[str, Any]) -> bytes:
        return encode_string(self.name, _require(body, self.name))


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
        raw = encode_string(self.name, _require(body, self.name))
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
        value = _require(body, self.name)
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
        return self.layout.encode(_require(body, self.name))


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
        values = _require(body, self.name)
        if not isinstance(values, list) or len(values) > 255:
            raise EncodeError(f"{self.name}: expected a list of at most 255 entries")
        return bytes([len(values)]) + b"".join(self.layout.encode(v) for v in values)


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


# ---------------------------------------------------------------------------------------------
# Struct: an ordered layout
# ---------------------------------------------------------------------------------------------


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
