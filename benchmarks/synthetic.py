"""A synthetic raw capture built with numpy, positions-heavy: 0x0200 location reports with
typical additional items, a share of 0x0002 heartbeats, 0x0704 backfill batches, duplicated
frames, corrupt frames and garbage, with its truth (frames, positions, ...).

The ingest benchmark runs on the simulator's own dumps (``bench_ingest.py``); this dump of
any size, written fast, serves the crash-safety test (an ingest killed mid-file) and memory
checks on very large files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hazrisk.jt808.fields import WIRE_OFFSET_S

HEARTBEAT_SHARE = 0.03
BATCH_SHARE = 0.01  # 0x0704 frames with 5 backfilled positions each
DUP_SHARE = 0.01
BAD_SHARE = 0.001  # frames with a wrong check code
GARBAGE_EVERY = 20_000  # a 37-byte garbage span every N frames


def _bcd_phone(ids: np.ndarray) -> np.ndarray:
    """12-digit BCD[6] phones '0139xxxxxxxx' for integer ids."""
    digits = np.zeros((ids.size, 12), np.uint8)
    digits[:, 1:4] = (1, 3, 9)
    rest = ids.astype(np.int64) + 10_000_000
    for k in range(11, 3, -1):
        digits[:, k] = rest % 10
        rest //= 10
    return (digits[:, 0::2] << 4 | digits[:, 1::2]).astype(np.uint8)


def _bcd_time(epoch_s: np.ndarray) -> np.ndarray:
    """Beijing-time BCD[6] YYMMDDhhmmss."""
    t = (epoch_s + WIRE_OFFSET_S).astype("datetime64[s]")
    years = t.astype("datetime64[Y]").astype(int) + 1970
    months = t.astype("datetime64[M]").astype(int) % 12 + 1
    days = (t.astype("datetime64[D]") - t.astype("datetime64[M]")).astype(int) + 1
    sod = (t - t.astype("datetime64[D]")).astype(int)
    parts = [years % 100, months, days, sod // 3600, sod // 60 % 60, sod % 60]
    return np.stack([(p // 10 << 4 | p % 10).astype(np.uint8) for p in parts], axis=1)


def _location_blocks(n: int, rng: np.random.Generator, t0: int, phones_i: np.ndarray,
                     step: np.ndarray) -> np.ndarray:
    """(n, 28 + items) location bodies: basic block + 0x01, 0x02, 0x03, 0x30, 0x31."""
    items = bytes([0x01, 4, 0, 0, 0, 0, 0x02, 2, 0, 0, 0x03, 2, 0, 0, 0x30, 1, 0, 0x31, 1, 0])
    width = 28 + len(items)
    body = np.zeros((n, width), np.uint8)
    alarm = np.where(rng.random(n) < 0.002, 2, 0).astype(">u4")
    status = np.full(n, 0b11, ">u4")
    lat = (30.0e6 + rng.integers(0, 1_000_000, n)).astype(">u4")
    lon = (120.0e6 + rng.integers(0, 1_500_000, n)).astype(">u4")
    alt = rng.integers(0, 200, n).astype(">i2")
    speed = rng.integers(0, 900, n).astype(">u2")
    heading = rng.integers(0, 360, n).astype(">u2")
    for col, arr in ((0, alarm), (4, status), (8, lat), (12, lon), (16, alt), (18, speed),
                     (20, heading)):
        w = arr.dtype.itemsize
        body[:, col:col + w] = arr.view(np.uint8).reshape(n, w)
    body[:, 22:28] = _bcd_time(t0 + step * 10 + phones_i % 10)
    body[:, 28:] = np.frombuffer(items, np.uint8)
    mil = rng.integers(0, 10_000_000, n).astype(">u4")
    body[:, 30:34] = mil.view(np.uint8).reshape(n, 4)
    body[:, 36:38] = rng.integers(0, 2000, n).astype(">u2").view(np.uint8).reshape(n, 2)
    body[:, 40:42] = speed.view(np.uint8).reshape(n, 2)
    body[:, 44] = rng.integers(0, 31, n)
    body[:, 47] = rng.integers(4, 20, n)
    return body


def _frames(msg_id: int, bodies: np.ndarray, phones: np.ndarray, serial: np.ndarray,
            bad: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Escaped, flagged frames for fixed-width bodies: (flat bytes, frame lengths)."""
    n, blen = bodies.shape
    content = np.zeros((n, 12 + blen + 1), np.uint8)
    content[:, 0:2] = np.frombuffer(msg_id.to_bytes(2, "big"), np.uint8)
    content[:, 2:4] = np.frombuffer(blen.to_bytes(2, "big"), np.uint8)
    content[:, 4:10] = phones
    content[:, 10:12] = serial.astype(">u2").view(np.uint8).reshape(n, 2)
    content[:, 12:12 + blen] = bodies
    content[:, -1] = np.bitwise_xor.reduce(content[:, :-1], axis=1)
    if bad is not None:
        content[bad, -1] ^= 0x55
    special = (content == 0x7D) | (content == 0x7E)
    extra = special.sum(axis=1)
    lengths = content.shape[1] + extra + 2
    flat_c = content.reshape(-1)
    flat_s = special.reshape(-1)
    # destination of each content byte: +1 per earlier special byte, +2 flags per earlier frame
    row = np.repeat(np.arange(n), content.shape[1])
    shift = np.cumsum(flat_s) - flat_s + 2 * row + 1
    dest = np.arange(flat_c.size) + shift
    out = np.empty(int(lengths.sum()), np.uint8)
    out[dest] = np.where(flat_s, 0x7D, flat_c)
    out[dest[flat_s] + 1] = np.where(flat_c[flat_s] == 0x7E, 0x02, 0x01)
    ends = np.cumsum(lengths)
    out[ends - lengths] = 0x7E
    out[ends - 1] = 0x7E
    return out, lengths


