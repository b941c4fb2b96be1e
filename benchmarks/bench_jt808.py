"""JT/T 808 location decoding: scalar vs columnar frames/s per core, and chunked peak RSS.

The stream: 0x0200 location reports with the usual additional items (0x01 mileage, 0x02 fuel,
0x03 tachograph speed, 0x25 extended signals, 0x2A IO status, 0x30 signal strength, 0x31
satellites), about 5 % carrying a 0x65 DSM alarm item, from a few thousand terminals; frames
are encoded by the scalar codec (``encode_message``) into a pool and drawn from it at random,
so escapes occur where the values contain 0x7D/0x7E (about one frame in eight).

Measured, in this one process and on one core (Arrow's thread pool pinned to one thread):

* scalar: ``iter_records`` over the first 50,000 frames (every position read from the
  records, as a consumer would);
* columnar: ``decode_positions`` over the whole stream, best of three (the first, cold call
  is reported too: it pays the page faults of first touching the working memory);
* chunked: ``iter_position_batches`` over the stream written to a file several times the
  chunk size, in a fresh subprocess whose peak RSS is reported (with the RSS of the same
  subprocess before decoding, i.e. the interpreter with numpy/pyarrow loaded).

Run: ``python -m benchmarks --only jt808`` (``--quick`` for a smaller stream), or
``python -m benchmarks.bench_jt808 --frames N``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

DESCRIPTION = "JT/T 808 0x0200 decoding: scalar vs columnar frames/s per core, chunked peak RSS"

FRAMES = 1_000_000
QUICK_FRAMES = 200_000
SCALAR_FRAMES = 50_000
QUICK_SCALAR_FRAMES = 10_000
POOL = 20_000
QUICK_POOL = 5_000
CHUNK_BYTES = 64 << 20  # the default of iter_position_batches
DSM_SHARE = 0.05
TERMINALS = 3_000


def _dsm_item(rng: random.Random, t: datetime) -> dict[str, Any]:
    """A 0x65 DSM alarm item (T/JSATL12-2017 table 4-17, 16-byte alarm identification)."""
    return {
        "alarm_id": rng.randrange(1 << 32),
        "flag": rng.choice((0, 1, 2)),
        "alarm_type": rng.choice((1, 2, 3, 4, 5)),
        "level": rng.choice((1, 2)),
        "fatigue_level": rng.randrange(10),
        "dsm_reserved": 0,
        "speed_kmh": rng.randrange(100),
        "altitude_m": rng.randrange(200),
        "lat_deg": rng.randrange(27_000_000, 31_200_000) / 1e6,
        "lon_deg": rng.randrange(118_000_000, 123_000_000) / 1e6,
        "alarm_time": t,
        "vehicle_status": rng.randrange(1 << 16),
        "terminal_id": f"T{rng.randrange(10**6):06d}",
        "time": t,
        "seq": 0,
        "attachment_count": rng.randrange(4),
        "reserved": 0,
        "ident_len": 16,
    }


def location_body(rng: random.Random, t: datetime) -> dict[str, Any]:
    """A typical 0x0200 body of a moving Zhejiang hazmat truck."""
    speed = rng.randrange(0, 900) / 10
    items: dict[str, Any] = {
        "0x01": {"mileage_km": rng.randrange(10_000_000) / 10},
        "0x02": {"fuel_l": rng.randrange(6000) / 10},
        "0x03": {"tacho_speed_kmh": speed},
        "0x25": {"ext_signal_status": rng.choice((0, 1, 3))},
        "0x2A": {"io_status": 0},
        "0x30": {"rssi": rng.randrange(10, 32)},
        "0x31": {"gnss_count": rng.randrange(4, 24)},
    }
    if rng.random() < DSM_SHARE:
        items["0x65"] = _dsm_item(rng, t)
    return {
        "alarm": 0 if rng.random() < 0.98 else 1 << rng.randrange(20),
        "status": 0b11,
        "lat_deg": rng.randrange(27_000_000, 31_200_000) / 1e6,
        "lon_deg": rng.randrange(118_000_000, 123_000_000) / 1e6,
        "altitude_m": rng.randrange(0, 300),
        "speed_kmh": speed,
        "heading_deg": rng.randrange(360),
        "device_time": t,
        "items": items,
    }


def make_stream(n_frames: int, *, pool: int = POOL, seed: int = 808) -> bytes:
    """``n_frames`` typical 0x0200 frames drawn from a pool of ``pool`` encoded frames."""
    from hazrisk.jt808 import encode_message
    from hazrisk.jt808.fields import BEIJING

    rng = random.Random(seed)
    t0 = datetime(2026, 10, 1, 8, 0, 0, tzinfo=BEIJING)
    frames = []
    for i in range(pool):
        terminal = rng.randrange(TERMINALS)
        t = t0 + timedelta(seconds=rng.randrange(86400))
        frames.append(
            encode_message(
                0x0200,
                location_body(rng, t),
                phone=f"0139{10_000_000 + terminal:08d}",
                serial=i & 0xFFFF,
            )
        )
    picks = [rng.randrange(pool) for _ in range(n_frames)]
    return b"".join([frames[i] for i in picks])


def _frame_cut(data: bytes, n_frames: int) -> int:
    """Byte length of the first ``n_frames`` frames (each is ``7E ... 7E``)."""
    import numpy as np

    flags = np.flatnonzero(np.frombuffer(data, np.uint8) == 0x7E)
    return int(flags[2 * n_frames - 1]) + 1 if 2 * n_frames <= flags.size else len(data)


def time_scalar(data: bytes) -> tuple[float, int]:
    """Seconds (CPU) for the scalar path to read every position, and the positions read."""
    from hazrisk.jt808 import iter_records

    t = time.process_time()
    n = 0
    for rec in iter_records(data, fmt="raw"):
        if rec.status == "ok" and rec.body is not None:
            if rec.msg_id == 0x0200:
                n += rec.body["lat_deg"] is not None
            elif rec.msg_id == 0x0704:
                n += len(rec.body["positions"])
    return time.process_time() - t, n


def time_columnar(data: bytes, repeat: int = 3) -> tuple[float, float, int, dict[str, float], float]:
    """Best (CPU seconds, wall seconds) of ``repeat`` one-shot decodes, rows, stage seconds,
    and the CPU seconds of the first (cold) call."""
    from hazrisk.jt808.columnar import StageTimer, decode_positions

    best_cpu = best_wall = float("inf")
    rows = 0
    stages: dict[str, float] = {}
    first = 0.0
    for i in range(repeat):
        timer = StageTimer()
        w, c = time.perf_counter(), time.process_time()
        table = decode_positions(data, timer=timer)
        c, w = time.process_time() - c, time.perf_counter() - w
        rows = table.num_rows
        del table
        first = c if i == 0 else first
        if c < best_cpu:
            best_cpu, best_wall, stages = c, w, dict(timer.seconds)
    return best_cpu, best_wall, rows, stages, first


def _peak_rss_mb() -> float:
    """Peak RSS of this process image in MB (``VmHWM``; unlike ``ru_maxrss`` it does not
    inherit the high-water mark of the parent that forked us)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # not Linux: the best we have

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_rss(path: str, chunk: int) -> dict[str, Any]:
    """Run in a fresh process: decode ``path`` chunk by chunk; report rows and peak RSS."""
    import pyarrow as pa

    from hazrisk.jt808.columnar import iter_position_batches

    pa.set_cpu_count(1)
    base = _peak_rss_mb()
    t, c = time.perf_counter(), time.process_time()
    rows = batches = 0
    for table in iter_position_batches(path, chunk_bytes=chunk):
        rows += table.num_rows
        batches += 1
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {"rows": rows, "batches": batches, "seconds": wall, "cpu_seconds": cpu,
            "rows_per_s": rows / cpu, "rss_before_mb": base, "peak_rss_mb": _peak_rss_mb()}


