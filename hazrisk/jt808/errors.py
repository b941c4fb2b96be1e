"""Closed sets of rejection reasons and quality flags, and the codec's exceptions.

Every problem the codec can report has a name from one of three closed sets:

``REASONS``
    Why a stream record is ``rejected`` (or ``garbage``). A rejected frame is not decoded
    further; its header fields (phone, message id, serial) are kept when the header parsed,
    and its unescaped body is kept in ``raw_body``.
``QUALITY_FLAGS``
    Plausibility checks of a decoded location fix (数据合格率 checks, ranges from
    ``conf/rules.toml`` ``[validity]``). A frame carrying them is still ``ok``.
``DEVIATIONS``
    Departures from JT/T 808 that the lenient decoder tolerates silently (the data is still
    readable) and the strict decoder refuses.

The strict single-frame API (``decode_frame(..., strict=True)``) raises :class:`DecodeError`
for the first problem from any of the three sets; its ``reason`` is the set member's name.
In strict mode the location checks are the physical ranges of the standard (latitude ≤ 90°,
longitude ≤ 180°, heading ≤ 359°, JT/T 808-2019 table 23), not the association's ranges.
"""

from __future__ import annotations

#: Why a record is ``rejected`` (``garbage`` is the reason of inter-frame byte spans): the one
#: catalogue of rejection reasons, id -> (中文, English). The portal's data-quality page and
#: anything else that names a reason to people label it from here.
REASON_NAMES: dict[str, tuple[str, str]] = {
    # 0x7D followed by anything but 0x01/0x02, or a 0x7E inside a frame (JT/T 808-2019 §4.4.2)
    "bad_escape": ("转义错误", "invalid escape"),
    # fewer bytes than the message header (+ check code) needs
    "header_too_short": ("消息头不完整", "header too short"),
    # fewer bytes than the header's body length declares, or no closing 0x7E
    "truncated": ("帧不完整", "truncated frame"),
    # more bytes than the header's body length declares
    "body_length_mismatch": ("消息体长度不符", "body length mismatch"),
    # XOR check code differs (JT/T 808-2019 §4.4)
    "bad_checksum": ("校验码错误", "check code mismatch"),
    # a 0x0200 additional item runs past the end of the body
    "item_overrun": ("附加信息越界", "additional item overrun"),
    # the body cannot be parsed for its message id
    "bad_body": ("消息体无法解析", "unparseable body"),
    # a subpackage group that never completed (length-0 record)
    "incomplete_subpackages": ("分包不完整", "incomplete subpackages"),
    # a gzip stream that broke off after some output (length-0 record)
    "bad_gzip": ("压缩数据损坏", "broken gzip stream"),
    # bytes between frames
    "garbage": ("帧间无效字节", "bytes between frames"),
}
REASONS: tuple[str, ...] = tuple(REASON_NAMES)


def reason_label(reason: str) -> str:
    """``中文 id`` for a rejection reason (``校验码错误 bad_checksum``); an id outside the
    catalogue is returned as it is."""
    names = REASON_NAMES.get(reason)
    return f"{names[0]} {reason}" if names else reason


#: Plausibility flags attached to ``ok`` records holding location fixes.
QUALITY_FLAGS: tuple[str, ...] = (
    "invalid_bcd_time",
    "lat_out_of_range",
    "lon_out_of_range",
    "speed_out_of_range",
    "heading_out_of_range",
    "altitude_out_of_range",
)

#: Tolerated in lenient mode, refused in strict mode.
DEVIATIONS: tuple[str, ...] = (
    "invalid_bcd",  # a BCD phone number with a non-decimal nibble (incl. the 2019-bit fallback)
    "item_bad_length",  # a known additional item with a length the standard does not give it
)

STATUSES: tuple[str, ...] = ("ok", "rejected", "garbage")


class JT808Error(Exception):
    """Base class of every error raised by :mod:`hazrisk.jt808`."""


class DecodeError(JT808Error, ValueError):
    """A frame or body that the strict decoder refuses.

    Parameters
    ----------
    reason
        A name from :data:`REASONS`, :data:`QUALITY_FLAGS` or :data:`DEVIATIONS`.
    field
        Where: a path such as ``header -> body_length`` or ``body -> items -> 0x2B``.
    offset
        Byte offset of the frame in its stream (or of the body, for ``decode_body``).
    detail
        A short human explanation.
    position
        Position of the offending byte in the *unescaped* frame content (after the leading
        0x7E), when known.
    """

    def __init__(
        self,
        reason: str,
        field: str,
        offset: int = 0,
        detail: str = "",
        position: int | None = None,
    ) -> None:
        self.reason = reason
        self.field = field
        self.offset = offset
        self.detail = detail
        self.position = position
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"offset {self.offset}"
        if self.position is not None:
            where += f" (+{self.position})"
        text = f"{where}: {self.field}: {self.reason}"
        return f"{text}: {self.detail}" if self.detail else text

    def __reduce__(self) -> tuple[type, tuple[str, str, int, str, int | None]]:
        return (type(self), (self.reason, self.field, self.offset, self.detail, self.position))


class EncodeError(JT808Error, ValueError):
    """A body dictionary that cannot be encoded (missing key, value out of range...)."""
