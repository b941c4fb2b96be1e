"""Risk models at province scale: features + fit + validation for 20,000 vehicles x 5 years.

The book comes from ``hazrisk.simulate.insurance.make_insurance_book`` (about 1,540
enterprises -> 20,000 vehicles, 2021-2025) loaded into an in-memory warehouse with
``hazrisk.risk.synthetic.load_book`` (vehicle-months in ``safety.vehicle_months``: about 1.1 M
rows). Setup is not timed. Timed: ``hazrisk.risk.workflow.fit_and_validate`` -- features of
every policy year from the warehouse, chain-ladder development, the frequency GLM and its two
baselines, the monotonic Poisson GBM, the Gamma severity and Tweedie GLMs, credibility
structure, the pooled vs within-enterprise diagnostic, out-of-time validation with 200
enterprise-bootstrap Gini resamples per model, and the model card. Peak RSS is the
subprocess's (setup included). Target: under a minute.

Run: ``python -m benchmarks --only risk`` (``--quick``: 2,000 vehicles), or
``python -m benchmarks.bench_risk --vehicles N``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from typing import Any

DESCRIPTION = "risk models: features + fit + validation, 20,000 vehicles x 5 years"
VEHICLES = 20_000
VEHICLES_PER_ENTERPRISE = 13.0  # make_insurance_book's mean fleet size


def measure(vehicles: int) -> dict[str, Any]:
    from hazrisk.risk.models import Settings
    from hazrisk.risk.synthetic import load_book
    from hazrisk.risk.workflow import fit_and_validate
    from hazrisk.simulate.insurance import make_insurance_book
    from hazrisk.store.connect import connect

    t0 = time.perf_counter()
    res = make_insurance_book(max(int(vehicles / VEHICLES_PER_ENTERPRISE), 2), random_state=808,
                              correlated=True)
    con = connect(":memory:")
    load_book(con, res, random_state=808)
    n_vm = con.execute("SELECT count(*) FROM safety.vehicle_months").fetchone()
    setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    fit = fit_and_validate(con, [2022, 2023, 2024], 2025, as_at=date(2025, 12, 31),
                           settings=Settings.default(), name="bench")
    seconds = time.perf_counter() - t1
    comp = fit.comparison.set_index("model")
    return {
        "vehicles": int(res.vehicle_years["vehicle_id"].nunique()),
        "enterprises": int(res.vehicle_years["enterprise_id"].nunique()),
        "policies": len(fit.frame), "claims": int(fit.frame["n_claims"].sum()),
        "vehicle_months": int(n_vm[0]) if n_vm else 0,
        "setup_s": round(setup, 2), "fit_validate_s": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "gini_glm": round(float(comp.loc["glm", "gini"]), 4),
        "gini_gbm": round(float(comp.loc["gbm", "gini"]), 4),
        "gini_no_telematics": round(float(comp.loc["no_telematics", "gini"]), 4),
    }


def run(quick: bool = False) -> dict[str, Any]:
    n = 2_000 if quick else VEHICLES
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_risk", "--vehicles", str(n)],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def report(r: dict[str, Any]) -> str:
    return (f"{r['vehicles']:,} vehicles / {r['enterprises']:,} enterprises, {r['policies']:,} "
            f"policies, {r['claims']:,} claims, {r['vehicle_months']:,} vehicle-months: "
            f"features + fit + validation {r['fit_validate_s']} s (setup {r['setup_s']} s), "
            f"peak RSS {r['peak_rss_mb']} MB; out-of-time Gini GLM {r['gini_glm']}, GBM "
            f"{r['gini_gbm']}, no telematics {r['gini_no_telematics']}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--vehicles", type=int, default=VEHICLES)
    args = ap.parse_args()
    print(json.dumps(measure(args.vehicles)))
