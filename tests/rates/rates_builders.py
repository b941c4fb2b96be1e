"""Literal builders for rate scenarios: small helpers that insert rows into a fresh warehouse.

Times are Beijing wall-clock strings (``"2026-10-05 08:00:00"``); positions default to a
qualified, parked fix near Hangzhou. Distances are laid out north-south, where the great-circle
distance is exactly R·Δφ (``north(lat, km)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
from warehouse_tables import storage_table

from hazrisk.rates import Period
from hazrisk.store.connect import connect
from hazrisk.store.resolve import resolve_terminals, term_keys
from hazrisk.store.validity_flags import record_file
from hazrisk.validity import INPUT_COLUMNS, Validity, check_bits

BJ = ZoneInfo("Asia/Shanghai")
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEG = EARTH_RADIUS_KM * math.pi / 180.0
LAT0, LON0 = 30.25, 120.15  # Hangzhou
GOOD_VIN = "1M8GDM9AXKP042788"  # a VIN with a valid check digit (X)
JPEG, PNG = "ffd8ffe0", "89504e47"


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BJ)


def north(lat: float, km: float) -> float:
    """Latitude ``km`` north of ``lat`` (same longitude)."""
    return lat + km / KM_PER_DEG


class World:
    """A fresh in-memory warehouse and counters for ids and sequence numbers."""

    def __init__(self, path: str = ":memory:") -> None:
        self.con: duckdb.DuckDBPyConnection = connect(path)
        self.seq = 0
        self.row = 1
        self.vehicles: dict[str, str] = {}  # vehicle_id -> terminal_phone
        self.gateways: dict[str, int] = {}  # gateway provider ('' = none) -> its dump's file_id
        self._tables: dict[str, tuple[str, list[str]]] = {}

    def _base_table(self, name: str) -> tuple[str, list[str]]:
        """The base table behind a documented relation, with its columns."""
        if name not in self._tables:
            target = storage_table(self.con, name)
            sch, tab = target.split(".")
            cols = [r[0] for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = $s AND table_name = $n", {"s": sch, "n": tab}).fetchall()]
            self._tables[name] = (target, cols)
        return self._tables[name]

    def _insert(self, table: str, values: dict[str, Any]) -> None:
        target, columns = self._base_table(table)
        if "term_key" in columns and "terminal_phone" in values:  # phone stored as a key
            phone = values["terminal_phone"]
            values["term_key"] = term_keys(self.con, [phone])[phone]
        values = {k: v for k, v in values.items() if k in columns}
        cols = ", ".join(values)
        marks = ", ".join(f"${k}" for k in values)
        self.con.execute(f"INSERT INTO {target} ({cols}) VALUES ({marks})", values)

    def _next_row(self) -> int:
        self.row += 1
        return self.row

    # registry -------------------------------------------------------------------------
    def provider(self, provider_id: str, domain: str | None = "jt.example.cn") -> None:
        self._insert("core.providers", {"provider_id": provider_id, "name": provider_id,
                                        "platform_domain": domain, "import_id": 1,
                                        "source_row": self._next_row()})

    def vehicle(self, vehicle_id: str, provider_id: str, phone: str | None = None,
                **fields: Any) -> str:
        n = len(self.vehicles) + 1
        phone = phone or fields.pop("terminal_phone", None) or f"0139{n:08d}"
        row: dict[str, Any] = {
            "vehicle_id": vehicle_id, "terminal_phone": phone, "terminal_id": f"T{n:06d}",
            "plate": f"浙B{n:05d}", "plate_color": 2, "vin": GOOD_VIN, "enterprise_id": "E1",
            "provider_id": provider_id, "vehicle_type": "罐式货车", "tonnage_t": 30.0,
            "hazmat_class": "3", "transport_permit_no": f"330100{n:06d}",
            "owner_name": "浙江危运公司", "operator_phone": f"139{n:08d}", "maker_id": "M1",
            "device_model": "A", "valid_from": None, "valid_to": None, "import_id": 1,
            "source_row": self._next_row(),
        }
        row.update(fields)
        self._insert("core.vehicles", row)
        self.vehicles.setdefault(vehicle_id, phone)
        return phone

    def image(self, vehicle_id: str, slot: str, sha: str, magic: str = JPEG,
              uploaded: str = "2026-09-01 10:00:00") -> None:
        self._insert("core.images", {"vehicle_id": vehicle_id, "slot": slot,
                                     "file_name": f"{vehicle_id}_{slot}.jpg", "sha256": sha,
                                     "size_bytes": 50000, "magic_hex": magic,
                                     "uploaded_at": bj(uploaded), "import_id": 1,
                                     "source_row": self._next_row()})

    def images(self, vehicle_id: str) -> None:
        """Three correct, distinct images."""
        for slot in ("registration_cert", "driving_licence", "body_photo"):
            self.image(vehicle_id, slot, f"sha-{vehicle_id}-{slot}")

    def verification(self, vehicle_id: str, phone: str | None, at: datetime | str,
                     result: str = "pass") -> None:
        when = bj(at) if isinstance(at, str) else at
        self._insert("core.phone_verifications", {"vehicle_id": vehicle_id,
                                                  "operator_phone": phone, "verified_at": when,
                                                  "result": result, "import_id": 1,
                                                  "source_row": self._next_row()})

    def answer(self, phone: str, at: datetime | str, main: str | None,
               backup: str | None = None) -> None:
        """One 0x0104 answer (rows for 0x0013 and, when given, 0x0017)."""
        when = bj(at) if isinstance(at, str) else at
        file_id = self._gateway_file(None)
        self.seq += 1
        for pid, value in ((0x0013, main), (0x0017, backup)):
            if value is None and pid == 0x0017:
                continue
            self._insert("core.param_answers", {
                "terminal_phone": phone, "recv_time": when, "serial": self.seq,
                "reply_serial": 1, "param_id": pid, "param_hex": f"0x{pid:04X}",
                "value_text": value, "value_json": None, "source_file_id": file_id,
                "source_offset": self.seq * 100})

    def ticket(self, ticket_id: str, vehicle_id: str, maker: str | None, model: str | None,
               reported: str, repaired: datetime | str | None) -> None:
        rep = bj(repaired) if isinstance(repaired, str) else repaired
        self._insert("core.fault_tickets", {
            "ticket_id": ticket_id, "vehicle_id": vehicle_id,
            "terminal_phone": self.vehicles.get(vehicle_id), "maker_id": maker,
            "device_model": model, "fault_kind": "gnss", "reported_at": bj(reported),
            "repaired_at": rep, "import_id": 1, "source_row": self._next_row()})

    def file(self, file_id: int, provider_id: str | None, day: str) -> None:
        now = bj("2026-11-01 00:00:00")
        self._insert("meta.ingested_files", {
            "file_id": file_id, "path": f"/dumps/{provider_id}/{day}.log.gz",
            "sha256": f"sha{file_id}", "size_bytes": 1, "format": "hexlog", "compressed": True,
            "source_provider_id": provider_id, "source_date": day, "status": "ok",
            "frames_ok": 0, "frames_rejected": 0, "garbage_bytes": 0, "garbage_spans": 0,
            "positions": 0, "positions_stored": 0, "duplicates": 0, "unknown_terminals": 0,
            "started_at": now, "finished_at": now, "duration_s": 0.0})
        record_file(self.con, file_id, Validity.from_rules())  # flags under the default rules

    def heartbeat(self, phone: str, at: str, file_id: int) -> None:
        self._insert("core.heartbeats", {"terminal_phone": phone, "recv_time": bj(at),
                                         "serial": 1, "source_file_id": file_id,
                                         "source_offset": 0})

    # telematics -----------------------------------------------------------------------
    def _gateway_file(self, gateway: str | None) -> int:
        """File id of the gateway's dump (a meta.ingested_files row names the gateway)."""
        key = gateway or ""
        if key not in self.gateways:
            self.gateways[key] = len(self.gateways) + 100
            self.file(self.gateways[key], gateway, "2026-10-01")
        return self.gateways[key]

    def pos(self, phone_or_vehicle: str, t: datetime | str | None, lat: float = LAT0,
            lon: float = LON0, *, speed: float = 0.0, acc: bool = False,
            backfill: bool = False, gateway: str | None = None, **fields: Any) -> int:
        """One stored position; returns its pos_seq. ``t=None``: invalid GNSS time."""
        phone = self.vehicles.get(phone_or_vehicle, phone_or_vehicle)
        when = bj(t) if isinstance(t, str) else t
        self.seq += 1
        status = int(fields.pop("status", 0x2 | int(acc)))
        file_id = self._gateway_file(gateway)
        row: dict[str, Any] = {
            "pos_seq": self.seq, "terminal_phone": phone, "source_provider_id": gateway,
            "device_time": when, "recv_time": None, "lat_deg": lat, "lon_deg": lon,
            "altitude_m": 10, "speed_kmh": speed, "tacho_speed_kmh": None, "heading_deg": 0,
            "alarm": 0, "status": status, "acc_on": bool(status & 1), "is_located": True,
            "is_backfill": backfill, "msg_id": 0x0704 if backfill else 0x0200, "serial": 1,
            "version": 2013, "pos_index": 0, "quality_ok": when is not None,
            "q_invalid_bcd_time": when is None, "q_lat_out_of_range": False,
            "q_lon_out_of_range": False, "q_speed_out_of_range": False,
            "q_heading_out_of_range": False, "q_altitude_out_of_range": False,
            "quality_flags": int(when is None), "source_file_id": file_id,
            "source_offset": self.seq,
        }
        row.update(fields)
        # the stored flags: the one definition (hazrisk.validity) under the default rules
        checked = pa.Table.from_pylist([{c: row[c] for c in INPUT_COLUMNS}])
        row["quality_flags"] = int(check_bits(checked, Validity.from_rules())[0])
        row["quality_ok"] = row["quality_flags"] == 0
        self._insert("core.positions", row)
        return self.seq

    def resolve(self) -> None:
        """Attribute positions to vehicles/providers (the warehouse's own resolution)."""
        resolve_terminals(self.con)


def at(base: str, seconds: float) -> datetime:
    return bj(base) + timedelta(seconds=seconds)


OCT = Period.parse("2026-10")


def pick(rows: list[dict[str, Any]], provider: str, metric: str) -> tuple[float, float]:
    """(numerator, denominator) of one provider's metric."""
    found = [r for r in rows if r["provider_id"] == provider and r["metric"] == metric]
    assert len(found) == 1, (provider, metric, found)
    return found[0]["numerator"], found[0]["denominator"]


def online(w: World, vehicle: str, t: str = "2026-10-03 10:00:00") -> None:
    """One qualified record: the vehicle is in network and online in October."""
    w.pos(vehicle, t)


@dataclass(frozen=True)
class SampleWarehouse:
    """The committed simulator sample, ingested (fixture ``sample_warehouse``)."""

    db: str
    period: Period
