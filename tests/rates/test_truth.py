"""The rates on the simulator's sample (data/sample) against its truth (truth/expected_rates.csv).

The sample is ingested with the warehouse's own commands (registry import + ingest) and the
rates computed, under the default rules, for the simulated window (so the registry rates'
reference time is the window's end, as the truth's ``min(next month, end of window)``). The
truth lists the upload-interval rate under both ``[rates] interval_state`` readings; both are
compared.

Tolerance: counts exactly equal; km within 0.01 km (the truth rounds the km sums to metres).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rates_builders import SampleWarehouse

from hazrisk.config import load_rules
from hazrisk.rates import compute_devices, compute_rates
from hazrisk.store.connect import connect

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TRUTH = SAMPLE / "truth" / "expected_rates.csv"
KM_TOL = 0.01
#: truth rate name -> (metric, interval_state)
MAP: dict[str, tuple[str, str]] = {
    "vehicle_data_conformance": ("vehicle_data_conformance", "previous"),
    "terminal_domain_correctness": ("terminal_domain_correctness", "previous"),
    "image_upload_correctness": ("image_upload_correctness", "previous"),
    "operator_phone_verification": ("operator_phone_verification", "previous"),
    "upload_interval_qualification": ("upload_interval_qualification", "previous"),
    "upload_interval_qualification_previous_state": ("upload_interval_qualification", "previous"),
    "upload_interval_qualification_current_state": ("upload_interval_qualification", "current"),
    "trajectory_completeness": ("trajectory_completeness", "previous"),
    "trajectory_completeness_km": ("trajectory_completeness_km", "previous"),
    "data_qualification": ("data_qualification", "previous"),
    "network_access_rate": ("network_entry", "previous"),
    "online_rate": ("online", "previous"),
    "drift_vehicle_rate": ("drift_vehicles", "previous"),
}

def _rules(state: str) -> Any:
    if state == "previous":  # the default
        return load_rules()
    return load_rules(overrides={"rates": {
        "interval_state": state, "sources": {"interval_state": "the truth's other variant"}}})


@pytest.fixture(scope="module")
def sample_db(sample_warehouse: SampleWarehouse) -> dict[str, Any]:
    period = sample_warehouse.period
    con = connect(sample_warehouse.db)
    mine = {state: pd.DataFrame(compute_rates(con, period, _rules(state)))
            for state in ("current", "previous")}
    devices = pd.DataFrame(compute_devices(con, period, _rules("previous")))
    con.close()
    return {"mine": mine, "devices": devices}


def _truth() -> pd.DataFrame:
    return pd.read_csv(TRUTH)


def _compare(sample_db: dict[str, Any], rates: list[str]) -> list[str]:
    bad = []
    for t in _truth().itertuples():
        if t.rate not in rates:
            continue
        metric, state = MAP[t.rate]
        df = sample_db["mine"][state]
        r = df[(df["provider"] == t.provider_id) & (df["metric"] == metric)]
        assert len(r) == 1, (t.provider_id, metric)
        num, den = float(r["numerator"].iloc[0]), float(r["denominator"].iloc[0])
        tol = KM_TOL if metric == "trajectory_completeness_km" else 1e-9
        if abs(num - t.numerator) > tol or abs(den - t.denominator) > tol:
            bad.append(f"{t.provider_id} {t.rate}: truth {t.numerator}/{t.denominator}, "
                       f"rates {num}/{den}")
    return bad


def test_rates_equal_the_truth(sample_db: dict[str, Any]) -> None:
    truth = set(_truth()["rate"])
    assert truth <= set(MAP), truth - set(MAP)
    assert _compare(sample_db, list(MAP)) == []


def test_repair_rate_equals_the_truth(sample_db: dict[str, Any]) -> None:
    truth = pd.read_csv(SAMPLE / "truth" / "expected_device_kpis.csv")
    dev = sample_db["devices"]
    got = dev[(dev["metric"] == "repair_24h") & (dev["device_model"] == "*")].set_index(
        "maker_id")
    for t in truth[truth["device_model"] == "*"].itertuples():  # per maker (model rows:
        if t.faults == 0:                                         # test_device_truth.py)
            assert t.maker_id not in got.index
            continue
        assert (got.loc[t.maker_id, "numerator"], got.loc[t.maker_id, "denominator"]) == (
            t.repaired_within_24h, t.faults - t.censored)
