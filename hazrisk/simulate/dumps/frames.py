"""One terminal's frames: every uplink and downlink message, faults applied, as dump items.

Bulk messages (0x0200 real-time reports, 0x0704 blind-area batches, 0x0002 heartbeats) come
from :mod:`hazrisk.simulate.wire`; the rare ones (0x0100/0x8100 registration, 0x0102 auth,
0x8104/0x0104 parameter query, 0x8300 reminders, 0x0200 with ADAS/DSM items) from the codec's
:func:`hazrisk.jt808.encode_message`. Uplink serials increase with send time; the platform
keeps its own downlink serial per terminal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from hazrisk.jt808 import encode_message
from hazrisk.localtime import BEIJING
from hazrisk.simulate import wire
from hazrisk.simulate.dumps.writer import KIND_FRAME, META, RECV, SEND
from hazrisk.simulate.movement.track import Track
from hazrisk.simulate.terminal.recording import F_CHECKSUM, NO_FIX, Q_BCD, Plan

_GARBAGE = (b"GET / HTTP/1.1\r\nHost: gw\r\n\r\n", b"\x00" * 16, b"AT+CSQ\r\n",
            b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", b"\xff\xfb\x1f\xff\xfb\x20",
            b"SSH-2.0-Go\r\n", b"\x55\xaa\x55\xaa\x01\x02")


@dataclass
class Msg:
    """A rare message before encoding (uplink serial assigned later)."""

    send_ms: int
    recv_ms: int
    msg_id: int
    body: dict[str, Any]
    up: bool
    sample: int = -1  # for alarm reports: the sample index


def _dt(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(t), BEIJING)


def location_fields(track: Track, plan: Plan, veh: dict[str, Any], idx: np.ndarray,
                    sent: bool = True) -> dict[str, np.ndarray]:
    """Raw wire values of the location block (and items) for samples ``idx``."""
    lat = plan.sent_lat[idx] if sent else track.lat[idx]
    lon = plan.sent_lon[idx] if sent else track.lon[idx]
    speed = plan.sent_speed[idx] if sent else track.speed[idx]
    tm = plan.sent_time[idx] if sent else track.t[idx]
    positioned = ~((plan.state[idx] == NO_FIX) & sent)
    status = (track.acc[idx].astype(np.int64) | (positioned.astype(np.int64) << 1)
              | (track.loaded[idx].astype(np.int64) * 0x300)
              | (positioned.astype(np.int64) * ((1 << 18) | (1 << 19))))
    alarm = plan.alarm[idx] if len(plan.alarm) else np.zeros(len(idx), np.int64)
    return {"alarm": alarm, "status": status,
            "lat_raw": np.round(lat * 1e6).astype(np.int64),
            "lon_raw": np.round(lon * 1e6).astype(np.int64),
            "altitude": track.altitude[idx].astype(np.int64),
            "speed_raw": np.round(speed * 10).astype(np.int64),
            "heading": track.heading[idx].astype(np.int64), "time": tm}


def item_values(track: Track, veh: dict[str, Any], items: tuple[str, ...],
                idx: np.ndarray) -> dict[str, np.ndarray]:
    odo = track.odo_km[idx]
    seed = int(str(veh["terminal_phone"])[-4:])
    out: dict[str, np.ndarray] = {}
    for key in items:
        if key == "0x01":
            out[key] = np.round(odo * 10).astype(np.int64)
        elif key == "0x02":
            out[key] = np.round((260 + 140 * np.sin(odo / 700.0 + seed)) * 10).astype(np.int64)
        elif key == "0x03":
            out[key] = np.round(track.speed[idx] * (1.0 + (seed % 5 - 2) / 100.0) * 10).astype(np.int64)
        elif key == "0x30":
            out[key] = 12 + (idx * 7 + seed) % 20
        elif key == "0x31":
            out[key] = np.where(track.acc[idx], 9 + (idx * 5 + seed) % 14, 6 + (idx + seed) % 8)
    return out


def bodies(track: Track, plan: Plan, veh: dict[str, Any], items: tuple[str, ...],
           idx: np.ndarray, sent: bool = True) -> np.ndarray:
    f = location_fields(track, plan, veh, idx, sent)
    bcd = wire.bcd_time(f["time"])
    if sent:
        bad = np.flatnonzero(plan.qfault[idx] == Q_BCD)
        bcd[bad, 1] = 0x1A  # month "1A": not a BCD time
    return wire.position_bodies(alarm=f["alarm"], status=f["status"], lat_raw=f["lat_raw"],
                                lon_raw=f["lon_raw"], altitude=f["altitude"],
                                speed_raw=f["speed_raw"], heading=f["heading"], time_bcd=bcd,
                                items=item_values(track, veh, items, idx))


def alarm_body(track: Track, veh: dict[str, Any], items: tuple[str, ...], i: int, system: int,
               atype: int, level: int, alarm_id: int) -> dict[str, Any]:
    """A 0x0200 body carrying an ADAS (0x64) or DSM (0x65) item (T/JSATL12-2017)."""
    t = _dt(int(track.t[i]))
    vals = item_values(track, veh, items, np.array([i]))
    names = {"0x01": "mileage_km", "0x02": "fuel_l", "0x03": "tacho_speed_kmh", "0x30": "rssi",
             "0x31": "gnss_count"}
    its: dict[str, Any] = {}
    for key in items:
        raw = int(vals[key][0])
        its[key] = {names[key]: raw / 10 if key in ("0x01", "0x02", "0x03") else raw}
    tail = {"speed_kmh": int(min(255, round(float(track.speed[i])))),
            "altitude_m": int(track.altitude[i]), "lat_deg": float(track.lat[i]),
            "lon_deg": float(track.lon[i]), "alarm_time": t, "vehicle_status": 1,
            "terminal_id": str(veh["terminal_id"])[:7], "time": t, "seq": 0,
            "attachment_count": 0, "reserved": 0, "ident_len": 16}
    if system == 0x64:
        its["0x64"] = {"alarm_id": alarm_id, "flag": 0, "alarm_type": atype, "level": level,
                       "front_speed_kmh": 0, "front_distance_100ms": 0,
                       "deviation_type": 1 if atype == 2 else 0, "road_sign_type": 0,
                       "road_sign_value": 0, **tail}
    else:
        its["0x65"] = {"alarm_id": alarm_id, "flag": 0, "alarm_type": atype, "level": level,
                       "fatigue_level": 3 if atype == 1 else 0, "dsm_reserved": 0, **tail}
    status = (int(track.acc[i]) | 2 | (0x300 if track.loaded[i] else 0) | (1 << 18) | (1 << 19))
    return {"alarm": 0, "status": status, "lat_deg": float(track.lat[i]),
            "lon_deg": float(track.lon[i]), "altitude_m": int(track.altitude[i]),
            "speed_kmh": float(track.speed[i]), "heading_deg": int(track.heading[i]),
            "device_time": t, "items": dict(sorted(its.items()))}


def corrupt(rng: np.random.Generator, frame: bytes, kind: int, header: int) -> tuple[bytes, int]:
    """bad_checksum: flip one body byte (never into 7E/7D); truncated: cut before the end."""
    b = bytearray(frame)
    if kind == F_CHECKSUM:
        for _ in range(50):
            p = int(rng.integers(1 + header + 2, len(b) - 3))
            if b[p] in (0x7D, 0x7E) or b[p - 1] == 0x7D:
                continue
            new = b[p] ^ 0x10
            if new in (0x7D, 0x7E):
                new = b[p] ^ 0x20
            b[p] = new
            return bytes(b), 0
        return frame, -1
    body_len = ((b[3] << 8) | b[4]) & 0x3FF if 0x7D not in b[1:5] else -1
    for _ in range(50):
        cut = int(rng.integers(1 + header + 6, len(b) - 2))
        if b[cut - 1] == 0x7D:
            cut -= 1
        content = bytes(b[1:cut]).replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")
        # a 2019 frame cut 5 bytes short reads as a complete 2013 frame (the codec's
        # fallback for terminals that set the version bit): never cut there
        if header == 17 and len(content) in (12 + body_len + 1, 16 + body_len + 1):
            continue
        return bytes(b[:cut]) + frame, cut
    return frame, -1


def assemble(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate (meta, flat, lengths) groups."""
    metas = [p[0] for p in parts if len(p[0])]
    if not metas:
        return np.zeros(0, META), np.zeros(0, np.uint8)
    return np.concatenate(metas), np.concatenate([p[1] for p in parts if len(p[0])])


