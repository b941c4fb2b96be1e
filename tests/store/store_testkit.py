"""Literal builders for warehouse tests: frames from the codec's encoder, dumps, registries."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest

from hazrisk.jt808 import encode_message, encode_subpackages
from hazrisk.store.connect import connect

BJ = timezone(timedelta(hours=8))
T0 = datetime(2026, 10, 1, 8, 0, 0, tzinfo=BJ)
PHONE_A = "13900000001"
PHONE_B = "13900000002"
PHONE_X = "13999999999"  # never registered


def loc(
    t: datetime = T0,
    lat: float = 30.1,
    lon: float = 120.2,
    *,
    speed: float = 50.0,
    alarm: int = 0,
    status: int = 3,
    items: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A 0x0200 body."""
    return {
        "alarm": alarm, "status": status, "lat_deg": lat, "lon_deg": lon, "altitude_m": 12,
        "speed_kmh": speed, "heading_deg": 90, "device_time": t,
        "items": items if items is not None else {"0x01": {"mileage_km": 1000.0},
                                                   "0x30": {"rssi": 20}},
    }


def adas_item(t: datetime = T0, alarm_type: int = 2, level: int = 1) -> dict[str, Any]:
    return {
        "alarm_id": 7, "flag": 1, "alarm_type": alarm_type, "level": level,
        "front_speed_kmh": 0, "front_distance_100ms": 0, "deviation_type": 0,
        "road_sign_type": 0, "road_sign_value": 0, "speed_kmh": 50, "altitude_m": 10,
        "lat_deg": 30.1, "lon_deg": 120.2, "alarm_time": t, "vehicle_status": 1,
        "terminal_id": "T000001", "time": t, "seq": 0, "attachment_count": 0, "reserved": 0,
        "ident_len": 16,
    }


def _ident(t: datetime) -> dict[str, Any]:
    """The alarm-identification block (报警标识号) of an active-safety item, 16-byte variant."""
    return {"terminal_id": "T000001", "time": t, "seq": 0, "attachment_count": 0, "reserved": 0,
            "ident_len": 16}


def tpms_item(t: datetime = T0, alarm_id: int = 8, alarm_type: int = 2) -> dict[str, Any]:
    """A 0x66 (TPMS) item: no alarm type of its own, one per tyre event."""
    return {
        "alarm_id": alarm_id, "flag": 1, "speed_kmh": 50, "altitude_m": 10, "lat_deg": 30.1,
        "lon_deg": 120.2, "alarm_time": t, "vehicle_status": 1, **_ident(t),
        "events": [{"position": 1, "alarm_type": alarm_type, "pressure_kpa": 900,
                    "temperature_c": 40, "battery_pct": 80}],
    }


def bsd_item(t: datetime = T0, alarm_id: int = 9, alarm_type: int = 1) -> dict[str, Any]:
    """A 0x67 (BSD) item: an alarm type, no level."""
    return {
        "alarm_id": alarm_id, "flag": 1, "alarm_type": alarm_type, "speed_kmh": 50,
        "altitude_m": 10, "lat_deg": 30.1, "lon_deg": 120.2, "alarm_time": t,
        "vehicle_status": 1, **_ident(t),
    }


@dataclass
class Stream:
    """Frames (and garbage) in order, with the receive time and direction of each item."""

    items: list[tuple[bytes, datetime, str]] = field(default_factory=list)
    serial: int = 0

    def msg(self, msg_id: int, body: dict[str, Any], phone: str = PHONE_A, *,
            t: datetime = T0, direction: str = "RECV", version: int = 2013) -> bytes:
        self.serial += 1
        frame = encode_message(msg_id, body, phone=phone, serial=self.serial, version=version)
        self.items.append((frame, t, direction))
        return frame

    def raw(self, data: bytes, t: datetime = T0) -> None:
        self.items.append((data, t, "RECV"))

    def subpackages(self, msg_id: int, body: dict[str, Any], phone: str = PHONE_A, *,
                    t: datetime = T0, max_body: int = 200) -> None:
        self.serial += 1
        for part in encode_subpackages(msg_id, body, phone=phone, serial=self.serial,
                                       max_body=max_body):
            self.items.append((part, t, "RECV"))

    def raw_bytes(self) -> bytes:
        return b"".join(d for d, _, _ in self.items)

    def hexlog(self) -> bytes:
        lines = []
        for data, t, direction in self.items:
            stamp = t.astimezone(BJ).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            lines.append(f"{stamp} {direction} {data.hex().upper()}\n")
        return "".join(lines).encode()

    def write(self, path: Path, fmt: str = "raw", *, gz: bool = False) -> Path:
        data = self.raw_bytes() if fmt == "raw" else self.hexlog()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
        return path


