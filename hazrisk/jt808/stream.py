"""Dump readers: raw binary streams and gateway hex logs (gzip or not) -> :class:`Record`.

Every input byte lies in exactly one record, so the lengths of all records add up to the
input size (the decompressed size for gzip; for a hex log, the file's text bytes: each line,
newline included, is shared out among the records of the frames on it). Records come in
input order:

- ``ok`` / ``rejected`` frames and ``garbage`` spans (see :mod:`hazrisk.jt808.framing` for
  how frames are delimited; long garbage runs may be reported in several spans);
- after the frame that completes a subpackage group, one **reassembled** record of length 0
  (``status`` ok, or rejected when the joined body does not parse) with
  ``reassembled_from`` = offsets of its fragments in index order;
- a group that never completes (a fragment index repeats, or the input ends) is reported by
  a length-0 ``rejected`` record with reason ``incomplete_subpackages``, ``reassembled_from``
  = the fragments received and ``body`` = ``{"received": [...], "missing": [...]}``;
- a gzip stream that breaks off after some output ends with a length-0 ``bad_gzip`` record
  (a gzip stream that yields nothing at all is read as raw bytes instead).

Subpackages are grouped by (phone, message id, total) and ordered by package index, as
JT/T 808-2019 §4.4.3 prescribes; only ``ok`` fragments join a group.

Hex log lines: an optional receive time ``YYYY-MM-DD hh:mm:ss`` (``T`` or a space between,
optional ``.fff`` and zone), an optional direction ``RECV``/``SEND``, then HEX, the frame (or
frames) in hex, optionally spaced; the time and the direction may each stand in square
brackets, as gateways print them: ``[2026-10-01 00:01:36.200] [RECV] 7E0200…7E``,
``2026-10-01 08:00:01.123 RECV 7E…7E``, ``7E…7E``. Times without a zone are Beijing time.
Lines that do not match are garbage.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from hazrisk.jt808.codec import Prepared, decode_escaped, decode_reassembled, prepare
from hazrisk.jt808.fields import BEIJING
from hazrisk.jt808.framing import FRAME, GARBAGE, split_frames
from hazrisk.jt808.record import Record

FORMATS = ("auto", "raw", "hexlog")
CHUNK = 1 << 20
MAX_LINE = 1 << 22
SNIFF = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"

HEX_LINE = re.compile(
    rb"[ \t]*"
    rb"(?:(?P<tsb>\[)?(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
    rb"(?:Z|[+-]\d{2}:?\d{2})?)(?(tsb)\])[ \t]+)?"
    rb"(?:(?P<db>\[)?(?P<dir>RECV|SEND|recv|send)(?(db)\])[ \t:]+)?"
    rb"(?P<hex>(?:[0-9A-Fa-f]{2})+(?:[ \t]+(?:[0-9A-Fa-f]{2})+)*)"
    rb"[ \t]*\r?\n?"
)
HEX_PAIR = re.compile(rb"[0-9A-Fa-f]{2}")
_HEX_DIGITS = frozenset(bytes([c]) for c in b"0123456789ABCDEFabcdef")
_TEXT_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r"

Source = bytes | bytearray | memoryview | str | os.PathLike[str]


# --------------------------------------------------------------------------------------------
# Input: files, bytes, gzip
# --------------------------------------------------------------------------------------------


class _Input:
    """Decompressed chunks of a source; remembers a gzip failure after output."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.gzip_error: str | None = None
        self.size = 0

    def _open(self) -> IO[bytes]:
        if isinstance(self.source, bytes | bytearray | memoryview):
            return io.BytesIO(bytes(self.source))
        return open(self.source, "rb")  # noqa: SIM115 - closed by chunks()

    def chunks(self) -> Iterator[bytes]:
        with self._open() as fh:
            if fh.read(2) == _GZIP_MAGIC:
                fh.seek(0)
                pieces: list[bytes] = []
                held = 0
                produced = False
                gz = gzip.GzipFile(fileobj=fh, mode="rb")
                while True:
                    try:
                        piece = gz.read1(CHUNK)
                    except (OSError, EOFError, zlib.error) as exc:
                        if not produced and not pieces:
                            break  # not a gzip stream after all: read the bytes raw
                        self.gzip_error = f"gzip stream broke off: {exc}"
                        yield from self._count(pieces)
                        return
                    if not piece:
                        yield from self._count(pieces)
                        return
                    pieces.append(piece)
                    held += len(piece)
                    if held >= CHUNK:
                        yield from self._count([b"".join(pieces)])
                        pieces, held, produced = [], 0, True
            fh.seek(0)
            yield from self._count(iter(lambda: fh.read(CHUNK), b""))

    def _count(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.size += len(chunk)
            yield chunk


def detect_format(sample: bytes) -> str:
    """``hexlog`` when the sample is text whose lines look like hex-log lines, else ``raw``."""
    if not sample or sample.translate(None, _TEXT_BYTES):
        return "raw"
    lines = sample.split(b"\n")
    if len(sample) >= SNIFF and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off by the sample
    for line in lines[:50]:
        if line.strip() and HEX_LINE.fullmatch(line) and b"7e" in line.lower():
            return "hexlog"
    return "raw"


# --------------------------------------------------------------------------------------------
# Spans -> records
# --------------------------------------------------------------------------------------------


class _Decoder:
    """Turns splitter spans into records; caches the splitter's last length check."""

    def __init__(self) -> None:
        self._seen: dict[bytes, Prepared] = {}

    def consistent(self, escaped: bytes) -> bool:
        prepared = self._seen[escaped] = prepare(escaped)
        return prepared.consistent

    def forget(self) -> None:
        """Drop the splitter's cached header reads (call once the spans are turned to records)."""
        self._seen.clear()

    def record(self, buf: bytes, kind: str, start: int, end: int, base: int,
               at_end: bool = False) -> Record:
        """The record of one span; ``at_end``: the span runs to the end of the input."""
        if kind == GARBAGE:
            return Record(base + start, end - start, "garbage", reason="garbage")
        if kind == FRAME:
            escaped = buf[start + 1 : end - 1]
            prepared = self._seen.get(escaped)
            return decode_escaped(
                escaped, offset=base + start, length=end - start, prepared=prepared
            )
        escaped = buf[start + 1 : end]  # OPEN: no closing flag
        prepared = prepare(escaped)
        if prepared.header is None:
            if at_end and escaped:  # cut off inside its header by the end of the input
                return _cut_in_header(escaped, base + start, end - start)
            return Record(base + start, end - start, "garbage", reason="garbage")
        return decode_escaped(
            escaped, offset=base + start, length=end - start, has_close=False, prepared=prepared
        )


def _raw_records(chunks: Iterable[bytes]) -> Iterator[Record]:
    dec = _Decoder()
    buf = b""
    base = 0
    for chunk in chunks:
        buf = buf + chunk if buf else chunk
        spans, consumed = split_frames(buf, dec.consistent, final=False)
        for kind, s, e in spans:
            yield dec.record(buf, kind, s, e, base)
        dec.forget()
        buf = buf[consumed:]
        base += consumed
    spans, _ = split_frames(buf, dec.consistent, final=True)
    for kind, s, e in spans:
        yield dec.record(buf, kind, s, e, base, at_end=e == len(buf))


def _cut_in_header(escaped: bytes, offset: int, length: int) -> Record:
    """A frame the input cuts off before its header is complete: ``truncated``, with the
    message id when its two bytes arrived."""
    content = escaped.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")
    rec = Record(offset, length, "rejected", reason="truncated",
                 detail=f"frame -> header: the input ends {len(content)} bytes into the frame, "
                        "inside its header")
    if len(content) >= 2:
        rec.msg_id = int.from_bytes(content[:2], "big")
    if len(content) >= 4:  # the phone, when its BCD digits arrived (2019: version byte first)
        v2019 = bool(content[2] & 0x40)
        a, b = (5, 15) if v2019 else (4, 10)
        digits = content[a:b].hex()
        if len(content) >= b and digits.isdigit():
            rec.phone, rec.version = digits, (2019 if v2019 else None)
    rec.raw_body = content
    return rec


def parse_log_time(raw: bytes | None) -> datetime | None:
    """A hex-log receive time: ISO 8601, Beijing time when it has no zone; None if unparsable."""
    if not raw:
        return None
    try:
        t = datetime.fromisoformat(raw.decode("ascii").replace(",", "."))
    except ValueError:
        return None
    return t.replace(tzinfo=BEIJING) if t.tzinfo is None else t.astimezone(BEIJING)


def _line_records(dec: _Decoder, text: bytes, start: int, line_no: int) -> Iterator[Record]:
    m = HEX_LINE.fullmatch(text)
    if m is None and text[-1:] in _HEX_DIGITS and not text.endswith(b"\n"):
        # the input's last line, cut in the middle of a hex pair: read the whole pairs (the
        # frame it cuts off is then ``truncated``); the odd digit stays in the line's record
        m = HEX_LINE.fullmatch(text[:-1])
    if m is None:
        yield Record(start, len(text), "garbage", reason="garbage", line=line_no)
        return
    h0, h1 = m.span("hex")
    hexpart = m.group("hex")
    if b" " in hexpart or b"\t" in hexpart:
        at = [h0 + p.start() for p in HEX_PAIR.finditer(hexpart)]
        payload = bytes.fromhex(b"".join(p.group() for p in HEX_PAIR.finditer(hexpart)).decode())
    else:
        at = []
        payload = bytes.fromhex(hexpart.decode())

    def text_pos(i: int) -> int:
        if i >= len(payload):
            return h1
        return at[i] if at else h0 + 2 * i

    recv_time = parse_log_time(m.group("ts"))
    direction = m.group("dir").decode().upper() if m.group("dir") else None
    spans, _ = split_frames(payload, dec.consistent, final=True)
    last = len(spans) - 1
    for j, (kind, s, e) in enumerate(spans):
        a = 0 if j == 0 else text_pos(s)
        b = len(text) if j == last else text_pos(e)
        rec = dec.record(payload, kind, s, e, 0, at_end=e == len(payload))
        rec.offset, rec.length, rec.line = start + a, b - a, line_no
        rec.recv_time, rec.direction = recv_time, direction
        yield rec
    dec.forget()


def _hexlog_records(chunks: Iterable[bytes]) -> Iterator[Record]:
    dec = _Decoder()
    carry = b""
    offset = 0
    line_no = 0
    overlong = False  # the current line was too long and is being reported as garbage
    for chunk in chunks:
        data = carry + chunk if carry else chunk
        lines = data.split(b"\n")
        carry = lines.pop()
        for text in lines:
            line_no += 1
            text += b"\n"
            if overlong:
                yield Record(offset, len(text), "garbage", reason="garbage", line=line_no)
                overlong = False
            else:
                yield from _line_records(dec, text, offset, line_no)
            offset += len(text)
        if len(carry) > MAX_LINE:
            yield Record(offset, len(carry), "garbage", reason="garbage", line=line_no + 1)
            offset += len(carry)
            carry = b""
            overlong = True
    if carry:
        line_no += 1
        if overlong:
            yield Record(offset, len(carry), "garbage", reason="garbage", line=line_no)
        else:
            yield from _line_records(dec, carry, offset, line_no)


# --------------------------------------------------------------------------------------------
# Subpackage reassembly
# --------------------------------------------------------------------------------------------


class Reassembler:
    """Joins ``ok`` subpackage fragments by (phone, msg id, total) and package index."""

    def __init__(self) -> None:
        self.groups: dict[tuple[Any, ...], dict[int, Record]] = {}

    def feed(self, rec: Record) -> list[Record]:
        sub = rec.subpackage
        if rec.status != "ok" or sub is None:
            return []
        total, index = sub["total"], sub["index"]
        if not 1 <= index <= total:
            return []
        key = (rec.phone, rec.msg_id, total)
        out = []
        group = self.groups.get(key)
        if group is not None and index in group:
            out.append(self._incomplete(key, group, rec.offset + rec.length, rec))
            group = None
        if group is None:
            group = self.groups[key] = {}
        group[index] = rec
        if len(group) == total:
            del self.groups[key]
            out.append(self._complete(group, total, rec))
        return out

    def finish(self, end: int) -> list[Record]:
        groups = sorted(self.groups.items(), key=lambda kv: min(r.offset for r in kv[1].values()))
        self.groups = {}
        return [self._incomplete(key, group, end, None) for key, group in groups]

    def _complete(self, group: dict[int, Record], total: int, last: Record) -> Record:
        parts = [group[i] for i in range(1, total + 1)]
        first = parts[0]
        rec = Record(
            offset=last.offset + last.length,
            length=0,
            status="ok",
            msg_id=first.msg_id,
            phone=first.phone,
            serial=first.serial,
            version=first.version,
            recv_time=last.recv_time,
            direction=last.direction,
            line=last.line,
            reassembled_from=[p.offset for p in parts],
        )
        data = b"".join(p.raw_body or b"" for p in parts)
        assert first.msg_id is not None and first.version is not None
        return decode_reassembled(rec, first.msg_id, data, first.version)

    def _incomplete(
        self, key: tuple[Any, ...], group: dict[int, Record], offset: int, at: Record | None
    ) -> Record:
        self.groups.pop(key, None)
        phone, msg_id, total = key
        received = sorted(group)
        first = group[received[0]]
        return Record(
            offset=offset,
            length=0,
            status="rejected",
            reason="incomplete_subpackages",
            msg_id=msg_id,
            phone=phone,
            serial=first.serial,
            version=first.version,
            subpackage={"total": total, "index": None},
            recv_time=at.recv_time if at else None,
            direction=at.direction if at else None,
            line=at.line if at else None,
            body={"received": received, "missing": [i for i in range(1, total + 1) if i not in group]},
            reassembled_from=[group[i].offset for i in received],
            detail=f"subpackages: {len(received)} of {total} received",
        )


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def iter_records(source: Source, *, fmt: str = "auto", reassemble: bool = True) -> Iterator[Record]:
    """Read a dump and yield one :class:`Record` per frame, garbage span or reassembled message.

    Parameters
    ----------
    source
        Bytes, or a path to a file: raw binary stream or gateway hex log, optionally gzip
        (detected by its magic number).
    fmt
        ``auto`` (detect from the first 64 KiB), ``raw`` or ``hexlog``.
    reassemble
        Join subpackage groups (JT/T 808-2019 §4.4.3) into extra length-0 records.

    Yields
    ------
    Record
        In input order; never raises on the data. The lengths add up to the input size.

    Raises
    ------
    ValueError
        Unknown ``fmt``.
    OSError
        The file cannot be opened or read.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    inp = _Input(source)
    chunks = inp.chunks()
    first = next(chunks, b"")
    if fmt == "auto":
        fmt = detect_format(first[:SNIFF])

    def all_chunks() -> Iterator[bytes]:
        if first:
            yield first
        yield from chunks

    records = _hexlog_records(all_chunks()) if fmt == "hexlog" else _raw_records(all_chunks())
    joiner = Reassembler() if reassemble else None
    for rec in records:
        yield rec
        if joiner is not None and rec.subpackage is not None:
            yield from joiner.feed(rec)
    if joiner is not None:
        yield from joiner.finish(inp.size)
    if inp.gzip_error is not None:
        yield Record(
            inp.size, 0, "rejected", reason="bad_gzip", detail=inp.gzip_error
        )