def make_meta(recv_ms: np.ndarray, direction: int, lengths: np.ndarray, kind: int = KIND_FRAME
              ) -> np.ndarray:
    m = np.zeros(len(recv_ms), META)
    m["recv_ms"] = recv_ms
    m["direction"] = direction
    m["kind"] = kind
    m["length"] = lengths
    m["fault_id"] = -1
    return m


def garbage_blob(rng: np.random.Generator) -> bytes:
    """Bytes a gateway sees that are no frame (never 0x7E): probes, AT echoes, TLS hellos."""
    return _GARBAGE[int(rng.integers(0, len(_GARBAGE)))]


def encode_rare(msgs: list[Msg], phone: str, version: int, serial_of: dict[int, int]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Encode rare messages with the codec; ``serial_of`` maps list index -> serial."""
    frames = [encode_message(m.msg_id, m.body, phone=phone, serial=serial_of[k], version=version)
              for k, m in enumerate(msgs)]
    lengths = np.array([len(f) for f in frames], dtype=np.int64)
    meta = np.zeros(len(msgs), META)
    meta["recv_ms"] = [m.recv_ms for m in msgs]
    meta["direction"] = [RECV if m.up else SEND for m in msgs]
    meta["kind"] = KIND_FRAME
    meta["length"] = lengths
    meta["fault_id"] = -1
    flat = np.frombuffer(b"".join(frames), dtype=np.uint8) if frames else np.zeros(0, np.uint8)
    return meta, flat
