"""Message header: 2011/2013 (BCD[6] phone) and 2019 (version byte + BCD[10] phone).

JT/T 808-2019 §4.4.3 (消息头), table 2 (2013: table 2 as well):

===========  ========  =====================================================
field        type      notes
===========  ========  =====================================================
msg_id       WORD
properties   WORD      bits 0-9 body length, 10-12 encryption, 13 subpackage,
                       14 version flag (2019), 15 reserved
proto_ver    BYTE      2019 only (version flag set)
phone        BCD[6]    BCD[10] in 2019
serial       WORD
total        WORD      only when the subpackage bit is set
index        WORD      1-based
===========  ========  =====================================================

Some 2013 terminals set the version flag anyway. The 2019 reading of such a frame makes no
sense (its phone is not BCD or its length disagrees); :func:`read_header` then falls back to
the 2013 layout when that reading is consistent, and says so (``fallback``).
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass

BODY_LENGTH_MASK = 0x03FF
ENCRYPTION_MASK = 0x1C00
SUBPACKAGE_BIT = 0x2000
VERSION_BIT = 0x4000
MAX_BODY = BODY_LENGTH_MASK

HEADER_2013 = 12
HEADER_2019 = 17
SUBPACKAGE_FIELDS = 4

_HEAD = struct.Struct(">HH")
_TAIL = struct.Struct(">H")
_PKG = struct.Struct(">HH")


@dataclass(frozen=True, slots=True)
class Header:
    """A parsed message header.

    ``size`` is the header length in bytes; the frame content (unescaped, flags excluded) is
    ``size + body_length + 1`` bytes when consistent. ``version`` is 2013 or 2019 (2011 frames
    share the 2013 header; only the 0x0100 body tells them apart).
    """

    msg_id: int
    properties: int
    body_length: int
    encryption: int
    version: int
    protocol_version: int | None
    phone: str
    phone_valid: bool
    serial: int
    total: int | None
    index: int | None
    size: int
    fallback: bool = False

    @property
    def subpackaged(self) -> bool:
        return self.total is not None


class HeaderError(ValueError):
    """The content is too short for the header it announces."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        super().__init__(detail)


#: The 100 bytes whose two nibbles are decimal digits.
_BCD_BYTES = bytes(hi << 4 | lo for hi in range(10) for lo in range(10))


def bcd_valid(data: bytes) -> bool:
    """True when every nibble of ``data`` is a decimal digit (deleting the BCD bytes leaves
    nothing: one C call, run for every frame's phone).

    >>> bcd_valid(bytes.fromhex('0123')), bcd_valid(bytes.fromhex('0a'))
    (True, False)
    """
    return not data.translate(None, _BCD_BYTES)


def parse_as(content: bytes, version: int) -> Header:
    """Parse with the layout of ``version`` (2013 or 2019) regardless of the version flag."""
    n = len(content)
    if n < 4:
        raise HeaderError("header -> properties", f"{n} bytes, the header needs at least 4")
    msg_id, props = _HEAD.unpack_from(content, 0)
    sub = bool(props & SUBPACKAGE_BIT)
    if version == 2019:
        size, phone_at, phone_len = HEADER_2019, 5, 10
    else:
        size, phone_at, phone_len = HEADER_2013, 4, 6
    if sub:
        size += SUBPACKAGE_FIELDS
    if n < size + 1:
        raise HeaderError(
            "header", f"{n} bytes, a {version} header{' with subpackage' if sub else ''} "
            f"and check code need {size + 1}"
        )
    phone_raw = content[phone_at : phone_at + phone_len]
    (serial,) = _TAIL.unpack_from(content, phone_at + phone_len)
    total = index = None
    if sub:
        total, index = _PKG.unpack_from(content, phone_at + phone_len + 2)
    return Header(
        msg_id=msg_id,
        properties=props,
        body_length=props & BODY_LENGTH_MASK,
        encryption=(props & ENCRYPTION_MASK) >> 10,
        version=version,
        protocol_version=content[4] if version == 2019 else None,
        phone=phone_raw.hex(),
        phone_valid=bcd_valid(phone_raw),
        serial=serial,
        total=total,
        index=index,
        size=size,
    )


def consistent_length(header: Header, content_length: int) -> bool:
    return content_length == header.size + header.body_length + 1


def read_header(content: bytes) -> Header:
    """Parse the header of unescaped frame content (check code included, flags excluded).

    The version flag selects the 2019 layout. When that reading has a non-BCD phone or an
    inconsistent length and the 2013 reading is consistent with a BCD phone, the 2013 reading
    is returned with ``fallback=True``.

    Raises
    ------
    HeaderError
        Content too short for the header (rejection reason ``header_too_short``).
    """
    if len(content) >= 4 and content[2] & (VERSION_BIT >> 8):
        try:
            h19: Header | None = parse_as(content, 2019)
        except HeaderError:
            h19 = None
        if h19 is not None and h19.phone_valid and consistent_length(h19, len(content)):
            return h19
        try:
            h13 = parse_as(content, 2013)
        except HeaderError:
            h13 = None
        if h13 is not None and h13.phone_valid and consistent_length(h13, len(content)):
            return dataclasses.replace(h13, fallback=True)
        if h19 is None:
            return parse_as(content, 2019)  # raises the 2019 reading's HeaderError
        return h19
    return parse_as(content, 2013)


def build_header(
    msg_id: int,
    body_length: int,
    *,
    phone: str,
    serial: int,
    version: int = 2013,
    total: int | None = None,
    index: int | None = None,
    encryption: int = 0,
    protocol_version: int = 1,
) -> bytes:
    """Encode a header; ``version`` 2011/2013 give the 2013 layout, 2019 the 2019 layout.

    ``phone`` is decimal digits, left-padded with zeros to 12 (2013) or 20 (2019) digits.
    """
    from hazrisk.jt808.errors import EncodeError

    if not 0 <= body_length <= MAX_BODY:
        raise EncodeError(f"body of {body_length} bytes exceeds {MAX_BODY}; use encode_subpackages")
    digits = 20 if version == 2019 else 12
    if not (phone.isdigit() and phone.isascii()) or len(phone) > digits:
        raise EncodeError(f"phone {phone!r}: at most {digits} decimal digits")
    if not 0 <= serial <= 0xFFFF:
        raise EncodeError(f"serial {serial} outside 0..65535")
    props = body_length | ((encryption & 0x7) << 10)
    if total is not None:
        props |= SUBPACKAGE_BIT
    if version == 2019:
        props |= VERSION_BIT
    out = bytearray(_HEAD.pack(msg_id & 0xFFFF, props))
    if version == 2019:
        out.append(protocol_version & 0xFF)
    out += bytes.fromhex(phone.rjust(digits, "0"))
    out += _TAIL.pack(serial)
    if total is not None:
        out += _PKG.pack(total, index or 0)
    return bytes(out)
