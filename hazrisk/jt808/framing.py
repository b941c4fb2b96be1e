"""Framing: 0x7E delimiters, 0x7D escapes, XOR check code, and the stream splitter.

JT/T 808-2019 §4.4 (消息组成): a message is ``7E | header | body | check code | 7E``. Inside
the delimiters 0x7E is sent as ``7D 02`` and 0x7D as ``7D 01``; the check code is the XOR of
every header and body byte, computed before escaping.

The splitter (:func:`split_frames`) turns a byte buffer into spans, each byte in exactly one:

``FRAME``   ``[s, e)`` from an opening 0x7E through its closing 0x7E;
``OPEN``    ``[s, e)`` from an opening 0x7E to where the frame broke off (no closing flag);
``GARBAGE`` bytes that belong to no frame.

Pairing rule (the columnar fast path mirrors it exactly), for an opening flag at ``s`` and
the next flag at ``c``:

1. ``c == s + 1`` (``7E 7E``): the flag at ``s`` is garbage; ``c`` opens instead.
2. ``c - s > MAX_SPAN``: no frame is that long; ``[s, c)`` is garbage and ``c`` opens.
3. the content ``(s, c)`` is *length-consistent* (it unescapes, its header parses and its
   length is header + declared body length + 1): ``[s, c]`` is a frame; the next flag opens.
4. otherwise, with ``n`` the flag after ``c``: when ``c + 1 < n``, ``n - c <= MAX_SPAN`` and
   the content ``(c, n)`` is length-consistent, the frame at ``s`` broke off: ``[s, c)`` is an
   ``OPEN`` span and ``c`` opens the next frame (resynchronisation after a truncated frame);
   else ``[s, c]`` is a (bad) frame and the next flag opens.

An opening flag with no later flag makes an ``OPEN`` span to the end of the input. Rule 4
costs one extra look only after a frame that is already bad, and stops one truncated frame
from swallowing the good frame behind it.
"""

from __future__ import annotations

from collections.abc import Callable

FLAG = 0x7E
ESC = 0x7D
_FLAG_B = b"\x7e"
_ESC_B = b"\x7d"

#: Longest possible escaped frame: 2019 header with subpackage (21) + 1023 body bytes + check
#: code, every byte escaped, plus both flags; rounded up.
MAX_SPAN = 4096

FRAME = "frame"
OPEN = "open"
GARBAGE = "garbage"

Span = tuple[str, int, int]


class EscapeError(ValueError):
    """Bad escape sequence at ``position`` (index into the escaped content)."""

    def __init__(self, position: int, detail: str) -> None:
        self.position = position
        super().__init__(detail)


def escape(data: bytes) -> bytes:
    """Escape header + body + check code for the wire (JT/T 808-2019 §4.4.2).

    >>> escape(bytes([0x30, 0x7E, 0x08, 0x7D, 0x55])).hex()
    '307d02087d0155'
    """
    return data.replace(_ESC_B, b"\x7d\x01").replace(_FLAG_B, b"\x7d\x02")


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; raise :class:`EscapeError` on ``7D`` + other, or a bare ``7E``.

    >>> unescape(bytes.fromhex('307d02087d0155')).hex()
    '307e087d55'
    """
    flag_at = data.find(_FLAG_B)
    if flag_at >= 0:
        raise EscapeError(flag_at, "unescaped 0x7E inside the frame")
    if _ESC_B not in data:
        return bytes(data)
    parts = data.split(_ESC_B)
    out = [parts[0]]
    pos = len(parts[0])
    for part in parts[1:]:
        if not part:
            raise EscapeError(pos, "0x7D at the end of the frame")
        code = part[0]
        if code == 0x01:
            out.append(_ESC_B)
        elif code == 0x02:
            out.append(_FLAG_B)
        else:
            raise EscapeError(pos, f"0x7D followed by 0x{code:02X}")
        out.append(part[1:])
        pos += 1 + len(part)
    return b"".join(out)


def checksum(data: bytes) -> int:
    """XOR of all bytes (the JT/T 808 check code), folded on a big integer, not per byte.

    >>> checksum(bytes([1, 2, 4, 8]))
    15
    """
    n = len(data)
    if n == 0:
        return 0
    x = int.from_bytes(data, "little")
    width = n
    while width > 1:
        half = (width + 1) // 2
        x = (x >> (8 * half)) ^ (x & ((1 << (8 * half)) - 1))
        width = half
    return x


def split_frames(
    buf: bytes,
    consistent: Callable[[bytes], bool],
    *,
    final: bool = True,
    max_span: int = MAX_SPAN,
) -> tuple[list[Span], int]:
    """Split ``buf`` into frame, open and garbage spans (see the module docstring).

    Parameters
    ----------
    buf
        The bytes to split.
    consistent
        Predicate on escaped frame content (between the flags): is it length-consistent?
    final
        ``False`` when more bytes may follow: the split stops where it needs them.
    max_span
        Longest span an opening flag may have to its closing flag.

    Returns
    -------
    spans, consumed
        Spans covering ``buf[:consumed]`` exactly; with ``final`` ``consumed == len(buf)``.
    """
    spans: list[Span] = []
    n = len(buf)
    find = buf.find
    pos = 0
    while pos < n:
        start = find(_FLAG_B, pos)
        if start < 0:
            spans.append((GARBAGE, pos, n))
            return spans, n
        if start > pos:
            spans.append((GARBAGE, pos, start))
        pos = start
        while True:  # resolve the frame opened at ``start``
            close = find(_FLAG_B, start + 1, start + max_span + 1)
            if close < 0:
                if n - start > max_span:  # rule 2 without seeing the next flag
                    spans.append((GARBAGE, start, start + max_span))
                    pos = start + max_span
                    break
                if not final:
                    return spans, start
                spans.append((OPEN, start, n))
                return spans, n
            if close == start + 1:  # rule 1
                spans.append((GARBAGE, start, close))
                start = pos = close
                continue
            if consistent(buf[start + 1 : close]):  # rule 3
                spans.append((FRAME, start, close + 1))
                pos = close + 1
                break
            nxt = find(_FLAG_B, close + 1, close + max_span + 1)
            if nxt < 0 and not final and n - close <= max_span:
                return spans, start  # rule 4 needs more bytes
            if nxt > close + 1 and consistent(buf[close + 1 : nxt]):  # rule 4: resync
                spans.append((OPEN, start, close))
                start = pos = close
                continue
            spans.append((FRAME, start, close + 1))
            pos = close + 1
            break
    return spans, n
