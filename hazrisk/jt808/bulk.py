"""Vectorised JT/T 808 encoder for the bulk messages: 0x0200, 0x0704 (batch) and 0x0002.

The codec's :func:`hazrisk.jt808.encode_message` (the scalar encoder) encodes one frame per
call; at province scale the simulator (and the benchmarks) write tens of millions of location
reports, so they build them here as numpy rows instead (header, body, XOR check code,
escaping, flags — JT/T 808-2019 §4.4). The bytes are the same as the codec's:
``tests/simulate/test_wire.py`` compares both on samples of every message and version. Rare
messages (registration, parameters, text, alarms) use the codec itself.

All functions work on arrays of frames of one terminal (one phone, one version).
"""

from __future__ import annotations

import numpy as np

from hazrisk.jt808.fields import WIRE_OFFSET_S

FLAG = 0x7E
ESC = 0x7D
BJ = WIRE_OFFSET_S
#: additional items the writer knows: id -> (byte width, scale)
ITEM_WIDTH = {"0x01": (4, 10), "0x02": (2, 10), "0x03": (2, 10), "0x30": (1, 1), "0x31": (1, 1)}


def phone_bcd(phone: str, version: int) -> np.ndarray:
    digits = 20 if version == 2019 else 12
    return np.frombuffer(bytes.fromhex(phone.rjust(digits, "0")), dtype=np.uint8)


