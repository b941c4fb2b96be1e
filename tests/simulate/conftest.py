"""Fixtures: tiny simulations (seconds) and a decoder pass over their dumps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hazrisk.jt808 import iter_records
from hazrisk.simulate import simulate


@dataclass
class Decoded:
    """Every record of every dump file of a simulation, plus its location fixes."""

    records: pd.DataFrame   # file, offset, length, status, reason, quality, msg_id, phone, ...
    fixes: pd.DataFrame     # file, offset, phone, device_time, lat, lon, speed, backfill, ...
    sizes: dict[str, int]   # decompressed size per file (sum of record lengths)
    bodies: dict[tuple[str, int], dict[str, Any]]


def decode_folder(out: Path) -> Decoded:
    recs: list[dict[str, Any]] = []
    fixes: list[dict[str, Any]] = []
    bodies: dict[tuple[str, int], dict[str, Any]] = {}
    sizes: dict[str, int] = {}
    for f in sorted(p for p in (out / "dumps").rglob("*") if p.is_file()):
        rel = f.relative_to(out).as_posix()
        total = 0
        for r in iter_records(f):
            total += r.length
            recs.append({"file": rel, "offset": r.offset, "length": r.length,
                         "status": r.status, "reason": r.reason, "quality": ";".join(r.quality),
                         "msg_id": r.msg_id, "phone": r.phone, "serial": r.serial,
                         "direction": r.direction, "recv_time": r.recv_time, "line": r.line})
            if r.status != "ok" or r.body is None:
                continue
            if r.msg_id in (0x0104, 0x8300, 0x0100, 0x0102, 0x8104, 0x8100):
                bodies[(rel, r.offset)] = r.body
            locs = [r.body] if r.msg_id == 0x0200 else (
                r.body["positions"] if r.msg_id == 0x0704 else [])
            for b in locs:
                fixes.append({"file": rel, "offset": r.offset, "phone": r.phone,
                              "device_time": b["device_time"], "lat": b["lat_deg"],
                              "lon": b["lon_deg"], "speed": b["speed_kmh"],
                              "status": b["status"], "backfill": r.msg_id == 0x0704,
                              "recv_time": r.recv_time, "items": b.get("items", {})})
        sizes[rel] = total
    return Decoded(pd.DataFrame(recs), pd.DataFrame(fixes), sizes, bodies)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 vehicles x 1 day with every kind of frame fault made frequent (fault_scale)."""
    out = tmp_path_factory.mktemp("tiny")
    simulate(out, vehicles=8, days=1, seed=11, fault_scale=25)
    return out


@pytest.fixture(scope="session")
def tiny_decoded(tiny: Path) -> Decoded:
    return decode_folder(tiny)


@pytest.fixture(scope="session")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 vehicles x 7 days at the profiles' own rates (distribution checks)."""
    out = tmp_path_factory.mktemp("week")
    simulate(out, vehicles=12, days=7, seed=3)
    return out


@pytest.fixture(scope="session")
def week_decoded(week: Path) -> Decoded:
    return decode_folder(week)
