"""Gateway captures: frames spilled per (provider, Beijing hour), then written in receive order.

Each provider has one gateway and one dump format (``profiles.ProviderProfile.dump_format``):

* ``bin``: ``dumps/<provider>/<YYYY-MM-DD>.bin``, the raw TCP byte stream, both directions;
* ``log``: ``dumps/<provider>/<YYYY-MM-DD>.log.gz``, one line per frame,
  ``2026-10-01 08:00:01.123 RECV 7E...7E`` (``SEND`` for platform -> terminal), gzip with
  ``mtime=0`` and no file name so the bytes are reproducible.

A frame is therefore written exactly once, in one format. Memory stays bounded: chunks of
vehicles append their frames to spill files per provider-hour; ``finish`` sorts one hour at a
time by ``(receive time, vehicle, sequence)`` — a total order, so the output is deterministic.

Items are frames, a frame immediately followed by garbage (bytes that are no frame; kept with
the frame so that two garbage runs are never adjacent and merge), or a truncated frame
immediately followed by its complete retransmission (so the decoder can resynchronise: see
``hazrisk.jt808.framing`` rule 4). Two-part items are two lines in a hex log.
"""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

META = np.dtype([("recv_ms", "<i8"), ("vidx", "<i4"), ("seq", "<i4"), ("direction", "u1"),
                 ("kind", "u1"), ("split", "<u2"), ("length", "<u4"), ("fault_id", "<i8")])
