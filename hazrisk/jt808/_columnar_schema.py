"""The columnar decoder's table: its Arrow schema and the additional items given a column.

The columns are documented in :mod:`hazrisk.jt808.columnar` (the public API). Item ids,
widths, scales and accepted lengths come from the scalar codec's table
(:data:`hazrisk.jt808.items.ITEMS`); :data:`ITEM_TABLES` is that table as the position
kernel (:func:`hazrisk.jt808._columnar_kernels.positions`) walks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from hazrisk.jt808 import _columnar_kernels as K
from hazrisk.jt808.fields import UInt
from hazrisk.jt808.items import ITEMS
from hazrisk.localtime import TIMEZONE

TZ = TIMEZONE  # conf [period] timezone: how the instants display, not the wire offset
TS = pa.timestamp("us", tz=TZ)

SCHEMA = pa.schema(
    [
        ("offset", pa.int64()),
        ("msg_id", pa.uint16()),
        ("phone", pa.string()),
        ("serial", pa.uint16()),
        ("version", pa.int16()),
        ("pos_index", pa.int16()),
        ("is_backfill", pa.bool_()),
        ("reassembled", pa.bool_()),
        ("alarm", pa.uint32()),
        ("status", pa.uint32()),
        ("lat_deg", pa.float64()),
        ("lon_deg", pa.float64()),
        ("altitude_m", pa.int16()),
        ("speed_kmh", pa.float64()),
        ("heading_deg", pa.uint16()),
        ("device_time", TS),
        ("mileage_km", pa.float64()),
        ("fuel_l", pa.float64()),
        ("tacho_speed_kmh", pa.float64()),
        ("ext_signal_status", pa.uint32()),
        ("io_status", pa.uint16()),
        ("rssi", pa.uint8()),
        ("gnss_count", pa.uint8()),
        ("adas_alarm_type", pa.uint8()),
        ("adas_alarm_level", pa.uint8()),
        ("dsm_alarm_type", pa.uint8()),
        ("dsm_alarm_level", pa.uint8()),
        ("safety_items", pa.uint8()),
        ("q_invalid_bcd_time", pa.bool_()),
        ("q_lat_out_of_range", pa.bool_()),
        ("q_lon_out_of_range", pa.bool_()),
        ("q_speed_out_of_range", pa.bool_()),
        ("q_heading_out_of_range", pa.bool_()),
        ("q_altitude_out_of_range", pa.bool_()),
    ]
)
RECV_FIELD = pa.field("recv_time", TS)
RECV_SCHEMA = SCHEMA.append(RECV_FIELD)

MSG_LOCATION = 0x0200
MSG_BATCH = 0x0704


#: Additional items with a column of their own (JT/T 808-2019 table 27). Names, widths,
#: scales and accepted lengths come from the scalar codec's table, :data:`items.ITEMS`.
ITEM_COLUMN_IDS: tuple[int, ...] = (0x01, 0x02, 0x03, 0x25, 0x2A, 0x30, 0x31)
#: Active-safety items (T/JSATL12-2017): column prefix -> item id; the ``alarm_type`` and
#: ``level`` fields of every layout of the item.
SAFETY_ITEMS: tuple[tuple[str, int], ...] = (("adas", 0x64), ("dsm", 0x65))
SAFETY_FIELDS: tuple[tuple[str, str], ...] = (("alarm_type", "alarm_type"), ("alarm_level", "level"))
#: Active-safety item ids flagged in ``safety_items``: bit ``k`` for ``SAFETY_ITEM_IDS[k]``
#: (0x64 ADAS, 0x65 DSM, 0x66 TPMS, 0x67 BSD), set when the position carries that item at all
#: (any length). The ingest decodes just those positions' items (:mod:`.safety_items`).
SAFETY_ITEM_IDS: tuple[int, ...] = (0x64, 0x65, 0x66, 0x67)


@dataclass(frozen=True)
class _ItemColumn:
    column: str
    div: int
    spec: K.ItemSpec


def _item_columns_from_table() -> tuple[tuple[_ItemColumn, ...], tuple[K.ItemSpec, ...]]:
    columns: list[_ItemColumn] = []
    specs: list[K.ItemSpec] = []
    for iid in ITEM_COLUMN_IDS:
        (layout,) = [lay for lay in ITEMS[iid].layouts if lay.standard]
        (fld,) = layout.layout.fields
        assert isinstance(fld, UInt) and layout.match is None
        spec = K.ItemSpec(fld.name, iid, layout.lengths, ((0, fld.width),))
        columns.append(_ItemColumn(fld.name, fld.div, spec))
        specs.append(spec)
    for prefix, iid in SAFETY_ITEMS:
        offsets: set[tuple[tuple[int, int], ...]] = set()
        lengths: set[int] = set()
        for layout in ITEMS[iid].layouts:
            at, where = 0, {}
            for f in layout.layout.fields:
                where[f.name] = (at, f.size)
                at += f.size
            offsets.add(tuple(where[name] for _, name in SAFETY_FIELDS))
            lengths |= layout.lengths
        (fields,) = offsets  # the same head in every variant
        specs.append(K.ItemSpec(prefix, iid, frozenset(lengths), fields))
    return tuple(columns), tuple(specs)


ITEM_COLUMNS, ITEM_SPECS = _item_columns_from_table()
ITEM_TABLES = K.ItemTables.of(ITEM_SPECS, SAFETY_ITEM_IDS)


def empty_table(with_recv: bool = False) -> pa.Table:
    """A table of no rows (with ``recv_time`` when ``with_recv``: hex logs)."""
    return (RECV_SCHEMA if with_recv else SCHEMA).empty_table()
