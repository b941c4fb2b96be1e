"""Fixed-width field codecs (:mod:`hazrisk.jt808.fields`): BYTE/WORD/DWORD integers with
their scale and unit, the sign-magnitude and status words, latitude/longitude, BCD times and
dates (Beijing time), BCD digit strings, byte lists and NUL-padded GBK strings
(JT/T 808-2019 §4.2). A :class:`~hazrisk.jt808.fields.Struct` reads a run of them with one
``unpack_from``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from hazrisk.jt808.errors import DecodeError, EncodeError
from hazrisk.jt808.field_base import BEIJING, STRING_ENCODING, Body, Ctx, Field, join, require

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
        value = require(body, self.name)
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
        value = require(body, self.name)
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
        value = require(body, self.name)
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
        value = require(body, self.name)
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
        value = require(body, self.name)
        if value is None:
            return _fixed_hex(self.bcd_key, require(body, self.bcd_key), self.width)
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
        raw = encode_string(self.name, require(body, self.name))
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
        value = require(body, self.name)
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
        value = require(body, self.name)
        try:
            raw = bytes(value)
        except (TypeError, ValueError):
            raise EncodeError(f"{self.name}: expected {self.width} ints 0..255") from None
        if len(raw) != self.width:
            raise EncodeError(f"{self.name}: {len(raw)} values, expected {self.width}")
        return raw
