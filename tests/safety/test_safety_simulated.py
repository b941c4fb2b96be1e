"""Precision and recall per detector on the simulator's output (``data/sample``).

Loads the sample into a temporary warehouse (registry import, ingest), runs ``detect`` and
compares with ``truth/`` (matching and observability rules: ``safety_truth.py``). Every rule
with true events must reach precision ≥ 0.95 and recall ≥ 0.95 against the *observable* truth
only (the simulator's ``observable`` flags and ``violations_observable_only.csv``: what the
delivered fixes show; events whose evidence never reached the platform are not judged);
``faulty_terminal_dispatch`` has no truth in the simulator (its literal scenarios are in
test_safety_offline_alarms.py).
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from safety_truth import _bool, _epoch, _rule_id, evaluate

from hazrisk.safety import detect
from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect

REPO = Path(__file__).resolve().parents[2]
BOUND = 0.95


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sample = REPO / "data" / "sample"
    if (sample / "manifest.json").exists():
        return sample
    out = tmp_path_factory.mktemp("sim") / "out"
    subprocess.run(
        [sys.executable, "-m", "hazrisk", "simulate", "--vehicles", "40", "--days", "3",
         "--start", "2026-10-01", "--seed", "808", "--out", str(out), "--no-progress"],
        check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def evaluated(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[pd.DataFrame, duckdb.DuckDBPyConnection]:
    db = tmp_path_factory.mktemp("wh") / "w.duckdb"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert store_main(["registry", "import", str(sim_dir), "--db", str(db)]) == 0
        assert store_main(["ingest", str(sim_dir), "--db", str(db), "--no-progress"]) == 0
    con = connect(db)
    import json

    params = json.loads((sim_dir / "manifest.json").read_text(encoding="utf-8"))["parameters"]
    start = date.fromisoformat(params["start"])
    detect(con, start, date.fromordinal(start.toordinal() + int(params["days"])))
    return evaluate(sim_dir, con), con


def test_precision_and_recall_per_detector(
        evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    table, _ = evaluated
    print("\n" + table.round(4).to_string())
    judged = table[table["n_true"].fillna(0) + table["n_observable"].fillna(0) > 0]
    assert {"speeding", "night_ban", "off_route", "offline_displacement"} <= set(judged.index)
    low_p = judged[judged["precision"].fillna(0) < BOUND]
    low_r = judged[judged["recall"].fillna(1) < BOUND]
    assert low_p.empty, f"precision < {BOUND}:\n{low_p}"
    assert low_r.empty, f"recall < {BOUND}:\n{low_r}"


def test_handling_linked_on_simulated_data(
        evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    _, con = evaluated
    status = dict(con.sql("SELECT handling_status, count(*) FROM safety.violations "
                          "GROUP BY ALL").fetchall())
    assert status.get("reminded", 0) + status.get("escalated_safety_dept", 0) > 0
    assert status.get("unhandled", 0) > 0
    months = con.sql("SELECT count(*), sum(n_violations) FROM safety.enterprise_months")\
        .fetchall()[0]
    total = con.sql("SELECT count(*) FROM safety.violations").fetchall()[0][0]
    assert months[0] > 0 and months[1] == total


def _truth_events(sim_dir: Path, extra: list[str]) -> pd.DataFrame:
    """True violations and ADAS/DSM alarms with the warehouse's rule ids and ``extra``."""
    tv = pd.read_csv(sim_dir / "truth" / "violations.csv")
    tv["rule_id"] = _rule_id(tv["rule"], tv["subkind"])
    ta = pd.read_csv(sim_dir / "truth" / "alarms.csv")
    ta["rule_id"] = ta["system"] + "_" + ta["alarm_type"]
    ta["start"], ta["end"] = ta["time"], ta["time"]
    cols = ["vehicle_id", "rule_id", "start", "end", *extra]
    truth = pd.concat([tv[cols], ta[cols]], ignore_index=True)
    truth["s"], truth["e"] = _epoch(truth["start"]), _epoch(truth["end"])
    return truth


