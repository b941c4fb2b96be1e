"""Measure the archive's detection factors (hazrisk.simulate.insurance.history.FACTORS) on a simulated
folder whose dumps were ingested and detected: ``sum(detected) / sum(latent rate x km)`` per
rule over the registered, online vehicles (the Poisson MLE of a proportional model)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from hazrisk.simulate.insurance.history import ADAS_FALSE, DSM_FALSE


def vehicle_frame(con: duckdb.DuckDBPyConnection, sim_dir: Path) -> pd.DataFrame:
    """Detected vehicle-month sums joined to the latent rates and the true km."""
    det = con.sql("SELECT vehicle_id, sum(km) AS km_det, sum(driving_h) AS driving_h, "
                  "sum(night_km) AS night_km, sum(offline_min) AS offline_min, "
                  "sum(days_covered) AS days, sum(n_speeding) AS n_speeding, "
                  "sum(n_fatigue) AS n_fatigue, sum(n_night_ban) AS n_night_ban, "
                  "sum(n_off_route) AS n_off_route, "
                  "sum(n_offline_displacement) AS n_offline_displacement, "
                  "sum(n_adas) AS n_adas, sum(n_dsm) AS n_dsm, "
                  "sum(n_violations) AS n_violations, sum(n_reminded) AS n_reminded, "
                  "sum(n_handled) AS n_handled, sum(n_escalated) AS n_escalated "
                  "FROM safety.vehicle_months WHERE source = 'detected' GROUP BY ALL").to_df()
    veh = pd.read_csv(sim_dir / "truth" / "vehicles.csv", dtype={"vehicle_id": str})
    veh = veh[veh["registered"].astype(bool)]
    days = pd.read_csv(sim_dir / "truth" / "vehicle_days.csv", dtype={"vehicle_id": str})
    km = days.groupby("vehicle_id")["complete_km"].sum().rename("km")
    out = veh.merge(det, on="vehicle_id").merge(km, left_on="vehicle_id", right_index=True)
    return out[out["km"] > 0]


def measure(frame: pd.DataFrame) -> dict[str, float]:
    f = frame
    f_off = (f["offline_min"].sum() / (f["days"] * 1440 * f["offline_share"]).sum())
    offline = np.clip(f_off * f["offline_share"], 0.0, 1.0)
    online = f["km"] * (1 - offline)
    sp = f["speeding_rate"]
    ratio = {
        "speeding": f["n_speeding"].sum() / (sp * online / 100).sum(),
        "night_ban": f["n_night_ban"].sum() / (f["night_share"] * online / 1000).sum(),
        "off_route": f["n_off_route"].sum() / (f["offroute_rate"] * online / 1000).sum(),
        "offline_displacement": f["n_offline_displacement"].sum()
        / (offline * online / 1000).sum(),
        "dsm": f["n_dsm"].sum() / ((f["dsm_rate"] + DSM_FALSE) * online / 1000).sum(),
        "adas": f["n_adas"].sum() / ((0.4 + 1.5 * sp + ADAS_FALSE) * online / 1000).sum(),
        "night_km": f["night_km"].sum() / (f["night_share"] * f["km_det"]).sum(),
        "offline": f_off,
        "speed_kmh": f["km_det"].sum() / f["driving_h"].sum(),
        "reminded": f["n_reminded"].sum() / f["n_violations"].sum(),
        "handled_extra": (f["n_handled"] - f["n_reminded"]).sum()
        / (f["n_violations"] - f["n_reminded"]).sum(),
        "escalated": f["n_escalated"].sum() / f["n_handled"].sum(),
        "km_detected_over_true": f["km_det"].sum() / f["km"].sum(),
    }
    ratio.update(fit_fatigue(f["n_fatigue"].to_numpy(float), f["fatigue_rate"].to_numpy(float),
                             f["km"].to_numpy(float), f["days"].to_numpy(float),
                             online.to_numpy(float)))
    return {k: float(np.round(v, 4)) for k, v in ratio.items()}


def fit_fatigue(n: np.ndarray, rate: np.ndarray, km: np.ndarray, days: np.ndarray,
                online_km: np.ndarray) -> dict[str, float]:
    """Poisson maximum likelihood of FATIGUE_MODEL's three parameters."""
    from scipy.optimize import minimize

    x1 = np.log(km / days / 200.0)
    x2 = np.log(rate / 0.5)
    off = np.log(online_km / 1000.0)

    def nll(b: np.ndarray) -> float:
        eta = off + b[0] + b[1] * x1 + b[2] * x2
        return float(np.sum(np.exp(eta) - n * eta))

    b = minimize(nll, np.zeros(3), method="BFGS").x
    return {"fatigue_const": b[0], "fatigue_km_per_day_elasticity": b[1],
            "fatigue_rate_elasticity": b[2]}
