"""``python -m benchmarks [--only NAME ...] [--quick] [--list] [--json FILE] [--baseline REF]``
(``make bench``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence

# one core: no hidden thread pools in BLAS/OpenMP (Arrow is pinned by each benchmark)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from benchmarks import discover  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    benches = discover()
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--only", action="append", metavar="NAME", choices=sorted(benches),
                    help="run only this benchmark (repeatable); see --list")
    ap.add_argument("--quick", action="store_true", help="smaller inputs (smoke run)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    ap.add_argument("--json", metavar="FILE", help="also write all results as JSON to FILE")
    ap.add_argument("--baseline", metavar="REF",
                    help="also run git commit REF side by side (benchmarks that take it)")
    args = ap.parse_args(argv)
    if args.list:
        for name, bench in benches.items():
            print(f"{name:12s} {bench.describe()}")
        return 0
    chosen = args.only or list(benches)
    results = {}
    for name in chosen:
        bench = benches[name]
        print(f"== {name}: {bench.describe()}", flush=True)
        t = time.perf_counter()
        result = bench.run(quick=args.quick, baseline=args.baseline)
        result.setdefault("bench_seconds", round(time.perf_counter() - t, 2))
        results[name] = result
        text = bench.report(result)
        print(text if text is not None else json.dumps(result, indent=2, default=str), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
