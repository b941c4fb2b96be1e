"""Rows of the columnar table from the scalar codec's records.

Subpackaged 0x0200/0x0704 frames (rare) are reassembled by the scalar path's own
:class:`~hazrisk.jt808.stream.Reassembler` and their positions become rows by
:func:`records_table`, a Python loop that is also the readable statement of how each column
relates to a scalar record; :func:`merge_reassembled` puts those rows among the columnar
decoder's where the scalar reader yields the reassembled record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hazrisk.jt808._columnar_hexlog import NAT, HexLines
from hazrisk.jt808._columnar_schema import (
    ITEM_COLUMNS,
    MSG_BATCH,
    MSG_LOCATION,
    RECV_SCHEMA,
    SAFETY_FIELDS,
    SAFETY_ITEM_IDS,
    SAFETY_ITEMS,
    SCHEMA,
)
from hazrisk.jt808.codec import decode_escaped
from hazrisk.jt808.errors import QUALITY_FLAGS
from hazrisk.jt808.fields import BEIJING
from hazrisk.jt808.quality import limits, location_flags
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import Reassembler


def reassembled_rows(
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    base_offset: int,
    reassembler: Reassembler | None,
    lines: HexLines | None,
) -> list[pa.Table]:
    """Feed subpackage fragments (frames ``buf[s:e+1]``) to the scalar reassembler, as the
    records the scalar reader makes of them (offset, length; receive time from hex logs)."""
    joiner = reassembler if reassembler is not None else Reassembler()
    if lines is not None:
        offsets, lengths, line = lines.frame_spans(starts, ends)
    else:
        offsets, lengths, line = starts + base_offset, ends - starts + 1, None
    done: list[Record] = []
    for k, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        rec = decode_escaped(buf[s + 1 : e].tobytes(), offset=int(offsets[k]), length=int(lengths[k]))
        if lines is not None and line is not None:
            i = int(line[k])
            us = int(lines.recv_us[i])
            rec.recv_time = None if us == NAT else _from_us(us)
            rec.direction = lines.direction(i)
            rec.line = int(lines.line_no[i])
        done.extend(r for r in joiner.feed(rec) if r.status == "ok" and r.body is not None)
    return [records_table(done, with_recv=lines is not None)] if done else []


def _from_us(us: int) -> datetime:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)).astimezone(BEIJING)


def merge_reassembled(table: pa.Table, extra: list[pa.Table]) -> pa.Table:
    """Add reassembled rows; at equal offsets they come first (the scalar yields a reassembled
    record right after the fragment completing it, at the offset where the next frame starts)."""
    if not extra:
        return table
    both = pa.concat_tables([*extra, table])
    first = np.concatenate([np.zeros(sum(t.num_rows for t in extra), np.int8), np.ones(table.num_rows, np.int8)])
    order = np.lexsort((both.column("pos_index").to_numpy(), first, both.column("offset").to_numpy()))
    return both.take(pa.array(order))


def records_table(records: list[Record], *, with_recv: bool = False) -> pa.Table:
    """Rows (schema :data:`SCHEMA`, plus ``recv_time``) for the positions of scalar ``ok``
    0x0200/0x0704 records.

    A Python loop over positions: for the few records the scalar path decodes (reassembled
    subpackages), and as a readable statement of how each column relates to the record.
    """
    schema = RECV_SCHEMA if with_recv else SCHEMA
    rows: dict[str, list[Any]] = {f.name: [] for f in schema}
    lim = limits()
    for rec in records:
        body = rec.body or {}
        if "raw_hex" in body:
            continue
        if rec.msg_id == MSG_LOCATION:
            positions = [body]
        elif rec.msg_id == MSG_BATCH:
            positions = list(body.get("positions", []))
        else:
            continue
        for i, pos in enumerate(positions):
            items = pos.get("items", {})
            rows["offset"].append(rec.offset)
            rows["msg_id"].append(rec.msg_id)
            rows["phone"].append(rec.phone)
            rows["serial"].append(rec.serial)
            rows["version"].append(2019 if rec.version == 2019 else 2013)
            rows["pos_index"].append(i)
            rows["is_backfill"].append(rec.msg_id == MSG_BATCH and body.get("batch_type") == 1)
            rows["reassembled"].append(rec.reassembled_from is not None)
            for key in ("alarm", "status", "lat_deg", "lon_deg", "altitude_m", "speed_kmh",
                        "heading_deg", "device_time"):
                rows[key].append(pos[key])
            for ic in ITEM_COLUMNS:
                rows[ic.column].append(items.get(f"0x{ic.spec.item_id:02X}", {}).get(ic.column))
            for prefix, iid in SAFETY_ITEMS:
                item = items.get(f"0x{iid:02X}", {})
                for suffix, key in SAFETY_FIELDS:
                    rows[f"{prefix}_{suffix}"].append(item.get(key))
            rows["safety_items"].append(sum(1 << k for k, iid in enumerate(SAFETY_ITEM_IDS)
                                            if f"0x{iid:02X}" in items))
            flags = location_flags(pos, lim)
            for flag in QUALITY_FLAGS:
                rows[f"q_{flag}"].append(flag in flags)
            if with_recv:
                rows["recv_time"].append(rec.recv_time)
    return pa.Table.from_pydict(rows, schema=schema)