def chunked_rss(data: bytes, chunk: int, copies: int) -> dict[str, Any]:
    """Write ``copies`` × ``data`` to a temporary file and stream it in a subprocess."""
    root = Path(__file__).resolve().parents[1] / "data" / "local"
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hazrisk-bench-", dir=root) as d:
        path = Path(d) / "stream.bin"
        with open(path, "wb") as fh:
            for _ in range(copies):
                fh.write(data)
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_jt808", "--rss-child", str(path), str(chunk)],
            capture_output=True, text=True, check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
        out["file_mb"] = path.stat().st_size / 2**20
        out["chunk_mb"] = chunk / 2**20
        return out


def bench(n_frames: int, *, scalar_frames: int, pool: int, chunk: int) -> dict[str, Any]:
    import pyarrow as pa

    pa.set_cpu_count(1)
    t = time.perf_counter()
    data = make_stream(n_frames, pool=pool)
    gen = time.perf_counter() - t
    sub = data[: _frame_cut(data, scalar_frames)]
    s_cpu, s_rows = time_scalar(sub)
    c_cpu, c_wall, c_rows, stages, c_first = time_columnar(data)
    if s_rows != scalar_frames or c_rows != n_frames:
        raise RuntimeError(f"row counts: scalar {s_rows}/{scalar_frames}, columnar {c_rows}/{n_frames}")
    scalar_fps = scalar_frames / s_cpu
    columnar_fps = n_frames / c_cpu
    copies = max(2, -(-3 * chunk // len(data)))  # a file at least 3 chunks long
    rss = chunked_rss(data, chunk, copies)
    if rss["rows"] != copies * n_frames:
        raise RuntimeError(f"chunked rows {rss['rows']} != {copies * n_frames}")
    return {
        "frames": n_frames,
        "stream_mb": len(data) / 2**20,
        "bytes_per_frame": len(data) / n_frames,
        "escaped_frame_share": _escaped_share(data),
        "generate_seconds": gen,
        "scalar_frames": scalar_frames,
        "scalar_cpu_seconds": s_cpu,
        "scalar_fps": scalar_fps,
        "columnar_cpu_seconds": c_cpu,
        "columnar_wall_seconds": c_wall,
        "columnar_fps": columnar_fps,
        "columnar_first_call_cpu_seconds": c_first,
        "columnar_first_call_fps": n_frames / c_first,
        "columnar_mb_per_s": len(data) / 2**20 / c_cpu,
        "ratio": columnar_fps / scalar_fps,
        "columnar_stages_ms": {k: round(v * 1e3, 1) for k, v in stages.items()},
        "chunked": rss,
        "target_met": columnar_fps >= 2_000_000 and columnar_fps / scalar_fps >= 20,
    }


def _escaped_share(data: bytes) -> float:
    import numpy as np

    buf = np.frombuffer(data, np.uint8)
    flags = np.flatnonzero(buf == 0x7E)
    esc = np.flatnonzero(buf == 0x7D)
    frames = np.unique(np.searchsorted(flags, esc) // 2)
    return float(frames.size / max(flags.size // 2, 1))


def run(quick: bool = False) -> dict[str, Any]:
    """Entry point of the benchmark registry."""
    if quick:
        return bench(QUICK_FRAMES, scalar_frames=QUICK_SCALAR_FRAMES, pool=QUICK_POOL, chunk=4 << 20)
    return bench(FRAMES, scalar_frames=SCALAR_FRAMES, pool=POOL, chunk=CHUNK_BYTES)


def report(r: dict[str, Any]) -> str:
    c = r["chunked"]
    stages = ", ".join(f"{k} {v:.0f}" for k, v in r["columnar_stages_ms"].items())
    return "\n".join([
        f"stream      {r['frames']:,} frames of 0x0200, {r['stream_mb']:.1f} MB "
        f"({r['bytes_per_frame']:.1f} B/frame, {r['escaped_frame_share']:.0%} with escapes)",
        f"scalar      {r['scalar_fps']:>12,.0f} frames/s per core  "
        f"({r['scalar_frames']:,} frames in {r['scalar_cpu_seconds']:.2f} s CPU)",
        f"columnar    {r['columnar_fps']:>12,.0f} frames/s per core  "
        f"({r['columnar_cpu_seconds']:.3f} s CPU, {r['columnar_wall_seconds']:.3f} s wall, "
        f"{r['columnar_mb_per_s']:.0f} MB/s)",
        f"  1st call  {r['columnar_first_call_fps']:>12,.0f} frames/s per core  (cold: the "
        f"process's first touch of the working memory, page faults included)",
        f"ratio       {r['ratio']:>12,.1f} ×   (target: ≥ 2,000,000 frames/s and ≥ 20×: "
        f"{'met' if r['target_met'] else 'MISSED'})",
        f"stages ms   {stages}",
        f"chunked     {c['file_mb']:.0f} MB file in {c['chunk_mb']:.0f} MB chunks: "
        f"{c['rows']:,} rows in {c['batches']} batches, {c['cpu_seconds']:.2f} s CPU "
        f"({c['rows_per_s']:,.0f} rows/s, page faults included); peak RSS "
        f"{c['peak_rss_mb']:.0f} MB (interpreter with numpy/pyarrow before decoding: "
        f"{c['rss_before_mb']:.0f} MB)",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    ap.add_argument("--frames", type=int, default=FRAMES)
    ap.add_argument("--scalar-frames", type=int, default=SCALAR_FRAMES)
    ap.add_argument("--pool", type=int, default=POOL)
    ap.add_argument("--chunk-mb", type=float, default=CHUNK_BYTES / 2**20)
    ap.add_argument("--rss-child", nargs=2, metavar=("FILE", "CHUNK"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child:
        print(json.dumps(_child_rss(args.rss_child[0], int(args.rss_child[1]))))
        return 0
    r = bench(args.frames, scalar_frames=args.scalar_frames, pool=args.pool,
              chunk=int(args.chunk_mb * 2**20))
    print(report(r))
    print(json.dumps(r, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