def test_driver_on_duty_equals_the_truth(
        sim_dir: Path, evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    """Every detected violation matched to a true event (same vehicle and rule, overlapping)
    carries the driver the truth says the delivered 0x0702 card events show
    (``driver_id_observable``); on the sample that is also the true driver, as no card event
    near a violation was lost. Card swaps happen in stops, so a violation never straddles one.
    The warehouse's sessions are the reported insertions of the truth's sessions."""
    _, con = evaluated
    truth = _truth_events(sim_dir, ["driver_id", "driver_id_observable"])
    det = con.sql("SELECT violation_id, vehicle_id, rule_id, epoch(start_time) AS s, "
                  "epoch(end_time) AS e, driver_id FROM safety.violations").to_df()
    m = det.merge(truth, on=["vehicle_id", "rule_id"], suffixes=("", "_t"))
    m = m[(m["s"] <= m["e_t"]) & (m["s_t"] <= m["e"])]
    assert m["violation_id"].nunique() >= 0.95 * len(det) and len(det) > 50
    got = m["driver_id"].fillna("-")
    assert (got == m["driver_id_observable"].fillna("-")).all(), \
        m[got != m["driver_id_observable"].fillna("-")]
    assert (got == m["driver_id_t"].fillna("-")).all()
    assert m["driver_id"].notna().mean() > 0.9
    sessions = pd.read_csv(sim_dir / "truth" / "driver_sessions.csv")
    n_wh = con.sql("SELECT count(*) FROM safety.driver_sessions").fetchall()[0][0]
    assert n_wh == int(_bool(sessions["in_reported"]).sum()) > 0
    by_driver = dict(con.sql("SELECT driver_id, sum(n_violations) FROM safety.driver_months "
                             "GROUP BY ALL").fetchall())
    want = m.drop_duplicates("violation_id").groupby("driver_id").size().to_dict()
    assert {k: v for k, v in by_driver.items() if k in want} == want


def test_escalation_equals_the_truth(
        sim_dir: Path, evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    """Per detected violation matched to one true event: reminded, escalation due (went on
    after the reminder: still running, or the same rule again within 1 h), escalated,
    escalation failure and dismissed equal the truth's handling columns
    (hazrisk/simulate/truth/handling.py); and the truth has escalations due to find."""
    _, con = evaluated
    flags = ["reminded", "escalation_due", "escalated", "escalation_failure", "dismissed"]
    truth = _truth_events(sim_dir, flags)
    for f in flags:
        truth[f] = _bool(truth[f])
    det = con.sql(
        "SELECT violation_id, vehicle_id, rule_id, epoch(start_time) AS s, epoch(end_time) AS e,"
        " reminded_at IS NOT NULL AS reminded_w, coalesce(escalation_due, false) AS due_w,"
        " escalated_safety_dept_at IS NOT NULL OR escalated_police_at IS NOT NULL AS esc_w,"
        " coalesce(escalation_failure, false) AS fail_w, dismissed_at IS NOT NULL AS dism_w"
        " FROM safety.violations").to_df()
    m = det.merge(truth, on=["vehicle_id", "rule_id"], suffixes=("", "_t"))
    m = m[(m["s"] <= m["e_t"]) & (m["s_t"] <= m["e"])]
    m = m[~m["violation_id"].duplicated(keep=False)]  # one true event each
    assert len(m) > 50
    pairs = {"reminded": "reminded_w", "escalation_due": "due_w", "escalated": "esc_w",
             "escalation_failure": "fail_w", "dismissed": "dism_w"}
    off = {t: int((m[t] != m[w]).sum()) for t, w in pairs.items()}
    # The one difference on the sample (measured 1 of 131, `reminded`): a 0x8300 text sent for
    # a speeding event reaches the platform after an ADAS alarm of the same terminal started;
    # a text names no violation, so the warehouse gives it to the latest violation started
    # before it (safety/README "Handling") and finds the alarm reminded. Escalation due,
    # escalated, failure and dismissed come from the handling log and agree exactly.
    assert off["reminded"] <= 0.02 * len(m), off
    assert {k: v for k, v in off.items() if k != "reminded"} == {
        "escalation_due": 0, "escalated": 0, "escalation_failure": 0, "dismissed": 0}
    assert truth["escalation_due"].sum() > truth["escalation_failure"].sum() > 0


def test_tampering_equals_the_truth(
        sim_dir: Path, evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    """safety.tampering (vehicle x day x kind: reports, reports while moving) equals the
    simulator's expected rows (truth/tampering.csv: antenna cut / short, GNSS fault and
    power-pull episodes it injected, counted over the delivered reports), every kind present."""
    _, con = evaluated
    truth = pd.read_csv(sim_dir / "truth" / "tampering.csv")
    want = sorted((r.vehicle_id, r.day, r.kind, int(r.reports), int(r.moving_reports))
                  for r in truth.itertuples())
    got = sorted((v, d.isoformat(), k, int(n), int(m)) for v, d, k, n, m in con.sql(
        "SELECT vehicle_id, day, kind, reports, moving_reports FROM safety.tampering"
    ).fetchall())
    assert got == want
    assert {"antenna_cut", "antenna_short", "gnss_fault", "power_down",
            "repeated_power_pulls"} <= {w[2] for w in want}


def test_simulated_road_layer_is_complete(
        evaluated: tuple[pd.DataFrame, duckdb.DuckDBPyConnection]) -> None:
    """The simulator's vehicles drive only on the roads it exports (registry/roads.geojson),
    so no fix is on an unknown road: road_unknown_fixes stays 0 and every speeding event has
    a matched road class (the unknown-road rule is pinned by literal scenarios)."""
    _, con = evaluated
    assert con.sql("SELECT sum(road_unknown_fixes) FROM safety.vehicle_days").fetchall()[0][0] == 0
    classes = {r[0] for r in con.sql(
        "SELECT DISTINCT json_extract_string(detail_json, '$.road_class') FROM safety.violations"
        " WHERE rule_id = 'speeding'").fetchall()}
    assert classes and classes <= {"expressway", "other"}
