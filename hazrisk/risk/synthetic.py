"""Load a simulated insurance book straight into a warehouse (no dumps, no detection).

The full path is ``simulate -> registry import -> ingest -> detect -> history import``; this
shortcut writes the same tables from :func:`hazrisk.simulate.insurance.make_insurance_book`
so a notebook, a statistical test or the benchmark can work on thousands of vehicle-years in
seconds: ``core.enterprises``, ``core.vehicles``, ``core.policies``, ``core.claims`` (with a
``report_date``) and ``safety.vehicle_months`` (``source = 'archive'``; the table of
:mod:`hazrisk.safety`). Each vehicle-year's observed telematics (what the simulator's measurement layer
reports) is spread over the policy's months in proportion to days; yearly totals are exact.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from hazrisk.risk.features import read_sql
from hazrisk.safety.tables import ensure_schema
from hazrisk.simulate.insurance import InsuranceResult


def _split(total: np.ndarray, cum_share_prev: np.ndarray, cum_share: np.ndarray) -> np.ndarray:
    """Integer shares of ``total`` by cumulative fractions (exact totals)."""
    return np.floor(total * cum_share + 1e-9) - np.floor(total * cum_share_prev + 1e-9)


def vehicle_months(res: InsuranceResult, *, random_state: int = 0) -> pd.DataFrame:
    """The book's observed telematics as vehicle-months (the archive contract)."""
    rng = np.random.default_rng(random_state)
    vy = res.vehicle_years.reset_index(drop=True)
    start = pd.to_datetime(vy["start_date"]).to_numpy("datetime64[D]")
    end = pd.to_datetime(vy["end_date"]).to_numpy("datetime64[D]")
    rows, months, days = [], [], []
    for m in range(1, 13):
        m0 = np.array([np.datetime64(f"{y}-{m:02d}-01") for y in vy["year"]], dtype="datetime64[D]")
        m1 = (m0.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1
        d = (np.minimum(end, m1) - np.maximum(start, m0)).astype(int) + 1
        ok = np.flatnonzero(d > 0)
        rows.append(ok)
        months.append(m0[ok])
        days.append(d[ok])
    idx = np.concatenate(rows)
    month = np.concatenate(months)
    dd = np.concatenate(days).astype(float)
    order = np.lexsort((month, idx))
    idx, month, dd = idx[order], month[order], dd[order]
    tot_days = np.bincount(idx, weights=dd, minlength=len(vy))[idx]
    cum = pd.Series(dd).groupby(idx).cumsum().to_numpy()  # within each vehicle-year
    c1 = cum / tot_days
    c0 = (cum - dd) / tot_days
    km_y = vy["km"].to_numpy(float)
    off = vy["offline_share"].to_numpy(float)
    share = dd / tot_days
    km = km_y[idx] * share
    counts = {
        "n_speeding": np.rint(vy["speeding_per_100km_obs"].to_numpy(float) * km_y / 100.0),
        "n_fatigue": np.rint(vy["fatigue_per_1000km_obs"].to_numpy(float) * km_y / 1000.0),
        "dsm_all": np.rint(vy["dsm_per_1000km_obs"].to_numpy(float) * km_y / 1000.0),
    }
    split = {k: _split(v[idx], c0, c1) for k, v in counts.items()}
    n_adas = rng.binomial(split["dsm_all"].astype(int), 0.4)
    n_dsm = split["dsm_all"] - n_adas
    online_km = km * (1.0 - off[idx])
    n_night_ban = rng.poisson(online_km / 1000.0 * 0.05)
    n_off_route = rng.poisson(online_km / 1000.0 * 0.10)
    n_viol = split["n_speeding"] + split["n_fatigue"] + n_night_ban + n_off_route + n_adas + n_dsm
    n_rem = rng.binomial(n_viol.astype(int), 0.8)
    positions = np.rint(dd * 1440.0 * (1.0 - off[idx]) / 2.0)
    out = pd.DataFrame({
        "vehicle_id": vy["vehicle_id"].to_numpy()[idx],
        "month": month,
        "enterprise_id": vy["enterprise_id"].to_numpy()[idx],
        "provider_id": "P" + pd.Series(vy["enterprise_id"].to_numpy()[idx]).str[-1].to_numpy(),
        "source": "archive",
        "source_file": "synthetic",
        "days_registered": dd.astype(int),
        "days_online": np.rint(dd * (1.0 - off[idx] / 2)).astype(int),
        "km": km,
        "driving_h": km / 55.0,
        "night_km": km * vy["night_share_obs"].to_numpy(float)[idx],
        "night_km_share": vy["night_share_obs"].to_numpy(float)[idx],
        "offline_min": dd * 1440.0 * off[idx],
        "offline_share": off[idx],
        "positions": positions.astype(np.int64),
        "positions_qualified": np.rint(positions * 0.985).astype(np.int64),
        "drift_points": np.rint(positions * 0.002).astype(np.int64),
        "data_quality_rate": 0.985,
        "n_speeding": split["n_speeding"].astype(int),
        "n_fatigue": split["n_fatigue"].astype(int),
        "n_night_ban": n_night_ban.astype(int),
        "n_off_route": n_off_route.astype(int),
        "n_offline_displacement": 0,
        "n_adas": n_adas.astype(int),
        "n_dsm": n_dsm.astype(int),
        "n_violations": n_viol.astype(int),
        "n_reminded": n_rem.astype(int),
        "n_handled": n_rem.astype(int),
        "n_escalated": rng.binomial(n_viol.astype(int), 0.05).astype(int),
        "median_time_to_reminder_s": np.where(n_rem > 0, rng.gamma(4.0, 30.0, len(idx)), np.nan),
        "computed_at": pd.Timestamp("2026-01-01", tz="UTC"),
    })
    return out


def load_book(con: duckdb.DuckDBPyConnection, res: InsuranceResult, *, random_state: int = 0,
              report_delay_days: float = 45.0) -> None:
    """Write ``res`` into the warehouse ``con`` (schema created by ``store.connect``).

    Claims keep the simulator's ``report_date`` (books without one get ``loss_date +
    Exponential(report_delay_days)`` days).
    """
    rng = np.random.default_rng(random_state + 1)
    if res.enterprises is None or res.vehicles is None:
        raise ValueError("load_book needs a book from make_insurance_book (enterprises, vehicles)")
    con.execute("ALTER TABLE core.claims ADD COLUMN IF NOT EXISTS report_date DATE")
    ensure_schema(con)
    ent = res.enterprises.assign(import_id=0, source_row=np.arange(len(res.enterprises)) + 2)
    veh = res.vehicles.assign(import_id=0, source_row=np.arange(len(res.vehicles)) + 2)
    pol = res.policies.assign(import_id=0, source_row=np.arange(len(res.policies)) + 2)
    clm = res.claims.assign(import_id=0, source_row=np.arange(len(res.claims)) + 2)
    if "report_date" not in clm.columns:  # books drawn before the simulator had delays
        delay = np.floor(rng.exponential(report_delay_days, len(clm))).astype(int)
        clm["report_date"] = (pd.to_datetime(clm["loss_date"])
                              + pd.to_timedelta(delay, "D")).dt.date
    vm = vehicle_months(res, random_state=random_state)
    frames = {"_risk_ent": ent, "_risk_veh": veh, "_risk_pol": pol, "_risk_clm": clm,
              "_risk_vm": vm}
    for name, df in frames.items():
        con.register(name, df)
    try:
        con.execute(read_sql("load_book"))
    finally:
        for name in frames:
            con.unregister(name)
