"""Columnar fast path: every location report in a dump as one row of an Arrow table.

:func:`decode_positions` decodes each ``ok`` 0x0200 frame and each position inside an ``ok``
0x0704 (normal batch and blind-area backfill) with compiled kernels over the whole buffer
(:func:`hazrisk.kernels.kernel`: Numba; no Python loop per frame). It agrees exactly with
the scalar, table-driven decoder (:func:`hazrisk.jt808.iter_records`): a frame the scalar
path rejects (bad check code, truncated, body length mismatch, bad escape, header too short,
bad body, item overrun) gives no row; an accepted one gives exactly the values the scalar
path decodes (``tests/jt808/test_columnar.py`` checks this differentially on random damaged
streams, ``tests/jt808/test_framing_kernels.py`` the framing against the scalar splitter).
:func:`iter_position_batches` streams a file larger than memory (raw or gateway hex log,
gzip or not) in chunks; :func:`decode_hexlog` decodes hex-log text (lines parsed by
:func:`hazrisk.jt808._columnar_hexlog.parse_block`). For a dump's other messages as well,
see :func:`hazrisk.jt808.iter_chunks`.

Pipeline (JT/T 808-2019 §4.4 framing and header, §8.18 location report, §8.47 batch upload):

1. framing (:func:`hazrisk.jt808._columnar_framing.frame`): every 0x7E found; the flags
   paired exactly like the scalar splitter (:mod:`hazrisk.jt808.framing`, incl. its resync
   rule) in one walk over the flags, each pair it must judge XORed, unescaped when it holds
   a 0x7D (into an appendix after the buffer) and its header read (2013: BCD[6] phone;
   2019: version byte + BCD[10] phone; the 2013 fallback for frames that set the 2019 flag,
   as :func:`~hazrisk.jt808.header.read_header`) to tell whether it is length-consistent;
2. the heartbeats (0x0002, empty body) among the frames are read there too, for the chunked
   reader (:mod:`hazrisk.jt808.reader`; ``_columnar_heartbeats.py``);
3. positions (:func:`hazrisk.jt808._columnar_kernels.positions`): one walk over the ``ok``
   0x0200/0x0704 frames expands the batches, checks each 28-byte location block and walks
   the additional items; a frame that does not decode whole leaves no row. Item ids, widths,
   scales and accepted lengths come from the scalar codec's table
   (:data:`hazrisk.jt808.items.ITEMS`);
4. the location block and BCD time of each row by one loop; phones by one; quality flags
   from :func:`hazrisk.validity.check_bits` (bounds from ``conf/rules.toml``).

Subpackaged 0x0200/0x0704 frames (rare) are reassembled by the scalar path's own
:class:`~hazrisk.jt808.stream.Reassembler` (``_columnar_records.py``); its rows appear at
the reassembled record's offset (the byte after the completing fragment), as the codec's.

Table schema (one row per position; rows ordered by ``offset`` then ``pos_index``)
------------------------------------------------------------------------------------
============================  ============================  ==========================================
column                        Arrow type                    meaning
============================  ============================  ==========================================
``offset``                    int64                         byte offset of the frame's opening 0x7E
                                                            (hex logs: text offset, as the scalar
                                                            reader reports it)
``msg_id``                    uint16                        0x0200 or 0x0704
``phone``                     string                        terminal phone, BCD digits as on the
                                                            wire (12, or 20 for 2019 headers)
``serial``                    uint16                        message serial number
``version``                   int16                         2013 or 2019 (2011 reads as 2013)
``pos_index``                 int16                         index inside 0x0704; 0 for 0x0200
``is_backfill``               bool                          0x0704 batch type 1 (盲区补报)
``reassembled``               bool                          the position is from a reassembled
                                                            subpackaged message
``alarm``                     uint32                        alarm word (table 24)
``status``                    uint32                        status word (table 25)
``lat_deg``                   float64                       latitude, negative when status bit 2
``lon_deg``                   float64                       longitude, negative when status bit 3
``altitude_m``                int16                         altitude (read as signed)
``speed_kmh``                 float64                       GNSS speed (wire: 1/10 km/h)
``heading_deg``               uint16                        direction, 0-359 from north
``device_time``               timestamp[us, TIMEZONE]       BCD time (+08:00); null when invalid
``mileage_km``                float64                       item 0x01 (1/10 km)
``fuel_l``                    float64                       item 0x02 (1/10 L)
``tacho_speed_kmh``           float64                       item 0x03 (1/10 km/h)
``ext_signal_status``         uint32                        item 0x25 extended vehicle signals
``io_status``                 uint16                        item 0x2A IO status bits
``rssi``                      uint8                         item 0x30 wireless signal strength
``gnss_count``                uint8                         item 0x31 GNSS satellites in use
``adas_alarm_type``           uint8                         item 0x64 ADAS alarm/event type (苏标)
``adas_alarm_level``          uint8                         item 0x64 alarm level
``dsm_alarm_type``            uint8                         item 0x65 DSM alarm/event type (苏标)
``dsm_alarm_level``           uint8                         item 0x65 alarm level
``safety_items``              uint8                         active-safety items present (any
                                                            length): bit 0 0x64 ADAS, 1 0x65 DSM,
                                                            2 0x66 TPMS, 3 0x67 BSD
``q_invalid_bcd_time``        bool                          device time is not a real BCD time
``q_lat_out_of_range``        bool                          ``lat_deg`` outside rules [validity]
``q_lon_out_of_range``        bool                          ``lon_deg`` outside rules [validity]
``q_speed_out_of_range``      bool                          ``speed_kmh`` > [validity] gps_speed_max_kmh
``q_heading_out_of_range``    bool                          ``heading_deg`` > rules bound (359)
``q_altitude_out_of_range``   bool                          ``altitude_m`` outside rules [validity]
``recv_time``                 timestamp[us, TIMEZONE]       hex logs (line time) and
                                                            ``recv_times=`` only
============================  ============================  ==========================================

Item columns are null when the item is absent or has a length the table does not give it
(the scalar body then holds ``raw_hex``); when an id repeats, the first occurrence counts
(the scalar keys later ones ``"0x01#2"``). ``safety_items`` only says which active-safety
items a position carries (TPMS/BSD have no columns): a consumer needing them in full
decodes those few positions' items from the dump's bytes
(:func:`hazrisk.jt808.safety_items.chunk_safety_items`, as the warehouse does). Quality
columns are per position (the scalar record's ``quality`` list is their union over the record's positions).

Speed and memory: see ``benchmarks/README.md`` (``python -m benchmarks --only jt808``);
:func:`iter_position_batches` holds about seven times ``chunk_bytes`` at its peak (chunk,
working arrays, the table being built and the one the caller holds). A process's first
decode pays Numba's start (~0.6 s) and loads the compiled kernels from the cache beside the
modules; the first run on a machine compiles them (~5-8 s).
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from typing import IO

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808._columnar_decode import decode
from hazrisk.jt808._columnar_hexlog import parse_block
from hazrisk.jt808._columnar_records import records_table
from hazrisk.jt808._columnar_schema import (
    RECV_FIELD,
    RECV_SCHEMA,
    SAFETY_ITEM_IDS,
    SCHEMA,
    TS,
    empty_table,
)
from hazrisk.jt808._columnar_timer import StageTimer
from hazrisk.jt808.framing import MAX_SPAN
from hazrisk.jt808.stream import CHUNK, MAX_LINE, SNIFF, Reassembler, detect_format

__all__ = [
    "RECV_SCHEMA",
    "SAFETY_ITEM_IDS",
    "SCHEMA",
    "StageTimer",
    "concat",
    "decode_hexlog",
    "decode_positions",
    "iter_position_batches",
    "records_table",
]

_GZIP_MAGIC = b"\x1f\x8b"


def decode_positions(
    data: bytes | bytearray | memoryview | npt.NDArray[np.uint8],
    *,
    recv_times: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    base_offset: int = 0,
    timer: StageTimer | None = None,
) -> pa.Table:
    """Decode every location report in a raw JT/T 808 byte stream into an Arrow table.

    Parameters
    ----------
    data
        Raw bytes as captured: 0x7E-delimited escaped frames, garbage allowed.
    recv_times
        Optional ``(starts, times)``: sorted byte offsets into ``data`` and the receive time
        (``datetime64`` in UTC, ``NaT`` when unknown) of the bytes from each start on. Adds a
        ``recv_time`` column: the time of the last start at or before the row's frame.
    base_offset
        Added to ``offset`` (where ``data`` lies in a larger stream).
    timer
        Collects CPU seconds per stage (profiling).

    Returns
    -------
    pyarrow.Table
        One row per position, schema :data:`SCHEMA` (see the module docstring).
    """
    table = decode(F.as_u8(data), base_offset, timer=timer or StageTimer.off()).table
    if recv_times is not None:
        table = _with_recv(table, recv_times, base_offset)
    return table


def decode_hexlog(
    text: bytes, *, base_offset: int = 0, first_line: int = 1, timer: StageTimer | None = None
) -> pa.Table:
    """Decode the location reports in gateway hex-log text (complete lines).

    Each line (``[time] [RECV|SEND] HEX``, as :func:`hazrisk.jt808.iter_records` reads
    them) is split into frames on its own. ``offset`` is the text offset the scalar reader
    gives the frame's record; ``recv_time`` is the line's time (null without one).
    """
    if not text:
        return empty_table(True)
    lines = parse_block(text, base_offset, first_line)
    return decode(F.as_u8(lines.payload), timer=timer or StageTimer.off(), lines=lines).table


def _with_recv(
    table: pa.Table, recv_times: tuple[npt.ArrayLike, npt.ArrayLike], base_offset: int
) -> pa.Table:
    starts = np.asarray(recv_times[0], np.int64) + base_offset
    times = np.asarray(recv_times[1]).astype("datetime64[us]")
    off = table.column("offset").to_numpy()
    i = np.searchsorted(starts, off, side="right") - 1
    if times.size:
        t = times[np.clip(i, 0, times.size - 1)]
    else:
        t = np.full(off.size, np.datetime64("NaT"), "datetime64[us]")
    valid = (i >= 0) & ~np.isnat(t)
    return table.append_column(RECV_FIELD, pa.array(t, mask=~valid).cast(TS))


# --------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------


class _Reader:
    """The (decompressed) bytes of a dump, read as the scalar reader reads them.

    gzip is recognised by its magic number and read in ``read1(CHUNK)`` pieces like
    :mod:`hazrisk.jt808.stream`, so that a stream breaking off loses exactly the same
    bytes; a gzip-looking file whose first piece fails is read raw.
    """

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.gz: gzip.GzipFile | None = None
        self.pending = b""
        start = fh.tell() if fh.seekable() else None
        if start is not None and fh.read(2) == _GZIP_MAGIC:
            fh.seek(start)
            gz = gzip.GzipFile(fileobj=fh, mode="rb")
            try:
                self.pending = gz.read1(CHUNK)
                self.gz = gz
            except (OSError, EOFError, zlib.error):
                pass  # not gzip after all
        if self.gz is None and start is not None:
            fh.seek(start)

    def peek(self, n: int) -> bytes:
        while len(self.pending) < n:
            more = self._more(n - len(self.pending))
            if not more:
                break
            self.pending += more
        return self.pending[:n]

    def _more(self, n: int) -> bytes:
        if self.gz is None:
            return self.fh.read(n)
        try:
            return self.gz.read1(CHUNK)
        except (OSError, EOFError, zlib.error):  # broke off: the scalar reader stops here too
            self.gz = None
            self.fh = io.BytesIO()
            return b""

    def readinto(self, view: memoryview) -> int:
        """Fill ``view`` as far as the data goes; returns the bytes written."""
        got = 0
        total = len(view)
        while got < total:
            if self.pending:
                k = min(len(self.pending), total - got)
                view[got : got + k] = self.pending[:k]
                self.pending = self.pending[k:]
            elif self.gz is None and hasattr(self.fh, "readinto"):
                k = self.fh.readinto(view[got:]) or 0
                if not k:
                    break
            else:
                self.pending = self._more(total - got)
                if not self.pending:
                    break
                continue
            got += k
        return got


def iter_position_batches(
    path: str | os.PathLike[str] | IO[bytes],
    *,
    chunk_bytes: int = 64 << 20,
    fmt: str = "auto",
    timer: StageTimer | None = None,
) -> Iterator[pa.Table]:
    """Stream a dump in chunks, one table per chunk with rows (same rows as one shot).

    Parameters
    ----------
    path
        A file path or binary file object: raw stream or gateway hex log, gzip or not (gzip
        is recognised on seekable inputs).
    chunk_bytes
        Bytes (decompressed) decoded at a time. The frame pending at the end of a chunk is
        carried into the next, so frames straddling a boundary decode as in one shot;
        ``offset`` is absolute in the (decompressed) stream.
    fmt
        ``auto`` (like :func:`hazrisk.jt808.iter_records`), ``raw`` or ``hexlog``. Hex-log
        tables carry ``recv_time``.
    """
    if chunk_bytes <= 0:
        raise ValueError("chunk_bytes must be positive")
    if fmt not in ("auto", "raw", "hexlog"):
        raise ValueError(f"fmt must be auto, raw or hexlog, got {fmt!r}")
    own = isinstance(path, str | os.PathLike)
    fh: IO[bytes] = open(path, "rb") if isinstance(path, str | os.PathLike) else path  # noqa: SIM115
    try:
        reader = _Reader(fh)
        if fmt == "auto":
            fmt = detect_format(reader.peek(SNIFF))
        batches = _hexlog_batches if fmt == "hexlog" else _raw_batches
        yield from batches(reader, chunk_bytes, timer or StageTimer.off())
    finally:
        if own:
            fh.close()


def _raw_batches(reader: _Reader, chunk_bytes: int, timer: StageTimer) -> Iterator[pa.Table]:
    joiner = Reassembler()
    # one read buffer for the whole stream (no output array refers to it): the carried tail
    # (at most two frames' span) is moved to its front, the next chunk read in after it; the
    # spare room holds the unescaped copies of frames with escapes
    data = bytearray(chunk_bytes + 2 * MAX_SPAN + 2 + chunk_bytes // 4 + F.PAD)
    view = memoryview(data)
    held = 0  # carried bytes at the front of data
    pos = 0  # absolute offset of data[0]
    try:
        while True:
            got = reader.readinto(view[held : held + chunk_bytes])
            eof = got < chunk_bytes
            size = held + got
            if size == 0:
                return
            room = np.frombuffer(data, np.uint8)
            dec = decode(room[:size], pos, timer=timer, final=eof, reassembler=joiner, capacity=room)
            del room
            if not eof:
                cut = dec.cut if dec.cut >= 0 else size
                held = size - cut
                if held + chunk_bytes > len(data):  # cannot happen (held <= 2 * MAX_SPAN)
                    view.release()
                    data = data[cut:size] + bytearray(chunk_bytes)
                    view = memoryview(data)
                else:
                    view[:held] = view[cut:size]
                pos += cut
            table = dec.table
            del dec
            if table.num_rows:
                yield table
            del table
            if eof:
                return
    finally:
        view.release()


def _hexlog_batches(reader: _Reader, chunk_bytes: int, timer: StageTimer) -> Iterator[pa.Table]:
    """Complete lines at a time; a line longer than the scalar reader's ``MAX_LINE`` is
    garbage (no rows), as there."""
    joiner = Reassembler()
    carry = b""
    offset = 0  # text offset of carry[0]
    line_no = 1  # number of the first line in carry
    overlong = False  # inside a too-long line: skip to its end
    buf = bytearray(chunk_bytes)
    view = memoryview(buf)
    try:
        while True:
            got = reader.readinto(view)
            eof = got < chunk_bytes
            data = carry + view[:got].tobytes() if carry else view[:got].tobytes()
            cut = len(data) if eof else data.rfind(b"\n") + 1
            block = data[:cut]
            carry = data[cut:]
            n_lines = block.count(b"\n") + (not block.endswith(b"\n") and bool(block))
            skip, first = 0, line_no
            if overlong and block:  # the rest of a too-long line
                nl = block.find(b"\n")
                skip = len(block) if nl < 0 else nl + 1
                first, overlong = line_no + 1, False
            if skip < len(block):
                lines = parse_block(block[skip:], offset + skip, first)
                table = decode(F.as_u8(lines.payload), timer=timer, reassembler=joiner,
                               lines=lines).table
                if table.num_rows:
                    yield table
            line_no += n_lines
            offset += cut
            if len(carry) > MAX_LINE:
                offset += len(carry)
                carry = b""
                overlong = True
            if eof:
                return
    finally:
        view.release()


def concat(tables: Iterable[pa.Table]) -> pa.Table:
    """Concatenate batches (an empty stream gives an empty table with :data:`SCHEMA`)."""
    tables = list(tables)
    return pa.concat_tables(tables) if tables else empty_table()