def mixed_stream(phone: str = PHONE_A, t0: datetime = T0, n: int = 20) -> Stream:
    """Every kind of traffic the warehouse stores, plus the failures it must count."""
    s = Stream()
    s.msg(0x0100, {"province_id": 33, "city_id": 100, "maker_id": "M0001", "model": "X1",
                   "terminal_id": "T000001", "plate_color": 2, "plate": "浙A12345"}, phone, t=t0)
    s.msg(0x0102, {"auth_code": "AC1234"}, phone, t=t0)
    for i in range(n):
        t = t0 + timedelta(seconds=30 * i)
        s.msg(0x0200, loc(t, 30.1 + i * 1e-3, 120.2, alarm=2 if i == 3 else 0), phone, t=t)
        if i % 4 == 0:
            s.msg(0x0002, {}, phone, t=t)
    # a duplicate (same terminal, time, coordinates), a 2019 heartbeat, an ADAS alarm
    s.msg(0x0200, loc(t0, 30.1, 120.2), phone, t=t0 + timedelta(minutes=20))
    s.msg(0x0002, {}, phone, t=t0, version=2019)
    s.msg(0x0200, loc(t0 + timedelta(minutes=11), 30.5, 120.5,
                      items={"0x64": adas_item(t0 + timedelta(minutes=11))}), phone, t=t0)
    # blind-area backfill of two older points
    s.msg(0x0704, {"batch_type": 1, "positions": [loc(t0 - timedelta(hours=1), 30.0, 120.0),
                                                  loc(t0 - timedelta(minutes=59), 30.0, 120.1)]},
          phone, t=t0 + timedelta(minutes=12))
    # parameter answer, platform reminder, a subpackaged batch
    s.msg(0x0104, {"reply_serial": 9, "params": {"0x0013": "jt808.example.cn",
                                                  "0x0029": 30}}, phone, t=t0)
    s.msg(0x8300, {"flags": 8, "text": "请勿疲劳驾驶"}, phone, t=t0, direction="SEND")
    media = {"media_id": 5, "media_type": 0, "media_format": 0, "event": 1, "channel": 1}
    basic = {k: v for k, v in loc(t0).items() if k != "items"}
    s.msg(0x0800, media, phone, t=t0)
    s.msg(0x0801, {**media, "location": basic, "data_hex": "ffd8ffe000104a464946"}, phone, t=t0)
    s.subpackages(0x0704, {"batch_type": 1, "positions": [
        loc(t0 - timedelta(hours=2, seconds=-k), 29.9, 120.0 + k * 1e-3) for k in range(8)]},
        phone, t=t0)
    # failures: bad check code, truncated frame followed by a good one, garbage
    bad = bytearray(encode_message(0x0200, loc(t0 + timedelta(hours=1)), phone=phone, serial=999))
    bad[-2] ^= 0x55
    s.raw(bytes(bad))
    good = encode_message(0x0200, loc(t0 + timedelta(hours=2)), phone=phone, serial=1000)
    s.raw(good[:20])
    s.raw(good)
    s.raw(b"GET / HTTP/1.1\r\n\r\n")
    return s


@pytest.fixture
def db(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "w.duckdb")
    yield con
    con.close()


def write_csv(path: Path, header: str, rows: Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


VEHICLE_HEADER = (
    "vehicle_id,terminal_phone,terminal_id,plate,plate_color,vin,enterprise_id,provider_id,"
    "vehicle_type,tonnage_t,hazmat_class,transport_permit_no,owner_name,operator_phone,"
    "maker_id,device_model,valid_from,valid_to"
)


def vehicle_row(vid: str, phone: str, provider: str = "P01", *, valid_from: str = "",
                valid_to: str = "", tonnage: str = "30", enterprise: str = "E01") -> str:
    return (f"{vid},{phone},T{vid},浙A{vid[-5:]:0>5},2,LSVAA4182E2{vid[-6:]:0>6},{enterprise},"
            f"{provider},tanker,{tonnage},3,330100{vid[-4:]},张三,13812345678,M01,X1,"
            f"{valid_from},{valid_to}")