def bcd_time(t: np.ndarray) -> np.ndarray:
    """(n, 6) uint8 BCD ``YYMMDDhhmmss`` in Beijing time from epoch seconds."""
    t = np.asarray(t, dtype=np.int64)
    local = (t + BJ).astype("datetime64[s]")
    days = local.astype("datetime64[D]")
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    yy = years.astype(np.int64) + 1970 - 2000
    mo = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    dd = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    sod = (local - days.astype("datetime64[s]")).astype(np.int64)
    vals = np.stack([yy, mo, dd, sod // 3600, (sod // 60) % 60, sod % 60], axis=1)
    return ((vals // 10) << 4 | (vals % 10)).astype(np.uint8)


def _put(rows: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    v = np.asarray(values, dtype=np.uint64)
    for k in range(width):
        rows[:, col + k] = (v >> np.uint64(8 * (width - 1 - k))) & np.uint64(0xFF)


def position_bodies(*, alarm: np.ndarray, status: np.ndarray, lat_raw: np.ndarray,
                    lon_raw: np.ndarray, altitude: np.ndarray, speed_raw: np.ndarray,
                    heading: np.ndarray, time_bcd: np.ndarray,
                    items: dict[str, np.ndarray]) -> np.ndarray:
    """(n, L) location-report bodies (JT/T 808-2019 table 23 + table 27 items, in dict order).

    ``lat_raw``/``lon_raw`` are 1e-6 degree integers, ``speed_raw`` 0.1 km/h integers and item
    values raw wire integers (mileage in 0.1 km ...).
    """
    n = len(lat_raw)
    width = 28 + sum(2 + ITEM_WIDTH[k][0] for k in items)
    rows = np.zeros((n, width), dtype=np.uint8)
    _put(rows, 0, alarm, 4)
    _put(rows, 4, status, 4)
    _put(rows, 8, lat_raw, 4)
    _put(rows, 12, lon_raw, 4)
    _put(rows, 16, np.asarray(altitude, dtype=np.int64) & 0xFFFF, 2)
    _put(rows, 18, speed_raw, 2)
    _put(rows, 20, heading, 2)
    rows[:, 22:28] = time_bcd
    col = 28
    for key, values in items.items():
        w = ITEM_WIDTH[key][0]
        rows[:, col] = int(key, 16)
        rows[:, col + 1] = w
        _put(rows, col + 2, values, w)
        col += 2 + w
    return rows


def _headers(msg_id: int, body_len: np.ndarray, phone: np.ndarray, serial: np.ndarray,
             version: int) -> np.ndarray:
    n = len(body_len)
    size = 17 if version == 2019 else 12
    h = np.zeros((n, size), dtype=np.uint8)
    _put(h, 0, np.full(n, msg_id), 2)
    props = np.asarray(body_len, dtype=np.int64) | (0x4000 if version == 2019 else 0)
    _put(h, 2, props, 2)
    if version == 2019:
        h[:, 4] = 1
        h[:, 5:15] = phone
        _put(h, 15, serial, 2)
    else:
        h[:, 4:10] = phone
        _put(h, 10, serial, 2)
    return h


def frames_fixed(msg_id: int, bodies: np.ndarray, phone: np.ndarray, serial: np.ndarray,
                 version: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames of equal body length -> (flat escaped bytes with flags, per-frame lengths)."""
    n, blen = bodies.shape
    head = _headers(msg_id, np.full(n, blen), phone, serial, version)
    content = np.concatenate([head, bodies], axis=1)
    check = np.bitwise_xor.reduce(content, axis=1) if content.shape[1] else np.zeros(n, np.uint8)
    rows = np.concatenate([np.full((n, 1), FLAG, np.uint8), content, check[:, None],
                           np.full((n, 1), FLAG, np.uint8)], axis=1)
    lengths = np.full(n, rows.shape[1], dtype=np.int64)
    return escape(rows.reshape(-1), lengths)


def frames_var(msg_id: int, bodies: list[np.ndarray], phone: np.ndarray, serial: np.ndarray,
               version: int) -> tuple[np.ndarray, np.ndarray]:
    """Frames with different body lengths (e.g. 0x0704 batches)."""
    if not bodies:
        return np.zeros(0, np.uint8), np.zeros(0, np.int64)
    blen = np.array([len(b) for b in bodies], dtype=np.int64)
    head = _headers(msg_id, blen, phone, serial, version)
    parts: list[np.ndarray] = []
    for h, b in zip(head, bodies, strict=True):
        content = np.concatenate([h, b])
        parts.append(np.concatenate([[FLAG], content, [np.bitwise_xor.reduce(content)], [FLAG]]
                                    ).astype(np.uint8))
    lengths = np.array([len(p) for p in parts], dtype=np.int64)
    return escape(np.concatenate(parts), lengths)


def escape(raw: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Escape 0x7E/0x7D inside each frame (the first and last byte are the flags, kept)."""
    raw = np.asarray(raw, dtype=np.uint8)
    ends = np.cumsum(lengths)
    is_flag = np.zeros(len(raw), dtype=bool)
    is_flag[ends - lengths] = True
    is_flag[ends - 1] = True
    special = ((raw == FLAG) | (raw == ESC)) & ~is_flag
    if not special.any():
        return raw, np.asarray(lengths, dtype=np.int64)
    rep = 1 + special.astype(np.int64)
    out = np.repeat(raw, rep)
    first = np.cumsum(rep) - rep  # output index of each input byte
    sp = first[special]
    out[sp] = ESC
    out[sp + 1] = raw[special] - 0x7C  # 7E -> 02, 7D -> 01
    per_frame = np.add.reduceat(rep, ends - lengths) if len(lengths) else lengths
    return out, per_frame.astype(np.int64)


def batch_bodies(positions: np.ndarray, batch_type: int, size: int) -> list[np.ndarray]:
    """0x0704 bodies: ``count WORD, type BYTE, (length WORD, 0x0200 body)*`` in batches."""
    n, blen = positions.shape
    out = []
    for s in range(0, n, size):
        chunk = positions[s:s + size]
        k = len(chunk)
        per = np.concatenate([np.tile(np.array([blen >> 8, blen & 0xFF], np.uint8), (k, 1)),
                              chunk], axis=1).reshape(-1)
        out.append(np.concatenate([np.array([k >> 8, k & 0xFF, batch_type], np.uint8), per]))
    return out


def split_flat(flat: np.ndarray, lengths: np.ndarray) -> list[bytes]:
    """Per-frame ``bytes`` from a flat buffer (for tests and rare paths)."""
    ends = np.cumsum(lengths)
    return [flat[e - n:e].tobytes() for e, n in zip(ends, lengths, strict=True)]
