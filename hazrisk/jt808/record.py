"""The :class:`Record`: one frame, garbage span or reassembled message of a stream."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hazrisk.jt808.fields import BEIJING


@dataclass(slots=True)
class Record:
    """One span of a stream (or one decoded frame).

    Attributes
    ----------
    offset, length
        Where the span lies in the input: byte offset and length (decompressed bytes for gzip,
        text bytes for hex logs). Over a stream, the lengths add up to the input size.
        Reassembled messages and incomplete-group reports have length 0.
    status
        ``ok``, ``rejected`` or ``garbage``.
    reason
        For ``rejected``/``garbage``: a name from :data:`hazrisk.jt808.errors.REASONS`.
    quality
        Plausibility flags of the location fixes in the body (``ok`` records only).
    msg_id, phone, serial, version, subpackage
        From the header when it parsed (kept for rejected frames too). ``phone`` is the BCD
        digits as on the wire (leading zeros kept); ``version`` 2011, 2013 or 2019;
        ``subpackage`` ``{"total", "index"}`` or None.
    recv_time, direction, line
        From a hex log line (receive time as aware datetime, ``RECV``/``SEND``, line number).
    body
        The decoded body (``ok`` records; None for a subpackage fragment).
    raw_body
        The unescaped body bytes (or a fragment), kept for every frame whose header parsed.
    reassembled_from
        Offsets of the subpackage frames a reassembled message (or incomplete group) came from.
    detail
        Where and why a frame was rejected (``header -> body_length: ...``), or notes.
    """

    offset: int
    length: int
    status: str
    reason: str | None = None
    quality: list[str] = field(default_factory=list)
    msg_id: int | None = None
    phone: str | None = None
    serial: int | None = None
    version: int | None = None
    subpackage: dict[str, Any] | None = None
    recv_time: datetime | None = None
    direction: str | None = None
    body: dict[str, Any] | None = None
    raw_body: bytes | None = None
    reassembled_from: list[int] | None = None
    line: int | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self, *, raw: bool = True) -> dict[str, Any]:
        """A JSON-serialisable dict: times ISO 8601 (+08:00), bytes as lowercase hex.

        ``raw=False`` leaves out ``raw_body`` (the CLI keeps it only for rejected frames).
        """
        out: dict[str, Any] = {
            "offset": self.offset,
            "length": self.length,
            "status": self.status,
            "reason": self.reason,
            "quality": list(self.quality),
            "msg_id": self.msg_id,
            "phone": self.phone,
            "serial": self.serial,
            "version": self.version,
            "subpackage": jsonable(self.subpackage),
            "recv_time": jsonable(self.recv_time),
            "body": jsonable(self.body),
            "direction": self.direction,
            "line": self.line,
        }
        if raw:
            out["raw_body"] = jsonable(self.raw_body)
        if self.detail is not None:
            out["detail"] = self.detail
        if self.reassembled_from is not None:
            out["reassembled_from"] = list(self.reassembled_from)
        return out


def jsonable(value: Any) -> Any:
    """Convert decoded values to JSON types (datetimes to ISO 8601 in Beijing time)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return _json_default(value)


def _json_default(value: Any) -> Any:
    """What :func:`jsonable` makes of a value that is not a JSON type or container."""
    if isinstance(value, datetime):
        return (value.astimezone(BEIJING) if value.tzinfo else value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default)


def json_text(value: Any) -> str:
    """``json.dumps(jsonable(value), ensure_ascii=False)`` in one pass: the encoder converts
    the values that are not JSON types as :func:`jsonable` does, without copying the dicts
    first. Dictionary keys must be strings (every decoded body's are: field names and
    ``"0x.."`` ids); the encoder would write a ``None`` or ``True`` key as ``null`` /
    ``true`` where :func:`jsonable` gives ``"None"`` / ``"True"``."""
    if type(value) is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)
