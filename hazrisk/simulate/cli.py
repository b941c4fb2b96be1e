"""``hazrisk simulate``: write a simulated Zhejiang hazmat fleet with known truth."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from hazrisk.cliutil import prepare_output_dir, to_json, usage

HELP = """\
Simulate a Zhejiang hazmat fleet with known truth and write the output folder
of ARCHITECTURE.md: dumps/<provider>/<date>.bin or .log.gz (JT/T 808 gateway
captures, one format per provider), registry/*.csv and *.geojson,
logs/handling_log.csv and fault_tickets.csv, insurance/policies.csv and
claims.csv (with report_date), history/vehicle_months.csv (the archived
vehicle-month safety history of the policy years and the simulated month),
truth/ (trajectories, injected faults with file and offset, violations,
expected provider rates, claims and history models) and manifest.json
(parameters, seed, sha256 of every file). Same seed, same bytes.
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("simulate", help="simulate a hazmat fleet with known truth",
                              description=HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--vehicles", type=int, default=40, help="registered vehicles (default 40)")
    p.add_argument("--days", type=int, default=3, help="days to simulate (default 3)")
    p.add_argument("--start", default="2026-10-01", help="first day, YYYY-MM-DD (Beijing)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", required=True,
                   help="output folder: new, empty, or one hazrisk simulate made (its "
                        "manifest.json); the generated subfolders are replaced")
    p.add_argument("--force", action="store_true",
                   help="write into a folder holding other things (its dumps/ registry/ "
                        "logs/ insurance/ truth/ and manifest.json are replaced)")
    p.add_argument("--providers", type=int, default=6, help="platform operators, 1-8 (default 6)")
    p.add_argument("--sample", action="store_true",
                   help="the committed-sample variant (data/sample): also write README.md "
                        "describing the output")
    p.add_argument("--insurance-years", type=int, default=5, metavar="N",
                   help="policy years before --start (insurance book and archived history; "
                        "default 5)")
    p.add_argument("--independent-effects", action="store_true",
                   help="claims' enterprise effect independent of safety culture (a book "
                        "without confounding, for coefficient-recovery tests)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (they are shown on a terminal only)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run, command_name="simulate")


def made_by_simulate(folder: Path) -> bool:
    """True when ``folder`` holds the manifest ``hazrisk simulate`` writes."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == "hazrisk simulate"


def run(args: argparse.Namespace) -> int:
    from hazrisk.simulate import simulate

    try:
        start = dt.date.fromisoformat(args.start)
    except ValueError:
        usage(f"--start {args.start!r} is not a date YYYY-MM-DD")
    if (args.vehicles < 1 or args.days < 1 or not 1 <= args.providers <= 8
            or args.insurance_years < 1):
        usage("need --vehicles >= 1, --days >= 1, --providers 1-8, --insurance-years >= 1")
    prepare_output_dir(args.out, made_by_us=made_by_simulate, force=args.force,
                       command="simulate")
    t = time.perf_counter()
    res = simulate(args.out, vehicles=args.vehicles, days=args.days, start=start,
                   seed=args.seed, providers=args.providers, sample=args.sample,
                   progress=not args.no_progress and sys.stderr.isatty(),
                   insurance_years=args.insurance_years,
                   independent_effects=args.independent_effects)
    took = time.perf_counter() - t
    files = res.manifest["files"]
    size = sum(f["bytes"] for f in files)
    summary = {"out": str(res.out_dir), "files": len(files), "bytes": size,
               "seconds": round(took, 1), **res.summary}
    if args.json:
        sys.stdout.write(to_json(summary) + "\n")
    else:
        sys.stderr.write(f"hazrisk simulate: {args.vehicles} vehicles x {args.days} days -> "
                         f"{res.out_dir} ({len(files)} files, {size / 1e6:.1f} MB, "
                         f"{res.summary.get('frames', 0)} frames, {took:.1f} s)\n")
    return 0
