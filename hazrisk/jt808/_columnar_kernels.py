"""Compiled body kernels of :mod:`hazrisk.jt808.columnar`: positions, items, location blocks,
BCD times and phones.

Each kernel (:func:`hazrisk.kernels.kernel`) walks the frames or rows of a buffer once, in
order, the way the scalar codec reads one body (JT/T 808-2019 §8.18 location report, table
27 additional items, §8.47 batch upload): :func:`positions` expands the ``ok`` frames'
bodies into positions and walks their additional items, :func:`location` reads the 28-byte
location block of each row, :func:`header_rows` the header columns (phone, serial, version).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hazrisk.jt808._columnar_framing import BCD, I64, U8, B
from hazrisk.jt808.fields import WIRE_OFFSET_S
from hazrisk.kernels import kernel

LOCATION_LEN = 28


def _time_tables() -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8], npt.NDArray[np.int32]]:
    """Tables indexed by two raw BCD bytes: YYMM -> (days from 1970-01-01 to the first of the
    month, days in the month; 0 when invalid), hhmm -> seconds of day (-1 when invalid)."""
    ym_days = np.zeros(65536, np.int32)
    ym_len = np.zeros(65536, np.uint8)
    month_len = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    days = int((np.datetime64("2000-01-01") - np.datetime64("1970-01-01")).astype(int))
    for yy in range(100):
        year = 2000 + yy
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        for mm in range(1, 13):
            key = (yy // 10 * 16 + yy % 10) << 8 | (mm // 10 * 16 + mm % 10)
            ym_days[key] = days
            ym_len[key] = month_len[mm - 1] + (1 if leap and mm == 2 else 0)
            days += int(ym_len[key])
    hm = np.full(65536, -1, np.int32)
    for h in range(24):
        for m in range(60):
            hm[(h // 10 * 16 + h % 10) << 8 | (m // 10 * 16 + m % 10)] = h * 3600 + m * 60
    return ym_days, ym_len, hm


_YM_DAYS, _YM_LEN, _HM_SECONDS = _time_tables()
_US = 1_000_000
_BEIJING_US = WIRE_OFFSET_S * _US


# --------------------------------------------------------------------------------------------
# Positions and their additional items
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """Values to pull out of one additional item.

    The item is used when its length is in ``lengths``; ``fields`` are ``(byte offset in the
    value, size 1/2/4)``, each read as an unsigned big-endian integer.
    """

    key: str
    item_id: int
    lengths: frozenset[int]
    fields: tuple[tuple[int, int], ...]

    def length_ok(self) -> B:
        """A 256-entry table: is this item length one of ``lengths``?"""
        t = np.zeros(256, bool)
        t[list(self.lengths)] = True
        return t


_WIDTHS = (4, 2, 1)  # the value arrays by width: u32, u16, u8


@dataclass(frozen=True)
class ItemTables:
    """:class:`ItemSpec` s (and the ids to mark) as the tables the kernel reads."""

    specs: tuple[ItemSpec, ...]
    mark: tuple[int, ...]
    spec_of: npt.NDArray[np.int64]  # item id -> spec index, -1 none
    length_ok: B  # (spec, length) -> the spec uses an item of that length
    field_spec: I64  # per field: its spec, offset in the value, width kind (0 u32, 1 u16, 2 u8)
    field_off: I64
    field_kind: I64
    field_row: I64  # its row in the value array of its kind
    mark_bit: U8  # item id -> the bit of ``mark`` it sets (0 none)

    @staticmethod
    def of(specs: tuple[ItemSpec, ...], mark: tuple[int, ...] = ()) -> ItemTables:
        spec_of = np.full(256, -1, np.int64)
        length_ok = np.zeros((len(specs), 256), bool)
        fs, fo, fk, fr = [], [], [], []
        rows = [0, 0, 0]
        for k, spec in enumerate(specs):
            spec_of[spec.item_id] = k
            length_ok[k] = spec.length_ok()
            for off, width in spec.fields:
                kind = _WIDTHS.index(width)
                fs.append(k)
                fo.append(off)
                fk.append(kind)
                fr.append(rows[kind])
                rows[kind] += 1
        mark_bit = np.zeros(256, np.uint8)
        for bit, iid in enumerate(mark):
            mark_bit[iid] = 1 << bit
        arr = (lambda v: np.array(v, np.int64))  # noqa: E731
        return ItemTables(specs, mark, spec_of, length_ok, arr(fs), arr(fo), arr(fk), arr(fr),
                          mark_bit)

    def counts(self) -> tuple[int, int, int]:
        return tuple(int((self.field_kind == k).sum()) for k in range(3))  # type: ignore[return-value]


@kernel
def _u32(ub: U8, q: int) -> np.uint32:  # pragma: no cover - compiled
    """The big-endian u32 at ``ub[q]``."""
    return np.uint32((np.uint32(ub[q]) << 24) | (np.uint32(ub[q + 1]) << 16)
                     | (np.uint32(ub[q + 2]) << 8) | np.uint32(ub[q + 3]))


@kernel
def _walk_items(ub: U8, p: int, e: int, r: int, spec_of: npt.NDArray[np.int64], length_ok: B,
                first_field: I64, field_off: I64, field_kind: I64, field_row: I64,
                mark_bit: U8, v32: npt.NDArray[np.uint32], v16: npt.NDArray[np.uint16],
                v8: U8, present: B, seen: U8) -> bool:  # pragma: no cover - compiled
    """Walk ``id, len, value[len]`` in ``ub[p:e]`` into row ``r``; False when an item runs
    past ``e`` (``item_overrun``). The first occurrence of an id decides (used or not)."""
    used = 0
    bits = 0
    while p < e:
        nxt = p + 2 + ub[p + 1]
        if nxt > e:  # also a lone id byte (p + 2 > e)
            seen[r] = bits
            return False
        iid = ub[p]
        bits |= mark_bit[iid]
        k = spec_of[iid]
        if k >= 0 and not (used >> k) & 1:
            used |= 1 << k
            if length_ok[k, ub[p + 1]]:
                present[k, r] = True
                for f in range(first_field[k], first_field[k + 1]):
                    at = p + 2 + field_off[f]
                    kind = field_kind[f]
                    if kind == 0:
                        v32[field_row[f], r] = _u32(ub, at)
                    elif kind == 1:
                        v16[field_row[f], r] = (np.uint16(ub[at]) << 8) | np.uint16(ub[at + 1])
                    else:
                        v8[field_row[f], r] = ub[at]
        p = nxt
    seen[r] = bits
    return True


@kernel
def _walk_positions(
    ub: U8, bs: I64, be: I64, batch: B, cap: int, spec_of: npt.NDArray[np.int64],
    length_ok: B, first_field: I64, field_off: I64, field_kind: I64, field_row: I64,
    mark_bit: U8, n32: int, n16: int, n8: int,
) -> tuple[int, I64, I64, I64, B, npt.NDArray[np.uint32], npt.NDArray[np.uint16], U8, B,
           U8]:  # pragma: no cover - compiled
    """The positions of frames ``bs..be`` (0x0200 body, or a 0x0704 ``count u16, type u8,
    {len u16, location[len]} * count`` when ``batch``), those of a frame kept only when the
    whole frame decodes: every location block 28 bytes or more, no item overrun, a batch
    consumed exactly with ``count`` positions. Returns ``(rows, owner, index, start, backfill
    per frame, u32/u16/u8 item values, present, marked item bits)``."""
    nf = bs.size
    owner = np.empty(cap, np.int64)
    index = np.empty(cap, np.int64)
    start = np.empty(cap, np.int64)
    backfill = np.zeros(nf, np.bool_)
    v32 = np.zeros((n32, cap), np.uint32)
    v16 = np.zeros((n16, cap), np.uint16)
    v8 = np.zeros((n8, cap), np.uint8)
    present = np.zeros((length_ok.shape[0], cap), np.bool_)
    seen = np.zeros(cap, np.uint8)
    r = 0
    for f in range(nf):
        first = r
        ok = True
        if not batch[f]:
            ok = be[f] - bs[f] >= LOCATION_LEN
            if ok:
                owner[r] = f
                index[r] = 0
                start[r] = bs[f]
                ok = _walk_items(ub, bs[f] + LOCATION_LEN, be[f], r, spec_of, length_ok,
                                 first_field, field_off, field_kind, field_row, mark_bit,
                                 v32, v16, v8, present, seen)
                r += 1
        else:
            e = be[f]
            if e - bs[f] < 3:
                ok = False
            else:
                count = (np.int64(ub[bs[f]]) << 8) | ub[bs[f] + 1]
                backfill[f] = ub[bs[f] + 2] == 1
                p = bs[f] + 3
                for k in range(count):
                    if p + 2 > e:
                        ok = False
                        break
                    nxt = p + 2 + ((np.int64(ub[p]) << 8) | ub[p + 1])
                    if nxt > e:
                        ok = False
                        break
                    if nxt - (p + 2) < LOCATION_LEN:
                        ok = False
                        break
                    owner[r] = f
                    index[r] = k
                    start[r] = p + 2
                    if not _walk_items(ub, p + 2 + LOCATION_LEN, nxt, r, spec_of, length_ok,
                                       first_field, field_off, field_kind, field_row,
                                       mark_bit, v32, v16, v8, present, seen):
                        ok = False
                        break
                    r += 1
                    p = nxt
                ok = ok and p == e
        if not ok:  # the frame is rejected: none of its positions
            for q in range(first, r + 1 if r < cap else r):
                for j in range(n32):
                    v32[j, q] = 0
                for j in range(n16):
                    v16[j, q] = 0
                for j in range(n8):
                    v8[j, q] = 0
                for j in range(present.shape[0]):
                    present[j, q] = False
                seen[q] = 0
            r = first
    return (r, owner[:r], index[:r], start[:r], backfill, v32[:, :r], v16[:, :r], v8[:, :r],
            present[:, :r], seen[:r])


@dataclass
class Positions:
    """The positions of the ``ok`` frames that decode whole, in (frame, index) order."""

    owner: I64  # frame index
    index: I64  # position index in its frame
    start: I64  # location block start in ub
    backfill: B  # per frame: 0x0704 batch type 1
    values: dict[str, list[np.ndarray]]  # per spec: one array per field
    present: dict[str, B]  # per spec: the item was there, with a length the spec uses
    seen_bits: U8  # bit k: the position carries an item ``mark[k]`` (any length)


def positions(ub: U8, bs: I64, be: I64, batch: B, tables: ItemTables) -> Positions:
    """Expand the bodies ``ub[bs:be]`` (0x0704 where ``batch``, else 0x0200) into positions
    and walk their additional items (:class:`ItemTables`)."""
    cap = bs.size + int((be[batch] - bs[batch]).sum()) // (2 + LOCATION_LEN) + 1
    first_field = np.zeros(len(tables.specs) + 1, np.int64)
    np.cumsum(np.bincount(tables.field_spec, minlength=len(tables.specs)), out=first_field[1:])
    n32, n16, n8 = tables.counts()
    r, owner, index, start, backfill, v32, v16, v8, present, seen = _walk_positions(
        ub, np.ascontiguousarray(bs), np.ascontiguousarray(be), np.ascontiguousarray(batch),
        cap, tables.spec_of, tables.length_ok, first_field, tables.field_off,
        tables.field_kind, tables.field_row, tables.mark_bit, n32, n16, n8)
    by_kind = (v32, v16, v8)
    values: dict[str, list[np.ndarray]] = {}
    for k, spec in enumerate(tables.specs):
        values[spec.key] = [by_kind[tables.field_kind[f]][tables.field_row[f]]
                            for f in range(first_field[k], first_field[k + 1])]
    return Positions(
        owner, index, start, backfill, values,
        {spec.key: present[k] for k, spec in enumerate(tables.specs)}, seen)


# --------------------------------------------------------------------------------------------
# Location blocks (table 23)
# --------------------------------------------------------------------------------------------


@dataclass
class Location:
    """The location block of each row (JT/T 808-2019 table 23)."""

    alarm: npt.NDArray[np.uint32]
    status: npt.NDArray[np.uint32]
    lat: npt.NDArray[np.float64]  # degrees, negative when status bit 2 (and not 0)
    lon: npt.NDArray[np.float64]  # degrees, negative when status bit 3 (and not 0)
    altitude: npt.NDArray[np.int16]  # read as signed
    speed: npt.NDArray[np.float64]  # km/h (wire: 1/10)
    heading: npt.NDArray[np.uint16]
    time_us: I64  # UTC epoch microseconds, 0 when invalid
    time_ok: B


@kernel
def _location(ub: U8, start: I64, bcd: U8, ym_days: npt.NDArray[np.int32], ym_len: U8,
              hm_seconds: npt.NDArray[np.int32], shift_us: int
              ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.float64],
                         npt.NDArray[np.float64], npt.NDArray[np.int16], npt.NDArray[np.float64],
                         npt.NDArray[np.uint16], I64, B]:  # pragma: no cover - compiled
    n = start.size
    alarm = np.empty(n, np.uint32)
    status = np.empty(n, np.uint32)
    lat = np.empty(n, np.float64)
    lon = np.empty(n, np.float64)
    alt = np.empty(n, np.int16)
    speed = np.empty(n, np.float64)
    heading = np.empty(n, np.uint16)
    t_us = np.empty(n, np.int64)
    t_ok = np.empty(n, np.bool_)
    for r in range(n):
        p = start[r]
        alarm[r] = _u32(ub, p)
        st = _u32(ub, p + 4)
        status[r] = st
        raw_lat = _u32(ub, p + 8)
        la = raw_lat / 1_000_000
        lat[r] = -la if (st & 0x4) != 0 and raw_lat != 0 else la
        raw_lon = _u32(ub, p + 12)
        lo = raw_lon / 1_000_000
        lon[r] = -lo if (st & 0x8) != 0 and raw_lon != 0 else lo
        a = (np.int64(ub[p + 16]) << 8) | ub[p + 17]
        alt[r] = a - 65536 if a >= 32768 else a
        speed[r] = ((np.int64(ub[p + 18]) << 8) | ub[p + 19]) / 10.0
        heading[r] = (np.uint16(ub[p + 20]) << 8) | np.uint16(ub[p + 21])
        ym = (np.int64(ub[p + 22]) << 8) | ub[p + 23]
        day = bcd[ub[p + 24]]
        hms = hm_seconds[(np.int64(ub[p + 25]) << 8) | ub[p + 26]]
        sec = bcd[ub[p + 27]]
        ok = day >= 1 and day <= ym_len[ym] and hms >= 0 and sec < 60
        t_ok[r] = ok
        t_us[r] = ((np.int64(ym_days[ym]) + day - 1) * 86400 + hms + sec) * 1_000_000 - shift_us \
            if ok else 0
    return alarm, status, lat, lon, alt, speed, heading, t_us, t_ok


def location(ub: U8, start: I64) -> Location:
    """The location block at each ``start`` (BCD time in Beijing time -> UTC: valid when
    every nibble is a decimal digit and the fields form a real date and time, years 2000 +
    YY; invalid rows get 0)."""
    return Location(*_location(ub, np.ascontiguousarray(start), BCD, _YM_DAYS, _YM_LEN,
                               _HM_SECONDS, _BEIJING_US))


# --------------------------------------------------------------------------------------------
# Phones
# --------------------------------------------------------------------------------------------


@kernel
def _header_rows(ub: U8, frame: I64, fs: I64, cs: I64, v2019: B, base: int
                 ) -> tuple[I64, npt.NDArray[np.uint16], npt.NDArray[np.int16], U8,
                            npt.NDArray[np.int32]]:  # pragma: no cover - compiled
    """Per row (of frame ``frame[r]``): the frame's offset (``fs + base``), serial, version
    and phone digits as ASCII (BCD[6] at header byte 4, or BCD[10] at byte 5 when
    ``v2019``; hex letters for non-decimal nibbles, as on the wire) with the string offsets."""
    n = frame.size
    offset = np.empty(n, np.int64)
    serial = np.empty(n, np.uint16)
    version = np.empty(n, np.int16)
    offsets = np.empty(n + 1, np.int32)
    offsets[0] = 0
    for r in range(n):
        offsets[r + 1] = offsets[r] + (20 if v2019[frame[r]] else 12)
    data = np.empty(offsets[n], np.uint8)
    o = 0
    for r in range(n):
        f = frame[r]
        offset[r] = fs[f] + base
        v19 = v2019[f]
        at = cs[f] + 5 if v19 else cs[f] + 4
        digits = 10 if v19 else 6
        ser = at + digits
        version[r] = 2019 if v19 else 2013
        serial[r] = (np.uint16(ub[ser]) << 8) | np.uint16(ub[ser + 1])
        for j in range(digits):
            b = ub[at + j]
            hi = b >> 4
            lo = b & 0x0F
            data[o] = hi + 48 if hi < 10 else hi + 87
            data[o + 1] = lo + 48 if lo < 10 else lo + 87
            o += 2
    return offset, serial, version, data, offsets


@kernel
def _phones_bcd(ub: U8, cs: I64, v2019: B) -> B:  # pragma: no cover - compiled
    out = np.empty(cs.size, np.bool_)
    for r in range(cs.size):
        at = cs[r] + 5 if v2019[r] else cs[r] + 4
        ok = True
        for j in range(at, at + (10 if v2019[r] else 6)):
            if (ub[j] >> 4) > 9 or (ub[j] & 0x0F) > 9:
                ok = False
                break
        out[r] = ok
    return out


def phones_bcd(ub: U8, cs: I64, v2019: B) -> B:
    """Per header at ``cs``: is its phone BCD (every nibble a decimal digit)?"""
    return _phones_bcd(ub, np.ascontiguousarray(cs), np.ascontiguousarray(v2019))


@dataclass
class HeaderRows:
    """Header columns per row (:func:`header_rows`)."""

    offset: I64
    serial: npt.NDArray[np.uint16]
    version: npt.NDArray[np.int16]
    phone: pa.StringArray


def header_rows(ub: U8, frame: I64, fs: I64, cs: I64, v2019: B, base: int = 0) -> HeaderRows:
    """Offset, serial, version and phone of the frame ``frame[r]`` of each row (frames
    opening at ``fs``, their headers at ``cs``)."""
    offset, serial, version, data, offsets = _header_rows(
        ub, np.ascontiguousarray(frame), np.ascontiguousarray(fs), np.ascontiguousarray(cs),
        np.ascontiguousarray(v2019), base)
    phone = pa.StringArray.from_buffers(frame.size, pa.py_buffer(offsets), pa.py_buffer(data))
    return HeaderRows(offset, serial, version, phone)