def make_dump(path: Path, n_frames: int, *, vehicles: int = 2000, seed: int = 808,
              chunk_frames: int = 500_000, t0: int = 1_790_812_800) -> dict[str, int]:
    """Write a synthetic capture of about ``n_frames`` frames; return what it holds."""
    rng = np.random.default_rng(seed)
    truth = {"frames": 0, "positions": 0, "heartbeats": 0, "duplicates": 0, "bad": 0,
             "garbage_bytes": 0, "bytes": 0}
    step0 = 0
    with open(path, "wb") as fh:
        done = 0
        while done < n_frames:
            n = min(chunk_frames, n_frames - done)
            n_hb = int(n * HEARTBEAT_SHARE)
            n_batch = int(n * BATCH_SHARE)
            n_loc = n - n_hb - n_batch
            pid = rng.integers(0, vehicles, n_loc)
            step = step0 + np.arange(n_loc) // max(vehicles, 1)
            step0 = int(step[-1]) + 1 if n_loc else step0
            body = _location_blocks(n_loc, rng, t0, pid, step)
            bad = rng.random(n_loc) < BAD_SHARE
            loc, loc_len = _frames(0x0200, body, _bcd_phone(pid), np.arange(n_loc) % 65536, bad)
            # heartbeats: empty body
            hid = rng.integers(0, vehicles, n_hb)
            hb, hb_len = _frames(0x0002, np.zeros((n_hb, 0), np.uint8), _bcd_phone(hid),
                                 np.arange(n_hb) % 65536)
            # 0x0704 backfill batches of 5 positions (type 1), older times
            bid = rng.integers(0, vehicles, n_batch)
            inner = _location_blocks(n_batch * 5, rng, t0 - 86400, np.repeat(bid, 5),
                                     np.tile(np.arange(5), n_batch) + step0)
            per = inner.shape[1]
            bbody = np.zeros((n_batch, 3 + 5 * (2 + per)), np.uint8)
            bbody[:, 1] = 5
            bbody[:, 2] = 1
            for k in range(5):
                o = 3 + k * (2 + per)
                bbody[:, o:o + 2] = np.frombuffer(per.to_bytes(2, "big"), np.uint8)
                bbody[:, o + 2:o + 2 + per] = inner[k::5]
            bt, bt_len = _frames(0x0704, bbody, _bcd_phone(bid), np.arange(n_batch) % 65536)
            # duplicates: re-send a share of location frames verbatim
            dup_i = np.flatnonzero((rng.random(n_loc) < DUP_SHARE) & ~bad)
            garbage = np.full(37 if n >= GARBAGE_EVERY else 0, 0x41, np.uint8)
            truth["garbage_bytes"] += garbage.size
            flat = np.concatenate([loc, hb, bt, garbage])
            lengths = np.concatenate([loc_len, hb_len, bt_len, [garbage.size]]).astype(np.int64)
            starts = np.cumsum(lengths) - lengths
            pieces = np.concatenate([np.arange(lengths.size), dup_i])  # dup_i index loc frames
            pieces = pieces[lengths[pieces] > 0]
            # interleave the frames as a gateway capture would (random order within the chunk)
            order = pieces[rng.permutation(pieces.size)]
            ln = lengths[order]
            idx = np.repeat(starts[order] - (np.cumsum(ln) - ln), ln) + np.arange(int(ln.sum()))
            blob = flat[idx].tobytes()
            dup = dup_i
            fh.write(blob)
            truth["frames"] += n + len(dup)
            truth["positions"] += int(n_loc - bad.sum()) + n_batch * 5 + len(dup)
            truth["duplicates"] += len(dup)
            truth["heartbeats"] += n_hb
            truth["bad"] += int(bad.sum())
            truth["bytes"] += len(blob)
            done += n
    return truth
