"""numpy body kernels of :mod:`hazrisk.jt808.columnar`: BCD, location blocks, items, batches.

Every function works on whole arrays (a buffer, arrays of position indices). Loops run over
*item index* or *position index* (a handful of iterations for a whole buffer), never over
frames or positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hazrisk.jt808._columnar_framing import (
    _EMPTY_I64,
    BCD,
    I64,
    U8,
    B,
    be16,
    be32,
    gather_rows,
)
from hazrisk.jt808.fields import WIRE_OFFSET_S
from hazrisk.kernels import kernel

LOCATION_LEN = 28

LOCATION_DTYPE = np.dtype(
    [
        ("alarm", ">u4"),
        ("status", ">u4"),
        ("lat", ">u4"),
        ("lon", ">u4"),
        ("altitude", ">i2"),
        ("speed", ">u2"),
        ("heading", ">u2"),
        ("time_ym", ">u2"),  # BCD YYMM
        ("time_dd", "u1"),  # BCD DD
        ("time_hm", ">u2"),  # BCD hhmm
        ("time_ss", "u1"),  # BCD ss
    ]
)
assert LOCATION_DTYPE.itemsize == LOCATION_LEN


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


def bcd_time_us(
    ym: npt.NDArray[np.uint16], dd: U8, hm: npt.NDArray[np.uint16], ss: U8
) -> tuple[I64, B]:
    """BCD ``YYMM``, ``DD``, ``hhmm``, ``ss`` in Beijing time -> (UTC epoch microseconds, valid).

    Valid means every nibble is a decimal digit and the fields form a real date and time
    (month 1-12, day within the month, hour < 24, minute < 60, second < 60); years are
    2000 + YY. Invalid rows get 0.
    """
    day = BCD[dd]
    sec = BCD[ss]
    hms = _HM_SECONDS[hm]
    valid = (day >= 1) & (day <= _YM_LEN[ym]) & (hms >= 0) & (sec < 60)
    t = (_YM_DAYS[ym].astype(np.int64) + day) * 86400
    t += hms
    t += sec
    t *= _US
    t -= _BEIJING_US + 86400 * _US  # day is 1-based
    t[~valid] = 0
    return t, valid


# --------------------------------------------------------------------------------------------
# Repeated structures
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


@dataclass
class ItemValues:
    """Per position: one array per spec field, and whether the item was present (and used)."""

    values: dict[str, list[np.ndarray]]
    present: dict[str, B]
    overrun: B  # the item walk ran past the end of the body
    seen: dict[int, B]  # per ``mark`` id: the position carries the item (any length)


_FIELD_DTYPE = {1: np.uint8, 2: np.uint16, 4: np.uint32}
_FIELD_FORMAT = {1: "u1", 2: ">u2", 4: ">u4"}


def walk_items(
    ub: U8,
    start: I64,
    end: I64,
    specs: tuple[ItemSpec, ...],
    *,
    mark: tuple[int, ...] = (),
    sample: int = 256,
) -> ItemValues:
    """Walk ``id, len, value[len]`` records in ``ub[start:end]`` for all positions at once.

    An item whose header or value does not fit before ``end`` marks its position ``overrun``
    (the scalar decoder's ``item_overrun``). Values of the items named in ``specs`` are pulled
    out; when an id repeats inside one position the first one is used (the scalar decoder
    keys repeats ``"0x01#2"``...). For the ids in ``mark``, ``seen`` says whether the position
    carries such an item at all (any length, whether a spec uses it or not).

    Most terminals send the same item layout (sequence of ids and lengths) in every report,
    so the common layouts are found on a sample of positions and checked for all positions at
    once (one row gather and a compare per item header); a position that matches a layout
    exactly is what the walk would give. The other positions go through the general walk,
    one iteration per item index.
    """
    m = start.size
    out = ItemValues(
        {s.key: [np.zeros(m, _FIELD_DTYPE[w]) for _, w in s.fields] for s in specs},
        {s.key: np.zeros(m, bool) for s in specs},
        np.zeros(m, bool),
        {iid: np.zeros(m, bool) for iid in mark},
    )
    todo = np.arange(m, dtype=np.int64)
    for layout in common_layouts(ub, start, end, sample=sample):
        if todo.size < 64:
            break
        done = _match_layout(ub, start, end, todo, layout, specs, out)
        if done is not None:
            todo = todo[~done]
    if todo.size:
        _walk(ub, start, end, todo, specs, out)
    return out


Layout = tuple[tuple[int, int], ...]


def common_layouts(ub: U8, start: I64, end: I64, sample: int = 256, top: int = 6) -> list[Layout]:
    """Item layouts (``((id, len), ...)``) seen often in an evenly spread sample of positions."""
    m = start.size
    if m == 0 or sample <= 0:
        return []
    picks = np.unique(np.linspace(0, m - 1, min(sample, m)).astype(np.int64))
    seen: dict[Layout, int] = {}
    for i in picks.tolist():
        p, e = int(start[i]), int(end[i])
        items: list[tuple[int, int]] = []
        while p + 2 <= e:
            n = int(ub[p + 1])
            if p + 2 + n > e:
                break
            items.append((int(ub[p]), n))
            p += 2 + n
        if p == e:
            layout = tuple(items)
            seen[layout] = seen.get(layout, 0) + 1
    floor = max(2, picks.size // 64)
    ranked = sorted(seen.items(), key=lambda kv: -kv[1])
    return [layout for layout, count in ranked[:top] if count >= floor]


def _match_layout(
    ub: U8,
    start: I64,
    end: I64,
    todo: I64,
    layout: Layout,
    specs: tuple[ItemSpec, ...],
    out: ItemValues,
) -> B | None:
    """Resolve the positions in ``todo`` whose items are exactly ``layout``.

    Returns a boolean mask over ``todo`` of the resolved positions (None when none matched).
    """
    total = sum(2 + n for _, n in layout)
    names: list[str] = []
    formats: list[str] = []
    offsets: list[int] = []
    want: list[tuple[ItemSpec, list[str]]] = []
    by_id = {s.item_id: s for s in specs}
    used: set[int] = set()
    at = 0
    for k, (iid, n) in enumerate(layout):
        names.append(f"h{k}")
        formats.append(">u2")
        offsets.append(at)
        spec = by_id.get(iid)
        if spec is not None and iid not in used and n in spec.lengths:
            fields = []
            for j, (off, width) in enumerate(spec.fields):
                names.append(f"v{k}_{j}")
                formats.append(_FIELD_FORMAT[width])
                offsets.append(at + 2 + off)
                fields.append(f"v{k}_{j}")
            want.append((spec, fields))
        used.add(iid)  # the first occurrence decides, used or not
        at += 2 + n
    dense = todo.size == start.size  # todo is arange(m): masked writes instead of scatters
    same_len = (end[todo] - start[todo]) == total
    if dense:
        cand, same_idx = todo, None
        ok = same_len
    else:
        same_idx = np.flatnonzero(same_len)
        cand = todo[same_idx]
        ok = np.ones(cand.size, bool)
    if cand.size == 0:
        return None
    rec = None
    if total:
        dt = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": total})
        rec = gather_rows(ub, start[cand], total).view(dt)[:, 0]
        for k, (iid, n) in enumerate(layout):
            ok &= rec[f"h{k}"] == (iid << 8 | n)
    marked = [iid for iid in out.seen if iid in used]
    if dense:
        for spec, fields in want:
            assert rec is not None
            for dst, name in zip(out.values[spec.key], fields, strict=True):
                np.copyto(dst, rec[name], where=ok)
            out.present[spec.key] |= ok
        for iid in marked:
            out.seen[iid] |= ok
        return ok
    assert same_idx is not None
    rows = cand[ok]
    if rows.size == 0:
        return None
    for spec, fields in want:
        assert rec is not None
        for dst, name in zip(out.values[spec.key], fields, strict=True):
            dst[rows] = rec[name][ok]
        out.present[spec.key][rows] = True
    for iid in marked:
        out.seen[iid][rows] = True
    done = np.zeros(todo.size, bool)
    done[same_idx[ok]] = True
    return done


def _walk(
    ub: U8, start: I64, end: I64, act: I64, specs: tuple[ItemSpec, ...], out: ItemValues
) -> None:
    """The general walk over the positions ``act``: one iteration per item index."""
    values, present, overrun = out.values, out.present, out.overrun
    by_id = {s.item_id: s for s in specs}
    length_ok = {s.item_id: s.length_ok() for s in specs}
    # seen[id] per position: an earlier item had this id (first occurrence wins)
    seen_before = {s.item_id: np.zeros(start.size, bool) for s in specs}
    wanted = set(by_id) | set(out.seen)
    full = act.size == start.size  # act is arange(m): writes need no scatter
    p = start[act]
    e = end[act]
    while act.size:
        more = p < e
        if not more.all():
            act, p, e = act[more], p[more], e[more]
            full = False
            if act.size == 0:
                break
        head = be16(ub, p)
        iid = head >> 8
        ilen = head & 0xFF
        nxt = p + 2 + ilen
        bad = nxt > e  # also covers a lone id byte (p + 2 > e)
        if bad.any():
            overrun[act[bad]] = True
            good = ~bad
            act, p, e, iid, ilen, nxt = act[good], p[good], e[good], iid[good], ilen[good], nxt[good]
            full = False
            if act.size == 0:
                break
        if (iid == iid[0]).all():
            hits = {int(iid[0]): act.size}
        else:
            counts = np.bincount(iid, minlength=256)
            hits = {i: int(counts[i]) for i in wanted}
        for item_id, seen in out.seen.items():
            n_hits = hits.get(item_id, 0)
            if n_hits == act.size:
                seen[act] = True
            elif n_hits:
                seen[act[iid == item_id]] = True
        for item_id, spec in by_id.items():
            n_hits = hits.get(item_id, 0)
            if n_hits == 0:
                continue
            if n_hits == act.size:
                lens, at, rows = ilen, p + 2, act
                whole = full
            else:
                sel = iid == item_id
                lens, at, rows = ilen[sel], p[sel] + 2, act[sel]
                whole = False
            first = ~seen_before[item_id][rows]
            use = length_ok[item_id][lens] & first
            if whole:
                seen_before[item_id][...] = True
            else:
                seen_before[item_id][rows] = True
            if not use.all():
                at, rows = at[use], rows[use]
                whole = False
            for dst, (off, width) in zip(values[spec.key], spec.fields, strict=True):
                if width == 4:
                    v: np.ndarray = be32(ub, at + off)
                elif width == 2:
                    v = be16(ub, at + off)
                else:
                    v = ub[at + off]
                if whole:
                    dst[...] = v
                else:
                    dst[rows] = v
            if whole:
                present[spec.key][...] = True
            else:
                present[spec.key][rows] = True
        p = nxt


@dataclass
class Batch:
    """Positions inside 0x0704 bodies: owner frame, index, and ``ub[start:end]``."""

    owner: I64
    index: I64
    start: I64
    end: I64
    count: npt.NDArray[np.uint16]
    batch_type: U8
    consumed: I64  # per frame: bytes walked (3 + sum(2 + len)); == body length when exact
    overrun: B  # per frame: a position length ran past the body


def walk_batches(ub: U8, body_start: I64, body_end: I64) -> Batch:
    """Expand 0x0704 bodies: ``count u16, type u8, {len u16, location[len]} * count``."""
    short = body_end - body_start < 3
    count = np.where(short, 0, be16(ub, body_start)).astype(np.uint16)
    btype = ub[body_start + 2]
    overrun = short.copy()
    act = np.flatnonzero(~short)
    p = body_start[act] + 3
    e = body_end[act]
    left = count[act].astype(np.int64)
    consumed = np.where(short, body_end - body_start, 3).astype(np.int64)
    owners: list[I64] = []
    idxs: list[I64] = []
    starts: list[I64] = []
    ends: list[I64] = []
    k = 0
    while act.size:
        go = left > k
        if not go.all():
            act, p, e, left = act[go], p[go], e[go], left[go]
            if act.size == 0:
                break
        fits = p + 2 <= e
        plen = np.where(fits, be16(ub, np.where(fits, p, 0)), 0).astype(np.int64)
        nxt = p + 2 + plen
        bad = ~fits | (nxt > e)
        if bad.any():
            overrun[act[bad]] = True
            good = ~bad
            act, p, e, left, plen, nxt = act[good], p[good], e[good], left[good], plen[good], nxt[good]
        owners.append(act)
        idxs.append(np.full(act.size, k, np.int64))
        starts.append(p + 2)
        ends.append(nxt)
        consumed[act] += 2 + plen
        p = nxt
        k += 1
    cat = (lambda xs: np.concatenate(xs)) if owners else (lambda xs: _EMPTY_I64)
    return Batch(cat(owners), cat(idxs), cat(starts), cat(ends), count, btype, consumed, overrun)


@kernel
def _phone_ascii(ub: U8, cs: I64, v2019: B) -> tuple[U8, npt.NDArray[np.int32]]:  # pragma: no cover
    """The phone digits of each header (BCD[6] at byte 4, or BCD[10] at byte 5 when
    ``v2019``) as ASCII (hex letters for non-decimal nibbles), and the string offsets."""
    n = cs.size
    offsets = np.empty(n + 1, np.int32)
    offsets[0] = 0
    for r in range(n):
        offsets[r + 1] = offsets[r] + (20 if v2019[r] else 12)
    data = np.empty(offsets[n], np.uint8)
    o = 0
    for r in range(n):
        at = cs[r] + 5 if v2019[r] else cs[r] + 4
        for j in range(10 if v2019[r] else 6):
            b = ub[at + j]
            hi = b >> 4
            lo = b & 0x0F
            data[o] = hi + 48 if hi < 10 else hi + 87
            data[o + 1] = lo + 48 if lo < 10 else lo + 87
            o += 2
    return data, offsets


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


def phone_strings(
    ub: npt.NDArray[np.uint8], cs: npt.NDArray[np.int64], v2019: npt.NDArray[np.bool_] | None
) -> pa.Array:
    """Phone strings: BCD[6] at header byte 4 (2013) or BCD[10] at byte 5 (2019), the
    digits as on the wire."""
    flag = np.zeros(cs.size, bool) if v2019 is None else np.ascontiguousarray(v2019)
    data, offsets = _phone_ascii(ub, np.ascontiguousarray(cs), flag)
    return pa.StringArray.from_buffers(cs.size, pa.py_buffer(offsets), pa.py_buffer(data))
