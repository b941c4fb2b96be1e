"""The archived vehicle-month safety history an existing platform would export (``history/``).

``OUT/history/vehicle_months.csv`` (README "Vehicle-month history files", the contract
``hazrisk history import`` reads) holds one row per vehicle and Beijing month:

* for every month of the **policy years** (the insurance book before the simulated days), drawn
  from the same per-vehicle-year behaviour that drives the claims
  (``truth/vehicle_years.parquet``: km, true speeding/fatigue/DSM rates, night and offline
  shares of that year);
* for the **simulated month(s)**, covering the simulated days only, drawn from the long-run
  behaviour rates that drive the simulated trips (``truth/vehicles.csv``) on the km those trips
  really drove (``truth/vehicle_days.csv``), so a test can hold it against what ``detect``
  finds on the dumps.

Counts use ``detect``'s definitions: each rule's expected events per online km are the latent
rate times a **detection factor** (:data:`FACTORS`): the share of the trip generator's episodes
that ``detect`` sees as events (e.g. a speeding burst shorter than 30 s is no event), measured
once on a calibration simulation (300 vehicles x 5 days, seed 1, independent of the sample) as
``sum(detected events) / sum(latent rate x km)`` -- the Poisson MLE of a proportional model.
Counts are Poisson on the online km ``km * (1 - offline_share)``; monthly km vary around the
year's km by a lognormal month factor (sd 0.15, an assumption). Handling figures are binomial
on the violations with the calibration fleet's shares. ``truth/history_model.json`` records
every factor and assumption.

Fatigue is modelled with the km driven per day (:data:`FATIGUE_MODEL`): a > 4 h stretch needs
a long driving day. Fatigue (also the enterprise's lanes and loading stops), off-route (its
approved fences) and offline displacement (where outages fall) are no per-km rates in the trip
generator, so a rate model agrees with ``detect`` only over a fleet like the calibration one
(another fleet: 18 detected vs 51 modelled fatigue events). For the **simulated months** these
three counts (:data:`TRUTH_COUNTED`) are therefore the simulator's own events: the violations
its rules -- the same ``conf/rules.toml`` definitions ``detect`` applies -- found on the true
track (``truth/violations.csv``), those a terminal reported (``observable``), counted by the
Beijing month of their start. The policy years (no trips simulated) keep the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazrisk.simulate.fleet.actors import Fleet
from hazrisk.simulate.rng import rng_for

#: README "Vehicle-month history files" columns, in order.
HISTORY_COLUMNS: tuple[str, ...] = (
    "vehicle_id", "month", "enterprise_id", "provider_id", "days_registered", "days_online",
    "km", "driving_h", "night_km", "night_km_share", "offline_min", "offline_share",
    "positions", "positions_qualified", "drift_points", "data_quality_rate",
    "n_speeding", "n_fatigue", "n_night_ban", "n_off_route", "n_offline_displacement",
    "n_adas", "n_dsm", "n_violations", "n_reminded", "n_handled", "n_escalated",
    "median_time_to_reminder_s",
)

#: Detection factors and shares measured on the calibration simulation (module docstring):
#: events per online km = factor x latent rate (per 100 km for speeding, per 1,000 km else).
FACTORS: dict[str, float] = {
    "speeding": 0.804,         # x speeding_rate / 100 km
    "night_ban": 7.07,         # x night_share / 1,000 km
    "off_route": 18.5,         # x offroute_rate / 1,000 km
    "offline_displacement": 84.9,  # x measured offline share / 1,000 km
    "dsm": 0.980,              # x (dsm_rate + DSM_FALSE) / 1,000 km
    "adas": 0.915,             # x (0.4 + 1.5 speeding_rate + ADAS_FALSE) / 1,000 km
    "night_km": 0.913,         # night km share = factor x night_share (capped at 1)
    "offline": 0.200,          # measured offline share = factor x offline_share (capped at 1)
    "speed_kmh": 70.8,         # km / driving hour
    "drift": 0.0010,           # drift fixes = factor x provider p_drift x positions
    "bad_fix": 0.747,          # unqualified fixes = factor x provider's fix-fault rates
    "reminded": 0.538,         # share of violations reminded
    "handled_extra": 0.0244,   # share of the unreminded otherwise handled
    "escalated": 0.188,        # share of the handled escalated
    "reminder_median_s": 163.0,  # median time to reminder
}
#: Fatigue is no per-km rate in the trip generator: a > 4 h stretch (or > 8 h a day) needs a
#: long driving day, so events per online km grow with the km driven per calendar day. Poisson
#: log-linear fit on the calibration fleet (standard errors 0.13 / 0.26 / 0.15):
#: events = exp(const) x online km / 1,000 x (km per day / 200)^b x (fatigue_rate / 0.5)^a.
FATIGUE_MODEL: dict[str, float] = {"const": -1.168, "km_per_day_elasticity": 1.30,
                                   "rate_elasticity": 0.37, "km_per_day_ref": 200.0,
                                   "rate_ref": 0.5}
#: False alarms of the trip generator (events.make_alarms: 0.5 / 1,000 km split evenly).
DSM_FALSE = 0.25
ADAS_FALSE = 0.25
MONTH_KM_SD = 0.15
#: Archive columns of the simulated months counted from ``truth/violations.csv`` (rule name).
TRUTH_COUNTED: dict[str, str] = {"n_fatigue": "fatigue", "n_off_route": "off_route",
                                 "n_offline_displacement": "offline_displacement"}


def _months(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[pd.Timestamp, int]]:
    """(first day of month, covered days) for the days [start, end] inclusive."""
    out: list[tuple[pd.Timestamp, int]] = []
    m = start.replace(day=1)
    while m <= end:
        nxt = m + pd.offsets.MonthBegin(1)
        a, b = max(m, start), min(nxt - pd.Timedelta(days=1), end)
        out.append((m, int((b - a).days) + 1))
        m = nxt
    return out


def fatigue_mean(rate: np.ndarray, km: np.ndarray, days: np.ndarray,
                 online_km: np.ndarray) -> np.ndarray:
    """Expected fatigue events (:data:`FATIGUE_MODEL`) of vehicle-months."""
    m = FATIGUE_MODEL
    per_day = np.maximum(km / np.maximum(days, 1.0), 1e-9) / m["km_per_day_ref"]
    return np.asarray(np.exp(m["const"]) * online_km / 1000.0
                      * per_day ** m["km_per_day_elasticity"]
                      * (np.maximum(rate, 1e-9) / m["rate_ref"]) ** m["rate_elasticity"])


def _rows(rng: np.random.Generator, base: pd.DataFrame, km: np.ndarray,
          days: np.ndarray, counted: pd.DataFrame | None = None) -> pd.DataFrame:
    """Measures of vehicle-months with latent rates (``base``), km and covered days;
    ``counted`` (columns of :data:`TRUTH_COUNTED`, same rows) replaces the modelled counts."""
    f = FACTORS
    n = len(base)
    offline = np.clip(f["offline"] * base["offline_share"].to_numpy(float), 0.0, 1.0)
    night = np.clip(f["night_km"] * base["night_share"].to_numpy(float), 0.0, 1.0)
    online_km = km * (1.0 - offline)
    speeding = base["speeding_rate"].to_numpy(float)
    lam = {
        "n_speeding": f["speeding"] * speeding * online_km / 100.0,
        "n_fatigue": fatigue_mean(base["fatigue_rate"].to_numpy(float), km, days, online_km),
        "n_night_ban": f["night_ban"] * night * online_km / 1000.0,
        "n_off_route": f["off_route"] * base["offroute_rate"].to_numpy(float) * online_km / 1000.0,
        "n_offline_displacement": f["offline_displacement"] * offline * online_km / 1000.0,
        "n_adas": f["adas"] * (0.4 + 1.5 * speeding + ADAS_FALSE) * online_km / 1000.0,
        "n_dsm": f["dsm"] * (base["dsm_rate"].to_numpy(float) + DSM_FALSE) * online_km / 1000.0,
    }
    out = pd.DataFrame({k: rng.poisson(v) for k, v in lam.items()})
    if counted is not None:
        for col in TRUTH_COUNTED:
            out[col] = counted[col].to_numpy(np.int64)
    n_viol = out.sum(axis=1).to_numpy()
    reminded = rng.binomial(n_viol, f["reminded"])
    handled = reminded + rng.binomial(n_viol - reminded, f["handled_extra"])
    escalated = rng.binomial(handled, f["escalated"])
    med = np.exp(np.log(f["reminder_median_s"]) + 0.5 * rng.standard_normal(n))
    driving_h = km / f["speed_kmh"]
    online_s = (1.0 - offline) * days * 86400.0
    moving_s = np.minimum(driving_h * 3600.0, online_s)
    positions = np.round(moving_s / base["moving_interval_s"].to_numpy(float)
                         + (online_s - moving_s) / base["parked_interval_s"].to_numpy(float))
    positions = positions.astype(np.int64)
    drift = rng.binomial(positions, f["drift"] * base["p_drift"].to_numpy(float))
    bad = rng.binomial(positions - drift, f["bad_fix"] * base["p_bad_fix"].to_numpy(float))
    qualified = positions - drift - bad
    return pd.DataFrame({
        "days_registered": days.astype(int), "days_online": days.astype(int),
        "km": np.round(km, 3), "driving_h": np.round(driving_h, 3),
        "night_km": np.round(km * night, 3), "night_km_share": np.round(night, 6),
        "offline_min": np.round(offline * days * 1440.0, 1),
        "offline_share": np.round(offline, 6),
        "positions": positions, "positions_qualified": qualified, "drift_points": drift,
        "data_quality_rate": np.round(np.where(positions > 0, qualified / np.maximum(positions, 1),
                                               np.nan), 6),
        **{c: out[c].to_numpy() for c in out.columns},
        "n_violations": n_viol, "n_reminded": reminded, "n_handled": handled,
        "n_escalated": escalated,
        "median_time_to_reminder_s": np.where(reminded > 0, np.round(med, 1), np.nan),
    })


def _vehicle_frame(fleet: Fleet) -> pd.DataFrame:
    """Per registered vehicle: latent rates, reporting intervals, provider's fix faults."""
    veh = fleet.vehicles[fleet.vehicles["registered"].astype(bool)].copy()
    prov = {p.provider_id: p for p in fleet.providers}
    veh["p_drift"] = [prov[p].p_drift for p in veh["provider_id"]]
    veh["p_bad_fix"] = [prov[p].p_invalid_bcd + prov[p].p_lat_out_of_range
                        + prov[p].p_future_time + prov[p].p_speed_out_of_range
                        for p in veh["provider_id"]]
    return veh.set_index("vehicle_id", drop=False)


