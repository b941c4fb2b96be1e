"""``simulate``: the whole simulated fleet, written per ARCHITECTURE.md "simulate -> store".

Vehicles are simulated one at a time (each with its own random streams), their frames are
spilled per provider-hour and written at the end, their truth rows are collected (small) or
streamed (trajectories): memory stays bounded by a chunk of vehicles plus one provider-hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from hazrisk.config import load_rules
from hazrisk.simulate.dumps.writer import DumpWriter
from hazrisk.simulate.fleet import identity, registry_files
from hazrisk.simulate.fleet.actors import Fleet, make_fleet
from hazrisk.simulate.movement.track import BJ, DAY
from hazrisk.simulate.rng import rng_for, seed_from
from hazrisk.simulate.truth import outputs
from hazrisk.simulate.vehicle import Context, run_vehicle

OUTPUT_DIRS = ("dumps", "registry", "logs", "insurance", "history", "truth")


@dataclass
class SimulationResult:
    """What ``simulate`` wrote: the folder, the manifest and a few counts."""

    out_dir: Path
    manifest: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> list[str]:
        return [f["path"] for f in self.manifest["files"]]


def _clean(out: Path) -> None:
    import shutil

    for name in OUTPUT_DIRS + (".spill",):
        if (out / name).exists():
            shutil.rmtree(out / name)
    if (out / "manifest.json").exists():
        (out / "manifest.json").unlink()


def _epoch(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * DAY - BJ


def make_dumps(fleet: Fleet, out_dir: str | Path, *, days: int, progress: bool = False,
               rules: Any = None, chunk_frames: int = 500_000) -> dict[str, Any]:
    """Simulate every vehicle of ``fleet`` for ``days`` days; write registry, dumps, logs, truth.

    The registry (with its defects) and the fences are drawn here unless ``fleet.extra``
    already has them. Returns counts (frames, faults by kind).
    """
    from tqdm import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rules = rules or load_rules()
    if "registry" not in fleet.extra:
        reg = registry_files.apply_defects(fleet)
        routes, areas = registry_files.fences(fleet)
        fleet.extra.update({"registry": reg, "routes": routes, "areas": areas})
        outputs.write_registry(out, fleet, reg, routes, areas)
    t0 = _epoch(fleet.start)
    t_end = t0 + days * DAY
    reg = fleet.extra["registry"]
    routes, areas = fleet.extra["routes"], fleet.extra["areas"]
    ents = fleet.enterprises
    ops_rng = rng_for(fleet.seed, "operators")
    operators = {str(eid): [identity.person_name(ops_rng) for _ in range(
        max(2, math.ceil(int(n) / 100)))] for eid, n in zip(ents["enterprise_id"],
                                                            ents["n_vehicles"], strict=True)}
    ctx = Context(seed=fleet.seed, t0=t0, t_end=t_end, days=days, rules=rules,
                  network=fleet.network, lanes=fleet.lanes,
                  allowed=registry_files.allowed_checker(routes, areas),
                  providers={p.provider_id: p for p in fleet.providers},
                  makers={m.maker_id: m for m in fleet.makers},
                  culture=dict(zip(ents["enterprise_id"], ents["safety_culture"], strict=True)),
                  operators=operators,
                  domains={p.provider_id: p.platform_domain for p in fleet.providers},
                  crew=_crews(fleet), names=_name_counts(fleet))
    vehicles = fleet.vehicles.merge(reg["truth"][["vehicle_id", "domain_kind", "never_online"]],
                                    on="vehicle_id", how="left")
    vehicles["domain_kind"] = vehicles["domain_kind"].fillna("correct")
    vehicles["never_online"] = vehicles["never_online"].fillna(False).astype(bool)
    used = sorted(vehicles["provider_id"].unique())
    writer = DumpWriter(out, {p: ctx.providers[p].dump_format for p in used}, t0, days)
    collect = outputs.Collector(out, fleet, vehicles)
    pending: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    held = 0
    bar = tqdm(total=len(vehicles), desc="vehicles", unit="veh", disable=not progress,
               file=sys.stderr, leave=False)
    records = cast(list[dict[str, Any]], vehicles.to_dict("records"))
    for vidx, veh in enumerate(records):
        res = run_vehicle(ctx, veh, vidx)
        pending.setdefault(res.provider_id, []).append((res.meta, res.flat))
        held += len(res.meta)
        collect.add(veh, res)
        if held >= chunk_frames:
            _flush(writer, pending)
            collect.flush()
            held = 0
        bar.update(1)
    bar.close()
    _flush(writer, pending)
    collect.flush()
    wbar = tqdm(total=writer.n_items, desc="writing dumps", unit="frame", disable=not progress,
                file=sys.stderr, leave=False)
    def tick(n: int) -> None:
        wbar.update(n)

    located = writer.finish(progress=tick)
    wbar.close()
    return collect.finish(located, reg, t_end, rules)


def _crews(fleet: Fleet) -> dict[str, list[dict[str, Any]]]:
    crews: dict[str, list[dict[str, Any]]] = {}
    for d in cast(list[dict[str, Any]], fleet.drivers.to_dict("records")):
        crews.setdefault(str(d["vehicle_id"]), []).append(d)
    return crews


def _name_counts(fleet: Fleet) -> dict[str, dict[str, int]]:
    """Per enterprise, how many registered drivers and escorts carry each name."""
    counts: dict[str, dict[str, int]] = {}
    for d in cast(list[dict[str, Any]], fleet.drivers.to_dict("records")):
        names = counts.setdefault(str(d["enterprise_id"]), {})
        names[str(d["name"])] = names.get(str(d["name"]), 0) + 1
    return counts


def _flush(writer: DumpWriter, pending: dict[str, list[tuple[np.ndarray, np.ndarray]]]) -> None:
    for prov in sorted(pending):
        metas = [m for m, _ in pending[prov]]
        flats = [f for _, f in pending[prov]]
        writer.add(prov, np.concatenate(metas), np.concatenate(flats))
    pending.clear()


def simulate(out_dir: str | Path, *, vehicles: int = 40, days: int = 3,
             start: str | dt.date = "2026-10-01", seed: int | np.random.Generator | None = 0,
             providers: int = 6, sample: bool = False, progress: bool = False,
             insurance_years: int | None = None, fault_scale: float = 1.0,
             independent_effects: bool = False) -> SimulationResult:
    """Simulate the Zhejiang hazmat fleet and write the whole output folder.

    Parameters
    ----------
    out_dir : folder to write (its generated subfolders are replaced; other files are kept).
    vehicles, days, start : fleet size, number of days, first day (Beijing).
    seed : the only source of randomness; the same seed gives the same bytes.
    providers : platform operators (5-8 recommended; 1-8 accepted).
    sample : the committed-sample variant (``data/sample``): also writes ``README.md`` describing
        the output, generated from it (so the sample's documentation cannot go stale).
    progress : tqdm bars on stderr.
    insurance_years : policy years before ``start`` (default 5).
    independent_effects : draw the claims' enterprise effect independently of the enterprise's
        safety culture (``make_insurance(correlated=False)``: a book where behaviour is not
        confounded with the enterprise effect, for coefficient-recovery tests).
    fault_scale : multiply the frame-level fault rates (for tests; 1 = the profiles' rates).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    s = seed_from(seed)
    start_d = dt.date.fromisoformat(start) if isinstance(start, str) else start
    fleet = make_fleet(vehicles, n_providers=providers, start=start_d, random_state=s,
                       fault_scale=fault_scale)
    tables = make_dumps(fleet, out, days=days, progress=progress)
    n_years = insurance_years or 5
    last_day = start_d + dt.timedelta(days=days - 1)
    ins = _insurance(out, fleet, [start_d.year - n_years + k for k in range(n_years)], s,
                     as_at=last_day, correlated=not independent_effects)
    from hazrisk.simulate.insurance.history import write_history

    write_history(out, fleet, ins[1] if ins else None, s)
    outputs.write_readmes(out)
    params = {"vehicles": vehicles, "days": days, "start": start_d.isoformat(), "seed": s,
              "providers": providers, "sample": sample, "fault_scale": fault_scale,
              "insurance_years": ins[0] if ins else None,
              "independent_effects": independent_effects}
    if sample:
        from hazrisk.simulate.truth.readme import sample_readme

        (out / "README.md").write_text(sample_readme(out, params), encoding="utf-8")
    manifest = write_manifest(out, params, extra=["README.md"] if sample else [])
    summary = {k: v for k, v in tables.items() if isinstance(v, int | float | dict)}
    return SimulationResult(out, manifest, summary)


def _insurance(out: Path, fleet: Fleet, years: list[int], seed: int, *,
               as_at: dt.date, correlated: bool = True) -> tuple[list[int], pd.DataFrame] | None:
    try:
        from hazrisk.simulate.insurance import make_insurance
    except ModuleNotFoundError:
        return None
    ents = fleet.enterprises[["enterprise_id", "city", "safety_culture", "insurer_id"]]
    veh = fleet.vehicles.copy()
    res = make_insurance(ents, veh, years=years, random_state=seed, insurers=fleet.insurers,
                         correlated=correlated)
    res.to_files(out, as_at=as_at.isoformat())
    return years, res.vehicle_years


def write_manifest(out: Path, params: dict[str, Any], extra: list[str] | None = None
                   ) -> dict[str, Any]:
    """manifest.json: parameters, seed and sha256 of every generated file (sorted paths)."""
    import hazrisk

    files: list[dict[str, Any]] = []
    paths = [p for name in OUTPUT_DIRS for p in sorted((out / name).rglob("*"))]
    for p in paths + [out / e for e in (extra or [])]:
        if p.is_file():
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
            files.append({"path": p.relative_to(out).as_posix(), "bytes": p.stat().st_size,
                          "sha256": h.hexdigest()})
    files.sort(key=lambda f: f["path"])
    manifest = {"generator": "hazrisk simulate", "hazrisk_version": hazrisk.__version__,
                "parameters": params, "seed": params["seed"], "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
    return manifest


__all__ = ["SimulationResult", "make_dumps", "simulate", "write_manifest"]
