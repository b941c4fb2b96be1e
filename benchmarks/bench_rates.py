"""Provider rates at province scale: all rates + device KPIs for one month of 20,000 vehicles.

Positions are synthesised directly into the warehouse with numpy/Arrow (no simulator, no
decoding): per vehicle and Beijing day a drive at 30 s intervals and parked reports at 300 s,
with ~1 % drift spikes, ~0.5 % invalid fixes, ~2 % backfilled (0x0704) points, jittered
intervals and occasional outages. The per-day count is scaled down from a realistic ~900
(6 h driving + 18 h parked) to ``POINTS_PER_DAY`` so that the month fits this 2-core machine's
memory and generation time; the rate SQL is linear in rows (one sort per window pass), so the
full-scale time can be extrapolated from the rows/s figure. Registry (vehicles, images, phone
verifications, 0x0104 answers, fault tickets) for every vehicle.

Measured: synthesis + load, ``compute_rates`` (all provider rates, vehicle results, storage)
and ``compute_devices``, in one DuckDB connection (threads = 2, memory limit 10 GB, spilling to
a temp directory).

Run: ``python -m benchmarks --only rates`` (``--quick``: 2,000 vehicles), or
``python -m benchmarks.bench_rates --vehicles N --days D --points P``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from warehouse_tables import storage_table  # noqa: E402  (test support, not the product)

DESCRIPTION = "provider rates + device KPIs, one month of 20,000 vehicles (synthetic positions)"

VEHICLES = 20_000
QUICK_VEHICLES = 2_000
DAYS = 30
POINTS_PER_DAY = 100
PROVIDERS = 8
CHUNK_VEHICLES = 1_000
T0 = 1_790_784_000  # 2026-10-01 00:00 Beijing (epoch seconds)
KM_PER_DEG = 6371.0088 * np.pi / 180.0


def _registry(con: Any, n: int) -> None:
    ids = [f"V{i:06d}" for i in range(n)]
    prov = [f"P{i % PROVIDERS + 1:02d}" for i in range(n)]
    phones = [f"0139{i:08d}" for i in range(n)]
    vehicles = pa.table({
        "vehicle_id": ids, "terminal_phone": phones, "terminal_id": [f"T{i:07d}" for i in range(n)],
        "plate": [f"浙B{i:05d}" if i % 50 else "ZJ" for i in range(n)],
        "plate_color": pa.array([2] * n, pa.int32()), "vin": ["1M8GDM9AXKP042788"] * n,
        "enterprise_id": [f"E{i % 700:03d}" for i in range(n)], "provider_id": prov,
        "vehicle_type": ["罐式货车"] * n, "tonnage_t": [30.0] * n, "hazmat_class": ["3"] * n,
        "transport_permit_no": [f"3301{i:08d}" for i in range(n)], "owner_name": ["某公司"] * n,
        "operator_phone": [f"139{i:08d}" for i in range(n)],
        "maker_id": [f"M{i % 5}" for i in range(n)], "device_model": [f"X{i % 3}" for i in range(n)],
        "valid_from": pa.nulls(n, pa.date32()), "valid_to": pa.nulls(n, pa.date32()),
        "import_id": pa.array([1] * n, pa.int32()), "source_row": pa.array(range(2, n + 2), pa.int32()),
    })
    con.register("_v", vehicles)
    con.execute(f"INSERT INTO {storage_table(con, 'core.vehicles')} BY NAME SELECT * FROM _v")
    con.unregister("_v")
    con.execute(f"""
        INSERT INTO {storage_table(con, 'core.providers')} BY NAME
        SELECT 'P' || lpad(CAST(i AS VARCHAR), 2, '0') AS provider_id, 'provider ' || i AS name,
               'jt.p' || i || '.cn' AS platform_domain, 1 AS import_id, i AS source_row
        FROM range(1, $n + 1) t(i)""", {"n": PROVIDERS})
    con.execute(f"""
        INSERT INTO {storage_table(con, 'core.images')} BY NAME
        SELECT v.vehicle_id, s.slot, v.vehicle_id || s.slot AS file_name,
               CASE WHEN hash(v.vehicle_id) % 40 = 0 THEN 'dup' ELSE v.vehicle_id || s.slot END
                   AS sha256, 60000 AS size_bytes, 'ffd8ffe0' AS magic_hex,
               TIMESTAMPTZ '2026-09-01 10:00:00+08' AS uploaded_at, 1 AS import_id,
               row_number() OVER () AS source_row
        FROM core.vehicles v,
             (SELECT unnest(['registration_cert', 'driving_licence', 'body_photo']) AS slot) s""")
    con.execute(f"""
        INSERT INTO {storage_table(con, 'core.phone_verifications')} BY NAME
        SELECT vehicle_id, operator_phone, TIMESTAMPTZ '2026-06-01 10:00:00+08' AS verified_at,
               CASE WHEN hash(vehicle_id) % 10 = 0 THEN 'fail' ELSE 'pass' END AS result,
               1 AS import_id, row_number() OVER () AS source_row
        FROM core.vehicles""")
    con.execute(f"""
        INSERT INTO {storage_table(con, 'core.param_answers')} BY NAME
        SELECT v.terminal_phone, TIMESTAMPTZ '2026-10-20 10:00:00+08' AS recv_time, 1 AS serial,
               1 AS reply_serial, p.param_id, printf('0x%04X', p.param_id) AS param_hex,
               CASE WHEN hash(v.vehicle_id) % 20 = 0 THEN '10.0.0.1'
                    ELSE 'jt.p' || CAST(substr(v.provider_id, 2) AS INTEGER) || '.cn:7008' END
                   AS value_text, NULL AS value_json, 1 AS source_file_id,
               row_number() OVER () AS source_offset
        FROM core.vehicles v, (SELECT unnest([19, 23]) AS param_id) p""")
    con.execute(f"""
        INSERT INTO {storage_table(con, 'core.fault_tickets')} BY NAME
        SELECT 'K' || vehicle_id AS ticket_id, vehicle_id, terminal_phone, maker_id, device_model,
               'gnss' AS fault_kind, TIMESTAMPTZ '2026-10-10 10:00:00+08' AS reported_at,
               TIMESTAMPTZ '2026-10-10 10:00:00+08' + to_hours(CAST(hash(vehicle_id) % 40 AS BIGINT))
                   AS repaired_at, 1 AS import_id, row_number() OVER () AS source_row
        FROM core.vehicles WHERE hash(vehicle_id) % 10 = 0""")


def _files(con: Any, days: int) -> dict[tuple[int, int], int]:
    ids: dict[tuple[int, int], int] = {}
    rows = []
    for p in range(PROVIDERS):
        for d in range(days):
            fid = len(ids) + 1
            ids[(p, d)] = fid
            rows.append((fid, p, d))
    con.execute(f"""
        INSERT INTO {storage_table(con, 'meta.ingested_files')} BY NAME
        SELECT f AS file_id, '/dumps/P' || lpad(CAST(p + 1 AS VARCHAR), 2, '0') || '/' || d
                   AS path, 'sha' || f AS sha256, 0 AS size_bytes, 'raw' AS format,
               false AS compressed, 'P' || lpad(CAST(p + 1 AS VARCHAR), 2, '0')
                   AS source_provider_id, DATE '2026-10-01' + d AS source_date, 'ok' AS status,
               0 AS frames_ok, 0 AS frames_rejected, 0 AS garbage_bytes, 0 AS garbage_spans,
               0 AS positions, 0 AS positions_stored, 0 AS duplicates, 0 AS unknown_terminals,
               now() AS started_at, now() AS finished_at, 0.0 AS duration_s
        FROM (SELECT unnest($f) AS f, unnest($p) AS p, unnest($d) AS d)""",
                {"f": [r[0] for r in rows], "p": [r[1] for r in rows], "d": [r[2] for r in rows]})
    from hazrisk.store.validity_flags import record_file
    from hazrisk.validity import Validity

    for r in rows:  # the rows' flags (0) under the default rules
        record_file(con, r[0], Validity.from_rules())
    return ids


def _chunk(rng: np.random.Generator, first: int, count: int, days: int, per_day: int,
           seq0: int) -> pa.Table:
    """Positions of vehicles first..first+count-1, ``days`` x ``per_day`` each, time-sorted."""
    vd = count * days
    n = vd * per_day
    moving_n = int(per_day * 0.6)
    moving = np.zeros((vd, per_day), bool)
    moving[:, :moving_n] = True
    step = np.where(moving, 30.0, 300.0) + rng.integers(-1, 2, (vd, per_day))  # jitter
    outage = rng.random((vd, per_day)) < 0.002
    step = np.where(outage, step * rng.integers(4, 40, (vd, per_day)), step)
    start = T0 + 3600 * 7 + rng.integers(0, 3600 * 3, vd)  # day start 07:00-10:00 Beijing
    day_idx = np.tile(np.arange(days), count)
    offs = np.cumsum(step, axis=1) - step[:, :1]
    t = (start + day_idx * 86400)[:, None] + offs
    km = np.where(moving, step / 3600.0 * 60.0, 0.0)  # 60 km/h while moving
    heading = rng.uniform(0, 2 * np.pi, vd)[:, None]
    lat = 30.0 + rng.uniform(0, 1.0, vd)[:, None] + np.cumsum(km, axis=1) * np.cos(heading) / KM_PER_DEG
    lon = 120.0 + rng.uniform(0, 1.0, vd)[:, None] + np.cumsum(km, axis=1) * np.sin(heading) / (KM_PER_DEG * 0.87)
    drift = rng.random((vd, per_day)) < 0.01
    lat = np.where(drift, lat + 0.05, lat)
    bad = rng.random((vd, per_day)) < 0.005
    lat = np.where(bad, 0.0, lat)
    backfill = rng.random((vd, per_day)) < 0.02
    veh = np.repeat(np.arange(first, first + count), days * per_day)
    prov = veh % PROVIDERS
    day_flat = np.repeat(day_idx, per_day)
    file_id = prov * days + day_flat + 1
    speed = np.where(moving, 60.0, 0.0).ravel()
    dev_us = (t.ravel() * 1_000_000).astype(np.int64)
    recv_us = dev_us + np.where(backfill.ravel(), 3_600_000_000, 1_000_000)
    vid_dict = pa.array([f"V{i:06d}" for i in range(first, first + count)])
    phone_dict = pa.array([f"0139{i:08d}" for i in range(first, first + count)])
    prov_dict = pa.array([f"P{i + 1:02d}" for i in range(PROVIDERS)])
    ent_dict = pa.array([f"E{i % 700:03d}" for i in range(first, first + count)])
    local = (veh - first).astype(np.int32)
    ts = pa.timestamp("us", tz="UTC")
    return pa.table({
        "pos_seq": pa.array(np.arange(seq0, seq0 + n, dtype=np.int64)),
        "terminal_phone": pa.DictionaryArray.from_arrays(local, phone_dict).cast(pa.string()),
        "vehicle_id": pa.DictionaryArray.from_arrays(local, vid_dict).cast(pa.string()),
        "enterprise_id": pa.DictionaryArray.from_arrays(local, ent_dict).cast(pa.string()),
        "provider_id": pa.DictionaryArray.from_arrays(prov.astype(np.int32), prov_dict)
                         .cast(pa.string()),
        "device_time": pa.array(dev_us, ts),
        "recv_time": pa.array(recv_us, ts),
        "lat_deg": pa.array(lat.ravel()), "lon_deg": pa.array(lon.ravel()),
        "altitude_m": pa.array(np.full(n, 20, np.int32)),
        "speed_kmh": pa.array(speed), "heading_deg": pa.array(np.full(n, 90, np.int32)),
        "alarm": pa.array(np.zeros(n, np.uint32)),
        "status": pa.array(np.where(moving.ravel(), 3, 2).astype(np.uint32)),
        "is_backfill": pa.array(backfill.ravel()),
        "msg_id": pa.array(np.where(backfill.ravel(), 0x0704, 0x0200).astype(np.int32)),
        "serial": pa.array(np.zeros(n, np.int32)),
        "version": pa.array(np.full(n, 2019, np.int16)),
        "pos_index": pa.array(np.zeros(n, np.int32)),
        "quality_flags": pa.array(np.zeros(n, np.uint8)),
        "source_file_id": pa.array(file_id.astype(np.int32)),
        "source_offset": pa.array(np.arange(n, dtype=np.int64)),
    })


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(quick: bool = False, vehicles: int | None = None, days: int = DAYS,
        points: int = POINTS_PER_DAY) -> dict[str, Any]:
    from hazrisk.rates import Period, compute_devices, compute_rates
    from hazrisk.store.connect import connect
    from hazrisk.store.resolve import insert_keyed_positions

    n_veh = vehicles or (QUICK_VEHICLES if quick else VEHICLES)
    with tempfile.TemporaryDirectory(prefix="bench_rates_") as tmp:
        db = str(Path(tmp) / "w.duckdb")
        con = connect(db, threads=2, memory_limit="10GB")
        con.execute("SET temp_directory = $d", {"d": str(Path(tmp) / "spill")})
        con.execute("SET preserve_insertion_order = false")
        t = time.perf_counter()
        _registry(con, n_veh)
        _files(con, days)
        target = storage_table(con, "core.positions")
        rng = np.random.default_rng(808)
        seq = 1
        for first in range(0, n_veh, CHUNK_VEHICLES):
            count = min(CHUNK_VEHICLES, n_veh - first)
            chunk = _chunk(rng, first, count, days, points, seq)
            seq += chunk.num_rows
            con.register("_chunk", chunk)
            if target == "store.positions":  # resolution stored as a key (050_*.sql)
                insert_keyed_positions(con, "_chunk")
            else:
                con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _chunk")  # fixed name
            con.unregister("_chunk")
        rows = seq - 1
        t_load = time.perf_counter() - t
        period = Period.between("2026-10-01", f"2026-10-{days:02d}")
        cpu0 = _cpu()
        t = time.perf_counter()
        result = compute_rates(con, period)
        t_rates = time.perf_counter() - t
        t = time.perf_counter()
        dev = compute_devices(con, period)
        t_dev = time.perf_counter() - t
        cpu_s = _cpu() - cpu0
        con.close()
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    return {
        "vehicles": n_veh, "days": days, "points_per_vehicle_day": points, "positions": rows,
        "providers": PROVIDERS, "load_s": round(t_load, 1), "rates_s": round(t_rates, 1),
        "devices_s": round(t_dev, 1), "total_rates_devices_s": round(t_rates + t_dev, 1),
        "rows_per_s": round(rows / t_rates), "cpu_s": round(cpu_s, 1),
        "load_avg": round(os.getloadavg()[0], 1),
        "rate_rows": len(result), "device_rows": len(dev),
        "peak_rss_gb": round(rss_gb, 2),
    }


def report(r: dict[str, Any]) -> str:
    return (
        f"{r['vehicles']:,} vehicles x {r['days']} days x {r['points_per_vehicle_day']} points "
        f"= {r['positions']:,} positions (synthesised + loaded in {r['load_s']} s)\n"
        f"compute_rates {r['rates_s']} s ({r['rows_per_s']:,} positions/s), compute_devices "
        f"{r['devices_s']} s: {r['total_rates_devices_s']} s for all rates (target < 180 s); "
        f"{r['cpu_s']} CPU s on 2 threads, load average {r['load_avg']}; "
        f"peak RSS {r['peak_rss_gb']} GB"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vehicles", type=int, default=VEHICLES)
    ap.add_argument("--days", type=int, default=DAYS)
    ap.add_argument("--points", type=int, default=POINTS_PER_DAY)
    a = ap.parse_args()
    res = run(vehicles=a.vehicles, days=a.days, points=a.points)
    print(report(res))
    print(json.dumps(res))