def truth_counts(violations: pd.DataFrame) -> pd.DataFrame:
    """Per vehicle and Beijing month: the observable events of :data:`TRUTH_COUNTED`'s rules."""
    v = violations[violations["observable"].astype(str) == "True"]
    v = v[v["rule"].isin(list(TRUTH_COUNTED.values()))]
    counts = (v.assign(month=v["start"].astype(str).str[:7])
              .groupby(["vehicle_id", "month", "rule"]).size().unstack("rule"))
    counts = counts.reindex(columns=list(TRUTH_COUNTED.values()), fill_value=0).fillna(0)
    return counts.rename(columns={r: c for c, r in TRUTH_COUNTED.items()}).astype(np.int64)


def archive_frame(fleet: Fleet, vehicle_years: pd.DataFrame, true_days: pd.DataFrame,
                  seed: int, violations: pd.DataFrame | None = None) -> pd.DataFrame:
    """The archive rows: policy-year months, then the simulated month(s).

    Parameters
    ----------
    fleet : the simulated fleet (latent long-run rates, providers).
    vehicle_years : ``InsuranceResult.vehicle_years`` (per policy year: dates, km, true rates).
    true_days : ``truth/vehicle_days.csv`` rows (``vehicle_id, date, complete_km``).
    seed : the simulation seed (stream ``"history"``).
    violations : ``truth/violations.csv`` rows (``vehicle_id, rule, start, observable``); the
        simulated months' :data:`TRUTH_COUNTED` counts (none when omitted: zero events).
    """
    rng = rng_for(seed, "history")
    veh = _vehicle_frame(fleet)
    parts: list[pd.DataFrame] = []
    # policy years: split each vehicle-year's km over its covered months
    vy = vehicle_years[vehicle_years["vehicle_id"].isin(veh.index)]
    keys: list[tuple[int, pd.Timestamp, int]] = []
    for i, (s, e) in enumerate(zip(vy["start_date"], vy["end_date"], strict=True)):
        keys.extend((i, m, d) for m, d in _months(pd.Timestamp(s), pd.Timestamp(e)))
    if keys:
        idx = np.array([k[0] for k in keys])
        days = np.array([k[2] for k in keys], dtype=float)
        rows = vy.iloc[idx].reset_index(drop=True)
        total_days = ((pd.to_datetime(rows["end_date"]) - pd.to_datetime(rows["start_date"]))
                      .dt.days.to_numpy() + 1.0)
        month_f = np.exp(rng.normal(-MONTH_KM_SD**2 / 2, MONTH_KM_SD, len(rows)))
        km = rows["km"].to_numpy(float) * days / total_days * month_f
        v = veh.loc[rows["vehicle_id"]].reset_index(drop=True)
        base = pd.DataFrame({
            "speeding_rate": rows["speeding_per_100km_true"].to_numpy(float),
            "fatigue_rate": rows["fatigue_per_1000km_true"].to_numpy(float),
            "dsm_rate": rows["dsm_per_1000km_true"].to_numpy(float),
            "night_share": rows["night_share_true"].to_numpy(float),
            "offline_share": rows["offline_share"].to_numpy(float),
            **{c: v[c].to_numpy() for c in ("offroute_rate", "moving_interval_s",
                                            "parked_interval_s", "p_drift", "p_bad_fix")},
        })
        part = _rows(rng, base, km, days)
        part.insert(0, "vehicle_id", rows["vehicle_id"].to_numpy())
        part.insert(1, "month", [k[1].strftime("%Y-%m") for k in keys])
        part.insert(2, "enterprise_id", rows["enterprise_id"].to_numpy())
        part.insert(3, "provider_id", v["provider_id"].to_numpy())
        parts.append(part)
    # simulated month(s): the simulated days, the km really driven, the long-run rates
    td = true_days[true_days["vehicle_id"].isin(veh.index)].copy()
    td["month"] = td["date"].astype(str).str[:7]
    g = td.groupby(["vehicle_id", "month"], sort=True).agg(
        km=("complete_km", "sum"), days=("date", "nunique")).reset_index()
    if len(g):
        v = veh.loc[g["vehicle_id"]].reset_index(drop=True)
        tc = truth_counts(violations if violations is not None else pd.DataFrame(
            columns=["vehicle_id", "rule", "start", "observable"]))
        counted = (g.set_index(["vehicle_id", "month"]).join(tc).fillna(0)
                   .reset_index(drop=True))
        part = _rows(rng, v, g["km"].to_numpy(float), g["days"].to_numpy(float), counted)
        part.insert(0, "vehicle_id", g["vehicle_id"].to_numpy())
        part.insert(1, "month", g["month"].to_numpy())
        part.insert(2, "enterprise_id", v["enterprise_id"].to_numpy())
        part.insert(3, "provider_id", v["provider_id"].to_numpy())
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    out = pd.concat(parts, ignore_index=True)[list(HISTORY_COLUMNS)]
    return out.sort_values(["month", "vehicle_id"], kind="stable").reset_index(drop=True)


