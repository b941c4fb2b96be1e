"""Records other than fast-path positions -> raw, quarantine and typed core tables.

:class:`RecordRows` turns a file's records into rows per table and hands them over as Arrow
tables (:meth:`RecordRows.tables`, once per chunk); it needs no database, so the ingest runs
it where the file is decoded (the worker process of :mod:`hazrisk.store.decode_worker`) and
only the tables cross. :func:`insert_rows` appends one table (inside the caller's
transaction), one statement of ``sql/messages.sql`` per table. Counting follows the decoder's
records: ``frames_ok`` counts ``ok`` records with bytes (a reassembled message is not a frame
of its own), ``rejected`` counts ``rejected`` records by reason (including the length-0
``incomplete_subpackages`` reports), garbage is counted in bytes and spans.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from hazrisk.jt808 import Record
from hazrisk.jt808.record import json_text, jsonable
from hazrisk.sqlfiles import SqlFolder, registered
from hazrisk.store import names as N

_sql = SqlFolder("hazrisk.store")

RAW_HEX_MAX = 4096
GARBAGE_HEAD = 64
_TS = pa.timestamp("us", tz="UTC")
_I32, _I64, _STR, _I16 = pa.int32(), pa.int64(), pa.string(), pa.int16()

#: Target tables (fixed whitelist) -> columns and Arrow types, in table order.
TABLES: dict[str, tuple[tuple[str, pa.DataType], ...]] = {
    "store.raw_messages": (
        ("source_file_id", _I32), ("source_offset", _I64), ("length", _I32), ("msg_id", _I32),
        ("terminal_phone", _STR), ("serial", _I32), ("version", _I16), ("direction", _STR),
        ("recv_time", _TS), ("subpackage_total", _I32), ("subpackage_index", _I32),
        ("reassembled_from", pa.list_(_I64)), ("quality", pa.list_(_STR)),
        ("body_json", _STR), ("raw_body", pa.binary()),
    ),
    "store.frames_rejected": (
        ("source_file_id", _I32), ("source_offset", _I64), ("length", _I32), ("reason", _STR),
        ("terminal_phone", _STR), ("msg_id", _I32), ("serial", _I32), ("version", _I16),
        ("recv_time", _TS), ("raw_hex", _STR),
    ),
    "store.garbage_spans": (
        ("source_file_id", _I32), ("source_offset", _I64), ("length", _I64), ("head_hex", _STR),
    ),
    "store.heartbeats": (
        ("terminal_phone", _STR), ("recv_time", _TS), ("serial", _I32),
        ("source_file_id", _I32), ("source_offset", _I64),
    ),
    "store.registrations": (
        ("terminal_phone", _STR), ("recv_time", _TS), ("serial", _I32), ("version", _I16),
        ("province_id", _I32), ("city_id", _I32), ("maker_id", _STR), ("model", _STR),
        ("terminal_id", _STR), ("plate_color", _I32), ("plate", _STR),
        ("source_file_id", _I32), ("source_offset", _I64),
    ),
    "store.authentications": (
        ("terminal_phone", _STR), ("recv_time", _TS), ("serial", _I32), ("version", _I16),
        ("auth_code", _STR), ("imei", _STR), ("software_version", _STR),
        ("source_file_id", _I32), ("source_offset", _I64),
    ),
    "store.param_answers": (
        ("terminal_phone", _STR), ("recv_time", _TS), ("serial", _I32), ("reply_serial", _I32),
        ("param_id", _I32), ("param_hex", _STR), ("value_text", _STR), ("value_json", _STR),
        ("source_file_id", _I32), ("source_offset", _I64),
    ),
    "store.text_messages": (
        ("terminal_phone", _STR), ("recv_time", _TS), ("direction", _STR), ("serial", _I32),
        ("flags", _I32), ("text", _STR), ("source_file_id", _I32), ("source_offset", _I64),
    ),
    "store.multimedia": (
        ("terminal_phone", _STR), ("recv_time", _TS), ("msg_id", _I32), ("serial", _I32),
        ("media_id", _I64), ("media_type", _I32), ("media_format", _I32), ("event_code", _I32),
        ("channel_id", _I32), ("device_time", _TS), ("lat_deg", pa.float64()),
        ("lon_deg", pa.float64()), ("data_bytes", _I64), ("data_sha256", _STR),
        ("data_magic_hex", _STR), ("source_file_id", _I32), ("source_offset", _I64),
    ),
}


def kept_bytes(rec: Record) -> tuple[int, int] | None:
    """(offset, length) of the dump bytes :class:`RecordSink` keeps of a record: a garbage
    span's head, a rejected frame's first bytes; None for ``ok`` records."""
    if rec.status == "garbage":
        return rec.offset, min(rec.length, GARBAGE_HEAD)
    if rec.status != "ok":
        return rec.offset, min(rec.length, RAW_HEX_MAX)
    return None


def is_position_record(rec: Record) -> bool:
    """An ``ok`` location message (0x0200, or 0x0704 backfill) of the codec that is not a
    subpackage fragment: its fixes are the caller's (``RecordSink.add`` returns True)."""
    fragment = rec.subpackage is not None and rec.reassembled_from is None
    return rec.status == "ok" and rec.msg_id in N.POSITION_MSGS and not fragment


