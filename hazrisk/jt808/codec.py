"""Frame and body codec, driven by the message table.

Decoding order (JT/T 808-2019 §4.4, 接收消息时: 转义还原 -> 验证校验码 -> 解析消息), and the
first failure names the rejection reason:

1. unescape (``bad_escape``);
2. header (``header_too_short``; in strict mode a non-BCD phone or a 2019-flag fallback is
   ``invalid_bcd``);
3. closing flag present and content length = header + declared body length + check code
   (``truncated`` / ``body_length_mismatch``);
4. XOR check code (``bad_checksum``);
5. body, by the table (``bad_body``, ``item_overrun``; strict: ``item_bad_length``,
   ``invalid_bcd_time``);
6. plausibility of location fixes (``quality`` flags; strict: the standard's physical ranges).

Subpackage fragments are not decoded alone (``body`` None, fragment in ``raw_body``); the
stream reader reassembles them. Encrypted bodies (properties bits 10-12 non-zero) are kept as
``{"raw_hex": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hazrisk.jt808.errors import DecodeError, EncodeError
from hazrisk.jt808.fields import Body, Ctx, Fatal
from hazrisk.jt808.framing import EscapeError, checksum, escape, unescape
from hazrisk.jt808.header import MAX_BODY, Header, HeaderError, build_header, parse_as, read_header
from hazrisk.jt808.messages import MESSAGES
from hazrisk.jt808.quality import physical_problem, quality_flags
from hazrisk.jt808.record import Record

VERSIONS = (2011, 2013, 2019)


@dataclass(slots=True)
class Prepared:
    """Escaped frame content, unescaped and with its header read (or the error)."""

    content: bytes | None
    header: Header | None
    escape_error: EscapeError | None = None
    header_error: HeaderError | None = None

    @property
    def consistent(self) -> bool:
        h, c = self.header, self.content
        return h is not None and c is not None and len(c) == h.size + h.body_length + 1


def prepare(escaped: bytes) -> Prepared:
    """Unescape frame content (flags excluded) and read its header; never raises."""
    try:
        content = unescape(escaped)
    except EscapeError as exc:
        best = escaped.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")
        try:
            header: Header | None = read_header(best)
        except HeaderError:
            header = None
        return Prepared(None, header, escape_error=exc)
    try:
        return Prepared(content, read_header(content))
    except HeaderError as exc:
        return Prepared(content, None, header_error=exc)


# --------------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------------


def _decode_body(msg_id: int, data: bytes, version: int, ctx: Ctx) -> tuple[Body, int]:
    """(body, layout version); raises :class:`Fatal` when the body does not fit its layout."""
    spec = MESSAGES.get(msg_id)
    if spec is None:
        return {"raw_hex": data.hex()}, version
    layout_version = spec.pick(version, data)
    body = spec.layouts[layout_version].decode_exact(data, 0, len(data), ctx, "body")
    return body, layout_version


def _check_physical(msg_id: int, body: Body, ctx: Ctx, position: int) -> None:
    spec = MESSAGES.get(msg_id)
    if spec is None:
        return
    for i, loc in enumerate(spec.locations(body)):
        problem = physical_problem(loc)
        if problem is not None:
            reason, key, detail = problem
            where = "body" if msg_id == 0x0200 else (
                f"body -> positions[{i}]" if msg_id == 0x0704 else "body -> location"
            )
            raise DecodeError(reason, f"{where} -> {key}", ctx.offset, detail, position)


def _quality(msg_id: int, body: Body) -> list[str]:
    spec = MESSAGES.get(msg_id)
    return quality_flags(spec.locations(body)) if spec is not None else []


def decode_body(
    msg_id: int, body: bytes, version: int = 2013, *, strict: bool = False
) -> dict[str, Any]:
    """Decode a message body (unescaped, header and check code excluded) by the table.

    Parameters
    ----------
    msg_id
        The message id (e.g. ``0x0200``); ids not in the table give ``{"raw_hex": ...}``.
    body
        The body bytes.
    version
        2011, 2013 or 2019 (selects the layout; JT/T 808-2019 §8).
    strict
        Also refuse tolerated deviations and physically impossible values.

    Raises
    ------
    DecodeError
        When the body does not fit its layout (``bad_body``, ``item_overrun``...).
    """
    ctx = Ctx(strict=strict)
    try:
        out, _ = _decode_body(msg_id, bytes(body), version, ctx)
    except Fatal as exc:
        raise DecodeError(exc.reason, exc.field, 0, exc.detail, exc.position) from None
    if strict:
        _check_physical(msg_id, out, ctx, 0)
    return out


def encode_body(msg_id: int, body: Mapping[str, Any], version: int = 2013) -> bytes:
    """Encode a body dictionary (as :func:`decode_body` returns it) to bytes.

    ``{"raw_hex": ...}`` is accepted for any message id.

    Raises
    ------
    EncodeError
        Missing keys, values out of range, unknown message id without ``raw_hex``.
    """
    if version not in VERSIONS:
        raise EncodeError(f"version {version} is not one of {VERSIONS}")
    if isinstance(body, Mapping) and set(body) == {"raw_hex"}:
        try:
            return bytes.fromhex(body["raw_hex"])
        except (TypeError, ValueError):
            raise EncodeError("raw_hex is not hex") from None
    spec = MESSAGES.get(msg_id)
    if spec is None:
        raise EncodeError(f"message 0x{msg_id:04X} is not in the table: give {{'raw_hex': ...}}")
    return spec.layouts[spec.pick(version)].encode(body)


def _wrap(content: bytes) -> bytes:
    return b"\x7e" + escape(content + bytes([checksum(content)])) + b"\x7e"


def encode_message(
    msg_id: int,
    body: Mapping[str, Any],
    *,
    phone: str,
    serial: int,
    version: int = 2013,
) -> bytes:
    """A whole frame: ``7E`` + escaped(header + body + check code) + ``7E``.

    Parameters
    ----------
    msg_id
        Message id.
    body
        Body dictionary as decoding produces it (negative ``lat_deg``/``lon_deg`` set status
        bits 2/3).
    phone
        Terminal phone, decimal digits (left-padded with zeros to 12, or 20 for 2019).
    serial
        Message serial number 0..65535.
    version
        2011/2013 (2013 header) or 2019 (2019 header with protocol version 1).

    Raises
    ------
    EncodeError
        Bad body, phone or serial, or a body longer than 1023 bytes (use
        :func:`encode_subpackages`).
    """
    data = encode_body(msg_id, body, version)
    header = build_header(msg_id, len(data), phone=phone, serial=serial, version=version)
    return _wrap(header + data)


def encode_subpackages(
    msg_id: int,
    body: Mapping[str, Any],
    *,
    phone: str,
    serial: int,
    version: int = 2013,
    max_body: int = MAX_BODY,
) -> list[bytes]:
    """Encode a body as subpackage frames of at most ``max_body`` body bytes each.

    JT/T 808-2019 §4.4.3 (消息包封装项): every frame carries the total count and its 1-based
    index; serials are ``serial, serial + 1, ...`` (mod 65536). A body that fits in one frame
    still gives one subpackage frame (total 1).
    """
    if not 1 <= max_body <= MAX_BODY:
        raise EncodeError(f"max_body {max_body} outside 1..{MAX_BODY}")
    data = encode_body(msg_id, body, version)
    chunks = [data[i : i + max_body] for i in range(0, len(data), max_body)] or [b""]
    if len(chunks) > 0xFFFF:
        raise EncodeError(f"{len(chunks)} subpackages exceed 65535")
    frames = []
    for index, chunk in enumerate(chunks, 1):
        header = build_header(
            msg_id, len(chunk), phone=phone, serial=(serial + index - 1) & 0xFFFF,
            version=version, total=len(chunks), index=index,
        )
        frames.append(_wrap(header + chunk))
    return frames


# --------------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------------


def decode_frame(frame: bytes, *, strict: bool = False, offset: int = 0) -> Record:
    """Decode one frame, both 0x7E delimiters included.

    Parameters
    ----------
    frame
        ``7E ... 7E`` as on the wire (escaped).
    strict
        Raise :class:`~hazrisk.jt808.errors.DecodeError` (a ``ValueError``) for the first
        problem instead of returning a ``rejected`` record; also refuse tolerated deviations
        (non-BCD phone, 2019-flag fallback, non-standard item lengths, invalid BCD times) and
        physically impossible values.
    offset
        Offset of the frame in its stream (reported in the record and in errors).

    Returns
    -------
    Record
        ``ok`` (possibly with ``quality`` flags) or ``rejected`` with a reason.
    """
    frame = bytes(frame)
    has_open = frame[:1] == b"\x7e"
    has_close = len(frame) >= 2 and frame[-1:] == b"\x7e"
    escaped = frame[1 if has_open else 0 : -1 if has_close else len(frame)]
    return decode_escaped(
        escaped, offset=offset, length=len(frame), strict=strict,
        has_open=has_open, has_close=has_close,
    )


def decode_escaped(
    escaped: bytes,
    *,
    offset: int,
    length: int,
    strict: bool = False,
    has_open: bool = True,
    has_close: bool = True,
    prepared: Prepared | None = None,
) -> Record:
    """Decode escaped frame content (flags excluded) into a :class:`Record`."""
    p = prepared if prepared is not None else prepare(escaped)
    rec = Record(offset=offset, length=length, status="rejected")
    h = p.header
    if h is not None:
        rec.msg_id, rec.phone, rec.serial, rec.version = h.msg_id, h.phone, h.serial, h.version
        if h.total is not None:
            rec.subpackage = {"total": h.total, "index": h.index}

    def reject(reason: str, field: str, detail: str, position: int | None = None) -> Record:
        if strict:
            raise DecodeError(reason, field, offset, detail, position)
        rec.reason = reason
        rec.detail = f"{field}: {detail}"
        return rec

    if h is not None and not (has_open and has_close):
        which = "start" if not has_open else "end"
        if p.content is not None:
            rec.raw_body = p.content[h.size : h.size + h.body_length]
        return reject("truncated", f"frame -> {which}_flag", f"no {which} flag (0x7E)")
    if p.escape_error is not None:
        return reject("bad_escape", "frame", str(p.escape_error), p.escape_error.position)
    content = p.content
    assert content is not None
    if h is None:
        err = p.header_error
        return reject("header_too_short", err.field if err else "header", str(err))
    notes = []
    if h.fallback:
        if strict:
            _strict_2019_problem(content, offset)
        notes.append("version flag set on a 2013-layout frame: read as 2013")
    if not h.phone_valid:
        if strict:
            raise DecodeError("invalid_bcd", "header -> phone", offset, f"{h.phone} is not BCD", 4)
        notes.append(f"header -> phone: {h.phone} is not BCD")
    end = len(content)
    need = h.size + h.body_length + 1
    if end < need:
        rec.raw_body = content[h.size : end - 1]
        return reject(
            "truncated", "header -> body_length",
            f"declares {h.body_length} body bytes, {end - 1 - h.size} present", end,
        )
    if end > need:
        rec.raw_body = content[h.size : end - 1]
        return reject(
            "body_length_mismatch", "header -> body_length",
            f"declares {h.body_length} body bytes, {end - 1 - h.size} present", need,
        )
    data = content[h.size : end - 1]
    rec.raw_body = data
    code = checksum(content[:-1])
    if code != content[-1]:
        return reject(
            "bad_checksum", "check_code",
            f"computed 0x{code:02X}, frame carries 0x{content[-1]:02X}", end - 1,
        )
    if notes:
        rec.detail = "; ".join(notes)
    if h.total is not None:
        rec.status = "ok"
        return rec
    if h.encryption:
        rec.status = "ok"
        rec.body = {"raw_hex": data.hex()}
        rec.detail = "; ".join([*notes, f"encrypted body (properties encryption={h.encryption})"])
        return rec
    return _finish_body(rec, h.msg_id, data, h.version, strict, offset, h.size, reject)


def _finish_body(
    rec: Record,
    msg_id: int,
    data: bytes,
    version: int,
    strict: bool,
    offset: int,
    body_at: int,
    reject: Callable[[str, str, str, int | None], Record],
) -> Record:
    ctx = Ctx(strict=strict, offset=offset)
    try:
        body, layout_version = _decode_body(msg_id, data, version, ctx)
    except Fatal as exc:
        return reject(exc.reason, exc.field, exc.detail, body_at + exc.position)
    except DecodeError as exc:  # strict deviations: positions are body-relative
        if exc.position is not None:
            exc.position += body_at
            exc.args = (exc._message(),)
        raise
    if strict:
        _check_physical(msg_id, body, ctx, body_at)
    rec.status = "ok"
    rec.body = body
    if layout_version == 2011:
        rec.version = 2011
    rec.quality = _quality(msg_id, body)
    if ctx.deviations:
        extra = "; ".join(ctx.deviations)
        rec.detail = f"{rec.detail}; {extra}" if rec.detail else extra
    return rec


def decode_reassembled(
    rec: Record, msg_id: int, data: bytes, version: int, *, strict: bool = False
) -> Record:
    """Decode the concatenated body of a completed subpackage group into ``rec``."""
    rec.raw_body = data

    def reject(reason: str, field: str, detail: str, position: int | None = None) -> Record:
        if strict:
            raise DecodeError(reason, field, rec.offset, detail, position)
        rec.status = "rejected"
        rec.reason = reason
        rec.detail = f"{field}: {detail}"
        return rec

    return _finish_body(rec, msg_id, data, version, strict, rec.offset, 0, reject)


def _strict_2019_problem(content: bytes, offset: int) -> None:
    """Raise the problem of the 2019 reading of a frame that fell back to 2013."""
    try:
        h19 = parse_as(content, 2019)
    except HeaderError as exc:
        raise DecodeError("header_too_short", exc.field, offset, str(exc)) from None
    if not h19.phone_valid:
        raise DecodeError(
            "invalid_bcd", "header -> phone", offset,
            f"version flag set but the 2019 phone {h19.phone} is not BCD", 5,
        )
    need = h19.size + h19.body_length + 1
    reason = "truncated" if len(content) < need else "body_length_mismatch"
    raise DecodeError(
        reason, "header -> body_length", offset,
        f"version flag set but the 2019 header declares {need} bytes, {len(content)} present",
    )
