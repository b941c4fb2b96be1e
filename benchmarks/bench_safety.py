"""Enterprise safety at province scale: every detector over one month of 20,000 vehicles.

Positions are synthesised directly into the warehouse with numpy/Arrow (no simulator run, no
decoding) on the simulator's Zhejiang road network (``hazrisk.simulate.fleet.geo``, 86 expressway /
other road edges, imported as ``core.roads``). Each vehicle has a home road edge (97 % on one
of its enterprise's two approved routes, 500 m buffer; every enterprise also has a 20 km
operating area) and makes one out-and-back trip a day from the edge's start: 90 fixes at 30 s
(45 min), 1 % of days a 5 h trip at 60 s (fatigue), 5 % of trips at night (00:30-05:00: night
ban on expressways), 15 % with a 3 min speeding episode, 2 % with a 10 min blind-area block
sent as backfill, 0.2 % drift fixes; 10 parked fixes 2.4 h apart around the trip. The per-day
count is scaled down from a realistic ~1,100 (8 h at 30 s + parked at 300 s) to ~100 so the
month fits this shared 2-core machine; every detector is linear in fixes (one sorted pass),
so full-scale time extrapolates from the fixes/s figure. Plus 0.4 ADAS/DSM alarms and 0.1
0x8300 reminders per vehicle-day, and 200 fault tickets.

Measured: synthesis + load, then ``hazrisk.safety.detect`` for the month (all detectors,
handling linkage, vehicle-days, enterprise months) in one DuckDB connection (threads = 2,
memory limit 10 GB, spilling to a temp directory).

Run: ``python -m benchmarks --only safety`` (``--quick``: 2,000 vehicles), or
``python -m benchmarks.bench_safety --vehicles N --days D``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

DESCRIPTION = "all safety detectors + histories, one month of 20,000 vehicles (synthetic)"

VEHICLES = 20_000
QUICK_VEHICLES = 2_000
DAYS = 30
ENTERPRISES = 700
PROVIDERS = 8
CHUNK_VEHICLES = 1_000
DRIVE_FIXES = 90
LONG_FIXES = 300
PARKED_FIXES = 10
T0 = 1_790_784_000  # 2026-10-01 00:00 Beijing (epoch seconds)
START = date(2026, 10, 1)
LIMIT = {"expressway": 80.0, "other": 60.0}


class Roads:
    """The simulator's fixed road network as arrays (lat/lon polylines with cumulative km)."""

    def __init__(self) -> None:
        from hazrisk.simulate.fleet.geo import build_network, haversine_km

        net = build_network()
        self.edges = net.edges
        self.cls = np.array([e.road_class for e in net.edges], dtype=object)
        self.length = np.array([e.length_km for e in net.edges])
        self.cum = []
        for e in net.edges:
            seg = haversine_km(e.coords[:-1, 0], e.coords[:-1, 1], e.coords[1:, 0],
                               e.coords[1:, 1])
            self.cum.append(np.r_[0.0, np.cumsum(seg)])
        self.features = net.roads_features()

    def at(self, edge: np.ndarray, d_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lat = np.empty(d_km.size)
        lon = np.empty(d_km.size)
        for k in np.unique(edge):  # one interpolation per edge (86 edges)
            sel = edge == k
            c = self.edges[k].coords
            lat[sel] = np.interp(d_km[sel], self.cum[k], c[:, 0])
            lon[sel] = np.interp(d_km[sel], self.cum[k], c[:, 1])
        return lat, lon


def _wkt_line(coords: np.ndarray) -> str:
    return "LINESTRING (" + ", ".join(f"{lo:.6f} {la:.6f}" for la, lo in coords) + ")"


def _registry(con: Any, n: int, roads: Roads, rng: np.random.Generator) -> np.ndarray:
    """Vehicles, enterprises, roads, fences; returns each vehicle's home edge."""
    ids = [f"V{i:06d}" for i in range(n)]
    ent = np.arange(n) % ENTERPRISES
    con.register("_v", pa.table({
        "vehicle_id": ids, "terminal_phone": [f"0139{i:08d}" for i in range(n)],
        "enterprise_id": [f"E{e:03d}" for e in ent],
        "provider_id": [f"P{i % PROVIDERS + 1:02d}" for i in range(n)],
        "plate": [f"浙B{i:05d}" for i in range(n)],
        "import_id": pa.array(np.ones(n, np.int32)),
        "source_row": pa.array(np.arange(2, n + 2, dtype=np.int32))}))
    con.execute("INSERT INTO core.vehicles BY NAME SELECT * FROM _v")
    con.unregister("_v")
    cities = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水"]
    con.register("_e", pa.table({
        "enterprise_id": [f"E{e:03d}" for e in range(ENTERPRISES)],
        "name": [f"企业{e:03d}" for e in range(ENTERPRISES)],
        "city": [cities[e % len(cities)] for e in range(ENTERPRISES)],
        "import_id": pa.array(np.ones(ENTERPRISES, np.int32)),
        "source_row": pa.array(np.arange(2, ENTERPRISES + 2, dtype=np.int32))}))
    con.execute("INSERT INTO core.enterprises BY NAME SELECT * FROM _e")
    con.unregister("_e")
    ne = len(roads.edges)
    con.register("_r", pa.table({
        "road_id": [f["properties"]["road_id"] for f in roads.features],  # type: ignore[index]
        "road_class": list(roads.cls),
        "speed_limit_kmh": [LIMIT[c] for c in roads.cls],
        "geometry_wkt": [_wkt_line(e.coords) for e in roads.edges],
        "import_id": pa.array(np.ones(ne, np.int32)),
        "source_row": pa.array(np.arange(2, ne + 2, dtype=np.int32))}))
    con.execute("INSERT INTO core.roads BY NAME SELECT * FROM _r")
    con.unregister("_r")
    route_edges = rng.integers(0, ne, (ENTERPRISES, 2))
    fence_id, kind, eid, buf, wkt = [], [], [], [], []
    for e in range(ENTERPRISES):
        for k in range(2):
            fence_id.append(f"R{e:03d}-{k}")
            kind.append("route")
            eid.append(f"E{e:03d}")
            buf.append(500.0)
            wkt.append(_wkt_line(roads.edges[route_edges[e, k]].coords))
        la, lo = roads.edges[route_edges[e, 0]].coords[0]
        ang = np.linspace(0, 2 * np.pi, 33)
        ring = ", ".join(f"{lo + 20 * np.sin(a) / (111.2 * np.cos(np.radians(la))):.6f} "
                         f"{la + 20 * np.cos(a) / 111.2:.6f}" for a in ang)
        fence_id.append(f"A{e:03d}")
        kind.append("area")
        eid.append(f"E{e:03d}")
        buf.append(float("nan"))
        wkt.append(f"POLYGON (({ring}))")
    nf = len(fence_id)
    con.register("_f", pa.table({
        "fence_id": fence_id, "kind": kind, "enterprise_id": eid, "buffer_m": buf,
        "geometry_wkt": wkt, "import_id": pa.array(np.ones(nf, np.int32)),
        "source_row": pa.array(np.arange(2, nf + 2, dtype=np.int32))}))
    con.execute("INSERT INTO core.fences BY NAME SELECT * FROM _f")
    con.unregister("_f")
    on_route = rng.random(n) < 0.97
    home = np.where(on_route, route_edges[ent, rng.integers(0, 2, n)], rng.integers(0, ne, n))
    # fault tickets for 200 vehicles: open 10:00-16:00 on a random day
    tv = rng.choice(n, size=min(200, n), replace=False)
    day = rng.integers(0, DAYS, tv.size)
    con.register("_t", pa.table({
        "ticket_id": [f"T{i:05d}" for i in range(tv.size)],
        "vehicle_id": [ids[i] for i in tv],
        "reported_at": pa.array(((T0 + day * 86400 + 10 * 3600) * 1_000_000).astype(np.int64),
                                pa.timestamp("us", tz="UTC")),
        "repaired_at": pa.array(((T0 + day * 86400 + 16 * 3600) * 1_000_000).astype(np.int64),
                                pa.timestamp("us", tz="UTC")),
        "import_id": pa.array(np.ones(tv.size, np.int32)),
        "source_row": pa.array(np.arange(2, tv.size + 2, dtype=np.int32))}))
    con.execute("INSERT INTO core.fault_tickets BY NAME SELECT * FROM _t")
    con.unregister("_t")
    return np.asarray(home)


def _chunk(rng: np.random.Generator, roads: Roads, home: np.ndarray, first: int, count: int,
           days: int, seq0: int) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(positions, safety events, text messages) of vehicles first..first+count-1."""
    vd = count * days
    veh = np.repeat(np.arange(first, first + count), days)
    day = np.tile(np.arange(days), count)
    edge = home[veh]
    long_day = rng.random(vd) < 0.01
    night = rng.random(vd) < 0.05
    nd = np.where(long_day, LONG_FIXES, DRIVE_FIXES)
    step = np.where(long_day, 60.0, 30.0)
    start_h = np.where(night, rng.uniform(0.5, 5.0, vd), rng.uniform(7.0, 12.0, vd))
    t_start = T0 + day * 86400 + start_h * 3600
    # driving fixes (ragged: nd per vehicle-day)
    k = np.arange(int(nd.sum())) - np.repeat(np.cumsum(nd) - nd, nd)
    g = np.repeat(np.arange(vd), nd)
    cls = roads.cls[edge[g]]
    lim = np.where(cls == "expressway", 80.0, 60.0)
    v = lim - rng.uniform(3.0, 10.0, g.size)
    ep = rng.random(vd) < 0.15
    ep_at = rng.integers(5, DRIVE_FIXES - 10, vd)
    in_ep = ep[g] & (k >= ep_at[g]) & (k < ep_at[g] + 6)
    v = np.where(in_ep, lim * rng.uniform(1.08, 1.4, vd)[g], v)
    v = np.where(k == 0, 0.0, v)
    v = np.where(k == nd[g] - 1, 0.0, v)
    dist = np.cumsum(v * step[g] / 3600.0)
    dist -= np.repeat(dist[np.cumsum(nd) - nd], nd)
    total = np.maximum(dist[np.cumsum(nd) - 1], 1e-6)
    out = np.minimum(roads.length[edge], total / 2)
    ds = dist * (2 * out / total)[g]
    d_on = np.minimum(ds, 2 * out[g] - ds)
    lat, lon = roads.at(edge[g], np.clip(d_on, 0, None))
    t = t_start[g] + k * step[g]
    drift = rng.random(g.size) < 0.002
    lat = np.where(drift, lat + 0.09, lat)
    blind = rng.random(vd) < 0.02
    b_at = rng.integers(10, DRIVE_FIXES - 30, vd)
    back = blind[g] & (k >= b_at[g]) & (k < b_at[g] + 20)
    # parked fixes: 5 before the trip and 5 after, 2.4 h apart, at home
    pk = np.tile(np.r_[-5:0, 1:6], vd)
    pg = np.repeat(np.arange(vd), PARKED_FIXES)
    trip_end = t_start + nd * step
    pt = np.where(pk < 0, t_start[pg] + pk * 8640.0, trip_end[pg] + pk * 8640.0)
    plat, plon = roads.at(edge[pg], np.zeros(pg.size))
    keep = (pt >= T0 - 86400) & (pt < T0 + (days + 1) * 86400)
    # combine, sort by vehicle then time
    vv = np.r_[veh[g], veh[pg][keep]]
    tt = np.r_[t, pt[keep]]
    order = np.lexsort((tt, vv))
    vv, tt = vv[order], tt[order]
    la = np.r_[lat, plat[keep]][order]
    lo = np.r_[lon, plon[keep]][order]
    sp = np.r_[v, np.zeros(int(keep.sum()))][order]
    bf = np.r_[back, np.zeros(int(keep.sum()), bool)][order]
    n = vv.size
    local = (vv - first).astype(np.int32)
    vid_dict = pa.array([f"V{i:06d}" for i in range(first, first + count)])
    phone_dict = pa.array([f"0139{i:08d}" for i in range(first, first + count)])
    ent_dict = pa.array([f"E{i % ENTERPRISES:03d}" for i in range(first, first + count)])
    prov_dict = pa.array([f"P{i % PROVIDERS + 1:02d}" for i in range(first, first + count)])
    ts = pa.timestamp("us", tz="UTC")
    dev_us = (tt * 1_000_000).astype(np.int64)

    def col(d: pa.Array, idx: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(idx, d).cast(pa.string())

    pos = pa.table({
        "pos_seq": pa.array(np.arange(seq0, seq0 + n, dtype=np.int64)),
        "terminal_phone": col(phone_dict, local), "vehicle_id": col(vid_dict, local),
        "enterprise_id": col(ent_dict, local), "provider_id": col(prov_dict, local),
        "device_time": pa.array(dev_us, ts),
        "recv_time": pa.array(dev_us + np.where(bf, 3_600_000_000, 1_000_000), ts),
        "lat_deg": pa.array(la), "lon_deg": pa.array(lo),
        "speed_kmh": pa.array(np.round(sp, 1)),
        "alarm": pa.array(np.zeros(n, np.uint32)),
        "status": pa.array(np.where(sp > 0, 3, 2).astype(np.uint32)),
        "is_backfill": pa.array(bf),
        "msg_id": pa.array(np.where(bf, 0x0704, 0x0200).astype(np.int32)),
        "pos_index": pa.array(np.zeros(n, np.int32)),
        "quality_flags": pa.array(np.zeros(n, np.uint8)),
        "source_file_id": pa.array(np.ones(n, np.int32)),
        "source_offset": pa.array(np.arange(n, dtype=np.int64)),
    })
    # alarms at random driving fixes, reminders at random times
    na = int(vd * 0.4)
    ai = rng.integers(0, g.size, na)
    a_local = (veh[g[ai]] - first).astype(np.int32)
    sys_ = rng.random(na) < 0.5
    alarms = pa.table({
        "pos_seq": pa.array(np.zeros(na, np.int64)),
        "terminal_phone": col(phone_dict, a_local), "vehicle_id": col(vid_dict, a_local),
        "enterprise_id": col(ent_dict, a_local), "provider_id": col(prov_dict, a_local),
        "device_time": pa.array((t[ai] * 1_000_000).astype(np.int64), ts),
        "item_id": pa.array(np.where(sys_, 0x64, 0x65).astype(np.int32)),
        "system": pa.array(np.where(sys_, "adas", "dsm")),
        "alarm_id": pa.array(np.arange(na, dtype=np.int64) + seq0),
        "alarm_type": pa.array(rng.integers(1, 5, na).astype(np.int32)),
        "alarm_level": pa.array(rng.integers(1, 3, na).astype(np.int32)),
        "lat_deg": pa.array(lat[ai]), "lon_deg": pa.array(lon[ai]),
        "speed_kmh": pa.array(v[ai]), "is_backfill": pa.array(np.zeros(na, bool)),
        "source_file_id": pa.array(np.ones(na, np.int32)),
        "source_offset": pa.array(np.zeros(na, np.int64)),
    })
    nt = int(vd * 0.1)
    ti = rng.integers(0, g.size, nt)
    t_local = (veh[g[ti]] - first).astype(np.int32)
    texts = pa.table({
        "terminal_phone": col(phone_dict, t_local),
        "recv_time": pa.array(((t[ti] + rng.uniform(30, 900, nt)) * 1_000_000).astype(np.int64),
                              ts),
        "direction": pa.array(["SEND"] * nt), "flags": pa.array(np.full(nt, 12, np.int32)),
        "text": pa.array(["【监控中心】您已超速行驶,请立即减速慢行!"] * nt),
        "source_file_id": pa.array(np.ones(nt, np.int32)),
        "source_offset": pa.array(np.zeros(nt, np.int64)),
    })
    return pos, alarms, texts


def _committed_file(con: Any) -> None:
    """meta.ingested_files row 1: every synthetic row carries source_file_id 1."""
    con.execute(
        "INSERT INTO meta.ingested_files (file_id, path, sha256, size_bytes, format, "
        "compressed, status, frames_ok, frames_rejected, garbage_bytes, garbage_spans, "
        "positions, positions_stored, duplicates, unknown_terminals, started_at, "
        "finished_at, duration_s) VALUES (1, 'bench_safety', 'bench_safety', 0, 'raw', false, "
        "'ok', 0, 0, 0, 0, 0, 0, 0, 0, now(), now(), 0)")
    from hazrisk.store.validity_flags import record_file
    from hazrisk.validity import Validity

    record_file(con, 1, Validity.from_rules())  # the rows' flags (0) under the default rules


def run(quick: bool = False, vehicles: int | None = None, days: int = DAYS) -> dict[str, Any]:
    from hazrisk.safety import detect
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from warehouse_tables import storage_table  # test support, not the product

    from hazrisk.store.connect import connect
    from hazrisk.store.resolve import insert_keyed_positions

    n_veh = vehicles or (QUICK_VEHICLES if quick else VEHICLES)
    with tempfile.TemporaryDirectory(prefix="bench_safety_") as tmp:
        db = str(Path(tmp) / "w.duckdb")
        con = connect(db, threads=2, memory_limit="10GB")
        con.execute("SET temp_directory = $d", {"d": str(Path(tmp) / "spill")})
        con.execute("SET preserve_insertion_order = false")
        t = time.perf_counter()
        rng = np.random.default_rng(808)
        roads = Roads()
        home = _registry(con, n_veh, roads, rng)
        _committed_file(con)
        dest = {k: storage_table(con, f"core.{k}")
                for k in ("positions", "safety_events", "text_messages")}
        seq = 1
        for first in range(0, n_veh, CHUNK_VEHICLES):
            count = min(CHUNK_VEHICLES, n_veh - first)
            pos, alarms, texts = _chunk(rng, roads, home, first, count, days, seq)
            seq += pos.num_rows
            for name, tab, rel in (("_pos", pos, dest["positions"]),
                                   ("_al", alarms, dest["safety_events"]),
                                   ("_tx", texts, dest["text_messages"])):
                con.register(name, tab)
                if rel == "store.positions":  # resolution stored as a key (050_*.sql)
                    insert_keyed_positions(con, name)
                else:
                    con.execute(f"INSERT INTO {rel} BY NAME SELECT * FROM {name}")  # fixed
                con.unregister(name)
        rows = seq - 1
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        c = time.process_time()
        rep = detect(con, START, START + timedelta(days=days))
        t_detect = time.perf_counter() - t
        c_detect = time.process_time() - c
        con.close()
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {
        "vehicles": n_veh, "days": days, "positions": rows,
        "fixes_per_vehicle_day": round(rows / (n_veh * days), 1),
        "load_s": round(t_load, 1), "detect_s": round(t_detect, 1),
        "detect_cpu_s": round(c_detect, 1),
        "fixes_per_s": round(rep.positions / t_detect),
        "timings_s": {k: round(v, 1) for k, v in rep.timings_s.items()},
        "batches": rep.batches, "violations": rep.to_json()["violations_total"],
        "violations_by_rule": rep.violations, "vehicle_days": rep.vehicle_days,
        "enterprise_months": rep.enterprise_months, "peak_rss_gb": round(rss_gb, 2),
    }


def report(r: dict[str, Any]) -> str:
    return (
        f"{r['vehicles']:,} vehicles x {r['days']} days, {r['positions']:,} positions "
        f"({r['fixes_per_vehicle_day']} per vehicle-day; synthesised + loaded in {r['load_s']} s)"
        f"\ndetect (all detectors, handling, vehicle-days, enterprise months): "
        f"{r['detect_s']} s wall ({r['detect_cpu_s']} s CPU) = {r['fixes_per_s']:,} fixes/s "
        f"in {r['batches']} batches "
        f"({r['timings_s']}); {r['violations']:,} violations, {r['vehicle_days']:,} "
        f"vehicle-days, {r['enterprise_months']} enterprise-months; peak RSS {r['peak_rss_gb']} GB"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vehicles", type=int, default=VEHICLES)
    ap.add_argument("--days", type=int, default=DAYS)
    a = ap.parse_args()
    res = run(vehicles=a.vehicles, days=a.days)
    print(report(res))
    print(json.dumps(res, default=str))