RECV, SEND = 0, 1
KIND_FRAME, KIND_GARBAGE, KIND_TRUNCATED = 0, 1, 2
HOUR_MS = 3_600_000
SLICE = 100_000  # items written at a time: bounds memory whatever the fleet size
GZIP_LEVEL = 3
BJ_MS = 8 * HOUR_MS
_HEX = np.array([list(f"{i:02X}".encode()) for i in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class Located:
    """Where an item landed: fault id -> file, byte offset, length, hex-log line (1-based)."""

    fault_id: int
    file: str
    offset: int
    length: int
    line: int


class DumpWriter:
    def __init__(self, out_dir: Path, formats: dict[str, str], t0: int, days: int) -> None:
        self.out = Path(out_dir)
        self.formats = dict(sorted(formats.items()))
        self.t0_ms = t0 * 1000
        self.days = days
        self.spill = self.out / ".spill"
        if self.spill.exists():
            shutil.rmtree(self.spill)
        self.spill.mkdir(parents=True)
        self.n_items = 0

    def add(self, provider: str, meta: np.ndarray, flat: np.ndarray) -> None:
        """Append items (``META`` records, bytes concatenated in record order)."""
        if not len(meta):
            return
        hour = (meta["recv_ms"] - self.t0_ms) // HOUR_MS
        ok = (hour >= 0) & (hour < self.days * 24)
        ends = np.cumsum(meta["length"].astype(np.int64))
        starts = ends - meta["length"]
        order = np.argsort(hour, kind="stable")
        order = order[ok[order]]
        if not len(order):
            return
        hs = hour[order]
        cuts = np.flatnonzero(np.diff(hs)) + 1
        for grp in np.split(order, cuts):
            h = int(hour[grp[0]])
            m = meta[grp]
            idx = _ranges(starts[grp], m["length"].astype(np.int64))
            base = self.spill / f"{provider}_{h:05d}"
            with open(f"{base}.meta", "ab") as fh:
                fh.write(m.tobytes())
            with open(f"{base}.data", "ab") as fh:
                fh.write(flat[idx].tobytes())
            self.n_items += len(m)

    def finish(self, progress: Callable[[int], None] | None = None) -> list[Located]:
        """Write every provider-day file; return the locations of items with a fault id."""
        located: list[Located] = []
        for provider, fmt in self.formats.items():
            folder = self.out / "dumps" / provider
            folder.mkdir(parents=True, exist_ok=True)
            for day in range(self.days):
                day_ms = self.t0_ms + day * 24 * HOUR_MS
                date = np.datetime64((day_ms + BJ_MS) // 1000, "s").astype("datetime64[D]")
                name = f"{date}.bin" if fmt == "bin" else f"{date}.log.gz"
                rel = f"dumps/{provider}/{name}"
                with open(folder / name, "wb") as raw:
                    sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                         compresslevel=GZIP_LEVEL) if fmt == "log" else raw
                    pos, line = 0, 1
                    for hour in range(day * 24, day * 24 + 24):
                        for meta, data in self._load(provider, hour):
                            if fmt == "bin":
                                blob, locs = _bin(meta, data, pos, rel)
                            else:
                                blob, locs = _log(meta, data, pos, line, rel, str(date))
                                line += len(meta) + int((meta["kind"] != KIND_FRAME).sum())
                            sink.write(blob)
                            pos += len(blob)
                            located.extend(locs)
                            if progress is not None:
                                progress(len(meta))
                    if sink is not raw:
                        sink.close()
        shutil.rmtree(self.spill)
        return located

    def _load(self, provider: str, hour: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The hour's items in receive order, in slices of at most ``SLICE`` items."""
        base = self.spill / f"{provider}_{hour:05d}"
        if not os.path.exists(f"{base}.meta"):
            return
        meta = np.fromfile(f"{base}.meta", dtype=META)
        data = np.fromfile(f"{base}.data", dtype=np.uint8)
        order = np.lexsort((meta["seq"], meta["vidx"], meta["recv_ms"]))
        lengths = meta["length"].astype(np.int64)
        starts = np.cumsum(lengths) - lengths
        for s in range(0, len(order), SLICE):
            o = order[s:s + SLICE]
            yield meta[o], data[_ranges(starts[o], lengths[o])]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for each (s, n), vectorised."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    offs = np.cumsum(lengths) - lengths
    idx = np.arange(total, dtype=np.int64) - np.repeat(offs, lengths)
    return idx + np.repeat(starts, lengths)


def _bin(meta: np.ndarray, data: np.ndarray, pos: int, rel: str) -> tuple[bytes, list[Located]]:
    ends = np.cumsum(meta["length"].astype(np.int64))
    starts = ends - meta["length"]
    locs = []
    for i in np.flatnonzero(meta["fault_id"] >= 0):
        split, length = int(meta["split"][i]), int(meta["length"][i])
        if meta["kind"][i] == KIND_TRUNCATED:
            at, n = 0, split
        elif meta["kind"][i] == KIND_GARBAGE:
            at, n = split, length - split
        else:
            at, n = 0, length
        locs.append(Located(int(meta["fault_id"][i]), rel, pos + int(starts[i]) + at, n, 0))
    return data.tobytes(), locs


def _log(meta: np.ndarray, data: np.ndarray, pos: int, line0: int, rel: str,
         date: str) -> tuple[bytes, list[Located]]:
    """Hex-log lines; a truncated item is two lines (the broken prefix, then the resend)."""
    n = len(meta)
    length = meta["length"].astype(np.int64)
    starts = np.cumsum(length) - length
    split = meta["split"].astype(np.int64)
    two = meta["kind"] != KIND_FRAME
    # lines: (item, byte start, byte length)
    item = np.repeat(np.arange(n), 1 + two.astype(np.int64))
    first = np.ones(len(item), bool)
    first[1:] = item[1:] != item[:-1]
    b_start = np.where(first, starts[item], starts[item] + split[item])
    b_len = np.where(two[item], np.where(first, split[item], length[item] - split[item]),
                     length[item])
    ms = (meta["recv_ms"][item] + BJ_MS) % (24 * HOUR_MS)
    prefix = np.zeros((len(item), 29), dtype=np.uint8)
    prefix[:, :11] = np.frombuffer(f"{date} ".encode(), np.uint8)
    for col, val in ((11, ms // HOUR_MS), (14, ms // 60000 % 60), (17, ms // 1000 % 60)):
        prefix[:, col] = 48 + val // 10
        prefix[:, col + 1] = 48 + val % 10
    prefix[:, 13] = prefix[:, 16] = ord(":")
    prefix[:, 19] = ord(".")
    prefix[:, 20] = 48 + ms % 1000 // 100
    prefix[:, 21] = 48 + ms % 100 // 10
    prefix[:, 22] = 48 + ms % 10
    prefix[:, 23] = ord(" ")
    word = np.where(meta["direction"][item] == SEND, 1, 0)
    prefix[:, 24:28] = np.array([list(b"RECV"), list(b"SEND")], np.uint8)[word]
    prefix[:, 28] = ord(" ")
    line_len = 29 + 2 * b_len + 1
    line_start = np.cumsum(line_len) - line_len
    out = np.empty(int(line_len.sum()), dtype=np.uint8)
    out[line_start[:, None] + np.arange(29)] = prefix
    out[line_start + line_len - 1] = ord("\n")
    src = _ranges(b_start, b_len)
    dst = np.repeat(line_start + 29, b_len) + 2 * (np.arange(len(src)) - np.repeat(
        np.cumsum(b_len) - b_len, b_len))
    out[dst] = _HEX[data[src], 0]
    out[dst + 1] = _HEX[data[src], 1]
    first_line = np.flatnonzero(first)
    locs = []
    for i in np.flatnonzero(meta["fault_id"] >= 0):
        j = int(first_line[i]) + (1 if meta["kind"][i] == KIND_GARBAGE else 0)
        locs.append(Located(int(meta["fault_id"][i]), rel, pos + int(line_start[j]),
                            int(line_len[j]), line0 + j))
    return out.tobytes(), locs
