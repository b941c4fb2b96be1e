"""The full active-safety items (0x64-0x67) of chosen positions of a decoded chunk.

The columnar decoder reads only the ADAS/DSM alarm type and level of the active-safety items
(T/JSATL12-2017 §4.5, 苏标) and marks in ``safety_items`` which of 0x64-0x67 a position carries;
the warehouse stores those items in full (``store.safety_events``). :func:`chunk_safety_items`
decodes them for the positions asked (a few per thousand) straight from the chunk's bytes,
without decoding the frames again:

1. the frames are gathered into one small buffer (a raw chunk's by a kernel that copies each
   escaped frame up to its closing flag; a hex-log chunk's one-frame lines from their hex);
2. :func:`hazrisk.jt808._columnar_framing.frame` frames that buffer as the fast path framed the
   chunk (unescaping, check code, 2013/2019 header layouts);
3. a kernel walks each frame's body to the position (a 0x0704 batch's ``pos_index``-th) and its
   additional items (JT/T 808-2019 table 27), noting where the first 0x64, 0x65, 0x66 and 0x67
   lie (a repeated id counts once, its first occurrence, as in the columnar table);
4. only those items are decoded, each by its layout in :data:`hazrisk.jt808.items.ITEMS`
   (:func:`~hazrisk.jt808.items.decode_item`): the values are exactly the codec's.

Positions whose frame is not in the chunk's bytes (none are, for the fast path's rows) get no
items. ``tests/jt808/test_safety_items.py`` compares the result with the codec's decoding of
whole frames.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hazrisk.jt808 import _columnar_framing as F
from hazrisk.jt808._reader_base import DecodedChunk
from hazrisk.jt808.columnar import SAFETY_ITEM_IDS
from hazrisk.jt808.fields import Ctx
from hazrisk.jt808.framing import MAX_SPAN
from hazrisk.jt808.items import decode_item
from hazrisk.kernels import kernel

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

# The active-safety item ids (the columnar decoder's, in the order of its ``safety_items``
# bits) are consecutive, so the kernel indexes them from the first.
_FIRST_ID = SAFETY_ITEM_IDS[0]
assert all(i == _FIRST_ID + k for k, i in enumerate(SAFETY_ITEM_IDS))
_LOCATION_LEN = 28
_MSG_LOCATION, _MSG_BATCH = 0x0200, 0x0704

#: Per position: item id -> the decoded item (the codec's dictionary).
ItemMap = dict[int, dict[str, Any]]


@kernel
def _gather(buf: U8, starts: I64, max_span: int) -> tuple[U8, I64]:  # pragma: no cover - compiled
    """Copy each escaped frame ``buf[s]`` (an opening 0x7E) .. its closing 0x7E into one
    buffer; per frame its start there, -1 when ``buf[s]`` is no flag or no flag closes it
    within ``max_span`` bytes."""
    n = starts.size
    ends = np.empty(n, np.int64)
    total = 0
    for k in range(n):
        s = starts[k]
        ends[k] = -1
        if s < 0 or s >= buf.size or buf[s] != 0x7E:
            continue
        stop = min(s + 2 + max_span, buf.size)
        for j in range(s + 1, stop):
            if buf[j] == 0x7E:
                ends[k] = j
                total += j - s + 1
                break
    out = np.empty(total, np.uint8)
    at = np.full(n, -1, np.int64)
    o = 0
    for k in range(n):
        e = ends[k]
        if e < 0:
            continue
        s = starts[k]
        at[k] = o
        for j in range(s, e + 1):
            out[o] = buf[j]
            o += 1
    return out, at


@kernel
def _spans(ub: U8, bs: I64, be: I64, batch: npt.NDArray[np.bool_], index: I64,
           first_id: int, n_ids: int) -> I64:  # pragma: no cover - compiled
    """Per frame: where the value of the first item ``first_id + j`` of its ``index[f]``-th
    position lies in ``ub`` (``[f, j, 0]`` start, ``[f, j, 1]`` end; -1 when absent). The
    body is a 0x0200 location body, or when ``batch`` a 0x0704 ``count u16, type u8,
    {len u16, body[len]} * count``. A position that is not there, or whose items run past its
    body, gives none (the fast path takes no such frame)."""
    nf = bs.size
    out = np.full((nf, n_ids, 2), -1, np.int64)
    for f in range(nf):
        p = bs[f]
        e = be[f]
        if batch[f]:
            if e - p < 3:
                continue
            count = (np.int64(ub[p]) << 8) | ub[p + 1]
            p += 3
            found = False
            for k in range(count):
                if p + 2 > e:
                    break
                nxt = p + 2 + ((np.int64(ub[p]) << 8) | ub[p + 1])
                if nxt > e:
                    break
                if k == index[f]:
                    p, e = p + 2, nxt
                    found = True
                    break
                p = nxt
            if not found:
                continue
        elif index[f] != 0:
            continue
        if e - p < _LOCATION_LEN:
            continue
        p += _LOCATION_LEN
        while p < e:
            if p + 2 > e or p + 2 + ub[p + 1] > e:  # an overrun: the codec rejects the frame
                out[f, :, :] = -1
                break
            slot = np.int64(ub[p]) - first_id
            if 0 <= slot < n_ids and out[f, slot, 0] < 0:
                out[f, slot, 0] = p + 2
                out[f, slot, 1] = p + 2 + ub[p + 1]
            p += 2 + ub[p + 1]
    return out


def _frames(chunk: DecodedChunk, offsets: list[int]) -> tuple[U8, I64]:
    """The escaped frames at ``offsets`` gathered into one buffer, and each one's start there
    (-1: not in the chunk's bytes)."""
    if chunk.raw is not None:
        buf, base = chunk.raw
        rel = np.asarray(offsets, np.int64) - base
        return _gather(np.ascontiguousarray(buf), rel, MAX_SPAN)
    parts: list[bytes] = []
    at = np.full(len(offsets), -1, np.int64)
    o = 0
    for k, off in enumerate(offsets):
        frame = chunk.frame_at(off)
        if frame:
            at[k] = o
            parts.append(frame)
            o += len(frame)
    return np.frombuffer(b"".join(parts), np.uint8), at


def chunk_safety_items(chunk: DecodedChunk, wanted: list[tuple[int, int]]
                       ) -> dict[tuple[int, int], ItemMap]:
    """The active-safety items of the fast-path positions ``wanted`` (``(offset, pos_index)``
    of rows of ``chunk.positions``): per position found, item id -> the codec's dictionary of
    the item's first occurrence (positions without one of 0x64-0x67 are left out)."""
    if not wanted:
        return {}
    offsets = sorted({off for off, _ in wanted})
    gathered, at = _frames(chunk, offsets)
    if gathered.size == 0:
        return {}
    fm = F.frame(gathered)
    # the frame each offset's bytes became (the gathered frames are consistent: one each)
    k = np.searchsorted(fm.fs, at)
    hit = (at >= 0) & (k < fm.fs.size)
    hit[hit] &= fm.fs[k[hit]] == at[hit]
    frame_of = dict(zip(offsets, np.where(hit, k, -1).tolist(), strict=True))
    rows = [(off, idx, frame_of[off]) for off, idx in wanted if frame_of[off] >= 0]
    f = np.asarray([r[2] for r in rows], np.int64)
    msg = fm.msg_id[f]
    good = ((fm.xor[f] == 0) & ((fm.props[f] & 0x3C00) == 0)
            & ((msg == _MSG_LOCATION) | (msg == _MSG_BATCH)))
    bs = fm.cs[f] + fm.size[f]
    be = bs + (fm.props[f] & 0x03FF).astype(np.int64)
    spans = _spans(fm.ub, bs, be, msg == _MSG_BATCH,
                   np.asarray([r[1] for r in rows], np.int64), _FIRST_ID, len(SAFETY_ITEM_IDS))
    ub = fm.ub.tobytes()
    ctx = Ctx()
    out: dict[tuple[int, int], ItemMap] = {}
    for (off, idx, _), ok, sp in zip(rows, good.tolist(), spans.tolist(), strict=True):
        if not ok:
            continue
        items = {iid: decode_item(iid, ub, s, e, ctx, "items")
                 for iid, (s, e) in zip(SAFETY_ITEM_IDS, sp, strict=True) if s >= 0}
        if items:
            out[(off, idx)] = items
    return out