class RecordRows:
    """The rows of one file's records, per table, and the file's frame counts."""

    def __init__(self, file_id: int) -> None:
        self.file_id = file_id
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        self.ready: list[tuple[str, pa.Table]] = []  # built tables not yet handed over
        self.frames_ok = 0
        self.rejected: Counter[str] = Counter()
        self.garbage_bytes = 0
        self.garbage_spans = 0
        self.bad_gzip: str | None = None
        self.table_rows: Counter[str] = Counter()

    # -- rows ---------------------------------------------------------------------------------

    def add(
        self,
        rec: Record,
        frame_bytes: Callable[[int, int], bytes | None] | None = None,
    ) -> bool:
        """Store one record; True when it is an ``ok`` position message for the caller."""
        fid = self.file_id
        want = kept_bytes(rec)
        if rec.status == "garbage":
            self.garbage_bytes += rec.length
            self.garbage_spans += 1
            head = frame_bytes(*want) if frame_bytes and want else None
            self._row("store.garbage_spans",
                      (fid, rec.offset, rec.length, head.hex() if head is not None else None))
            return False
        if rec.status != "ok":
            reason = rec.reason or "unknown"
            self.rejected[reason] += 1
            if reason == "bad_gzip":
                self.bad_gzip = rec.detail or "gzip stream broke off"
            raw = frame_bytes(*want) if frame_bytes and want else None
            if raw is None and rec.raw_body is not None:
                raw = rec.raw_body[:RAW_HEX_MAX]
            self._row("store.frames_rejected", (
                fid, rec.offset, rec.length, reason, rec.phone, rec.msg_id, rec.serial,
                rec.version, rec.recv_time, raw.hex() if raw is not None else None))
            return False
        if rec.length > 0:
            self.frames_ok += 1
        fragment = rec.subpackage is not None and rec.reassembled_from is None
        if is_position_record(rec):
            return True
        if rec.msg_id == N.MSG_HEARTBEAT and not fragment:
            # fully kept in store.heartbeats (as the fast path's heartbeats are)
            self._row("store.heartbeats",
                      (rec.phone, rec.recv_time, rec.serial, fid, rec.offset))
            return False
        sub = rec.subpackage or {}
        self._row("store.raw_messages", (
            fid, rec.offset, rec.length, rec.msg_id, rec.phone, rec.serial, rec.version,
            rec.direction, rec.recv_time, sub.get("total"), sub.get("index"),
            rec.reassembled_from, list(rec.quality or []),
            None if rec.body is None else json_text(rec.body),
            rec.raw_body))
        if fragment or rec.body is None:
            return False
        self._typed(rec)
        return False

    def _typed(self, rec: Record) -> None:
        b = rec.body or {}
        fid, off, phone, t = self.file_id, rec.offset, rec.phone, rec.recv_time
        mid = rec.msg_id
        if mid == N.MSG_REGISTER:
            self._row("store.registrations", (
                phone, t, rec.serial, rec.version, b.get("province_id"), b.get("city_id"),
                _s(b.get("maker_id")), _s(b.get("model")), _s(b.get("terminal_id")),
                b.get("plate_color"), _s(b.get("plate")), fid, off))
        elif mid == N.MSG_AUTH:
            self._row("store.authentications", (
                phone, t, rec.serial, rec.version, _s(b.get("auth_code")), _s(b.get("imei")),
                _s(b.get("software_version")), fid, off))
        elif mid == N.MSG_PARAM_ANSWER:
            params = b.get("params") or {}
            for key, value in params.items():
                try:
                    pid = int(str(key), 16)
                except ValueError:
                    continue
                self._row("store.param_answers", (
                    phone, t, rec.serial, b.get("reply_serial"), pid, f"0x{pid:04X}",
                    _value_text(value), json_text(value),
                    fid, off))
        elif mid == N.MSG_TEXT:
            self._row("store.text_messages", (
                phone, t, rec.direction, rec.serial, b.get("flags"), _s(b.get("text")), fid, off))
        elif mid in (N.MSG_MEDIA_EVENT, N.MSG_MEDIA_UPLOAD):
            loc = b.get("location") or {}
            data_hex = b.get("data_hex")
            data = bytes.fromhex(data_hex) if isinstance(data_hex, str) else None
            self._row("store.multimedia", (
                phone, t, mid, rec.serial, b.get("media_id"), b.get("media_type"),
                b.get("media_format"), b.get("event"), b.get("channel"),
                loc.get("device_time"), loc.get("lat_deg"), loc.get("lon_deg"),
                len(data) if data is not None else None,
                hashlib.sha256(data).hexdigest() if data is not None else None,
                data[:4].hex() if data is not None else None, fid, off))

    def add_heartbeats(self, hb: pa.Table) -> None:
        """Heartbeats the fast path decoded (offset, phone, serial, version): a table of
        ``store.heartbeats`` rows as they are."""
        n = hb.num_rows
        staged = pa.table({
            "terminal_phone": hb.column("phone"),
            "recv_time": hb.column("recv_time").cast(_TS) if "recv_time" in hb.column_names
            else pa.nulls(n, _TS),
            "serial": hb.column("serial"),
            "source_file_id": pa.array(np.full(n, self.file_id, np.int32)),
            "source_offset": hb.column("offset"),
        })
        self.ready.append(("store.heartbeats", staged))
        self.table_rows["store.heartbeats"] += n

    def _row(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)

    def tables(self) -> list[tuple[str, pa.Table]]:
        """The rows collected since the last call, as ``(table, Arrow table)`` pairs."""
        out, self.ready = self.ready, []
        for table, rows in self.rows.items():
            if not rows:
                continue
            cols = TABLES[table]
            arrays = [pa.array([r[i] for r in rows], type=typ) for i, (_, typ) in enumerate(cols)]
            out.append((table, pa.Table.from_arrays(arrays, names=[c for c, _ in cols])))
            self.table_rows[table] += len(rows)
            rows.clear()
        return out


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, staged: pa.Table) -> None:
    """Append ``staged`` to ``table`` (a key of :data:`TABLES`): the statement of
    ``sql/messages.sql`` named after the table."""
    if table not in TABLES:
        raise ValueError(f"not a record table: {table!r}")
    with registered(con, "_sink_rows", staged):
        _sql.run(con, "messages", table.removeprefix("store."))


def _s(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(jsonable(value))


def _value_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.rstrip("\x00")
    if isinstance(value, bool | int | float):
        return str(value)
    return json_text(value)