def write_history(out: Path, fleet: Fleet, vehicle_years: pd.DataFrame | None,
                  seed: int) -> Path:
    """Write ``history/vehicle_months.csv`` and ``truth/history_model.json`` (no policy-year
    months when there is no insurance book)."""
    true_days = pd.read_csv(out / "truth" / "vehicle_days.csv", dtype={"vehicle_id": str})
    if vehicle_years is None:
        vehicle_years = pd.DataFrame(columns=["vehicle_id", "start_date", "end_date"])
    violations = pd.read_csv(out / "truth" / "violations.csv", dtype=str,
                             usecols=["vehicle_id", "rule", "start", "observable"])
    frame = archive_frame(fleet, vehicle_years, true_days, seed, violations)
    (out / "history").mkdir(parents=True, exist_ok=True)
    path = out / "history" / "vehicle_months.csv"
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    model: dict[str, Any] = {
        "description": (
            "Archived vehicle-month history (history/vehicle_months.csv): policy-year months "
            "from truth/vehicle_years.parquet (the behaviour that drives the claims), simulated "
            "months from the long-run rates on the km really driven (truth/vehicle_days.csv). "
            "Counts ~ Poisson(factor x latent rate x km x (1 - offline share))."),
        "factors": FACTORS,
        "fatigue_model": FATIGUE_MODEL,
        "false_alarms_per_1000km": {"dsm": DSM_FALSE, "adas": ADAS_FALSE},
        "simulated_months_counted_from_truth": {
            c: f"observable '{r}' events of truth/violations.csv (conf/rules.toml definitions)"
            for c, r in TRUTH_COUNTED.items()},
        "month_km_lognormal_sd": MONTH_KM_SD,
        "calibration": "300 vehicles x 5 days from 2026-10-01, seed 1: sum(detected) / "
                       "sum(latent rate x km)",
        "days_online": "equal to the covered days (terminals report while parked)",
    }
    (out / "truth" / "history_model.json").write_text(
        json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


__all__ = ["FACTORS", "FATIGUE_MODEL", "HISTORY_COLUMNS", "TRUTH_COUNTED", "archive_frame",
           "fatigue_mean", "truth_counts", "write_history"]
