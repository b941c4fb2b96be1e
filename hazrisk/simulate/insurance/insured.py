"""The insured fleet of :func:`~hazrisk.simulate.insurance.make_insurance`: checked inputs, the
enterprise effect (step 2), the market and each enterprise's insurer by year, the vehicles'
static attributes and device sensitivity (step 4) and their cover (step 1)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hazrisk.simulate.insurance.claims import policy_limit
from hazrisk.simulate.insurance.params import (
    ENTERPRISE_COLUMNS,
    INSURER_NAMES,
    INSURER_SHARES,
    INSURERS_COLUMNS,
    VEHICLE_COLUMNS,
    InsuranceParams,
    hazmat_major_class,
)


def check_columns(df: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}")


def day_offsets(values: pd.Series, origin: np.datetime64) -> np.ndarray:
    """Days since ``origin`` of optional date values (NaN for empty)."""
    d = pd.to_datetime(values, errors="coerce")
    arr = d.to_numpy(dtype="datetime64[D]")
    out = (arr - origin).astype("timedelta64[D]").astype(float)
    out[pd.isna(d).to_numpy()] = np.nan
    return out


@dataclass
class InsuredVehicles:
    """The insured fleet's static arrays (one entry per vehicle, sorted by vehicle id)."""

    veh: pd.DataFrame
    ent: pd.DataFrame
    owner: np.ndarray
    hz: np.ndarray
    major: np.ndarray
    tonnage: np.ndarray
    tanker_i: np.ndarray
    build_year: np.ndarray
    limit: np.ndarray
    sens: np.ndarray
    dsm_false: np.ndarray


def read_inputs(enterprises: pd.DataFrame, vehicles: pd.DataFrame,
            years: Sequence[int]) -> tuple[list[int], pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Checked, id-sorted inputs: ``(years, enterprises, insured vehicles, owner index)``."""
    years = [int(y) for y in years]
    if not years or years != list(range(years[0], years[0] + len(years))):
        raise ValueError(f"years must be consecutive, got {years}")
    check_columns(enterprises, ENTERPRISE_COLUMNS, "enterprises")
    check_columns(vehicles, VEHICLE_COLUMNS, "vehicles")
    ent = enterprises.sort_values("enterprise_id", kind="stable").reset_index(drop=True)
    veh = vehicles
    if "registered" in veh.columns:
        veh = veh[veh["registered"].fillna(False).astype(bool)]
    veh = veh.sort_values("vehicle_id", kind="stable").reset_index(drop=True)
    if ent["enterprise_id"].duplicated().any() or veh["vehicle_id"].duplicated().any():
        raise ValueError("enterprise_id and vehicle_id must be unique")
    ent_index = {e: i for i, e in enumerate(ent["enterprise_id"].astype(str))}
    unknown = set(veh["enterprise_id"].astype(str)) - set(ent_index)
    if unknown:
        raise ValueError(f"vehicles reference unknown enterprises: {sorted(unknown)[:5]}")
    owner = veh["enterprise_id"].astype(str).map(ent_index).to_numpy(dtype=int)
    return years, ent, veh, owner


def enterprise_effect(rng: np.random.Generator, p: InsuranceParams, culture: np.ndarray,
                       owner: np.ndarray, correlated: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """Step 2: ``(u per enterprise, u per vehicle, rho)``."""
    n_ent, nv = len(culture), len(owner)
    rho = p.rho_culture if correlated else 0.0
    z_e = rng.normal(0.0, 1.0, n_ent)
    sigma = p.sigma_enterprise
    u = -sigma * (rho * culture + math.sqrt(1.0 - rho**2) * z_e) - sigma**2 / 2.0
    u_v = u[owner] + (
        rng.normal(-p.sigma_vehicle**2 / 2, p.sigma_vehicle, nv) if p.sigma_vehicle > 0 else 0.0
    )
    return u, u_v, rho


def insurers_by_year(rng: np.random.Generator, p: InsuranceParams, ent: pd.DataFrame,
              insurers: pd.DataFrame | None, n_years: int
              ) -> tuple[pd.DataFrame, list[str], np.ndarray, np.ndarray]:
    """The market and each enterprise's insurer by year (rows = years)."""
    n_ent = len(ent)
    n_ins = int(rng.integers(3, 5))
    if insurers is not None:
        check_columns(insurers, INSURERS_COLUMNS, "insurers")
        ins_table = insurers[list(INSURERS_COLUMNS)].astype(str)
        ins_table = ins_table.drop_duplicates("insurer_id").sort_values("insurer_id")
        ins_table = ins_table.reset_index(drop=True)
        n_ins = len(ins_table)
        shares = np.full(n_ins, 1.0 / n_ins)
    else:
        ins_table = pd.DataFrame(
            {
                "insurer_id": [f"INS{i + 1:02d}" for i in range(n_ins)],
                "name": list(INSURER_NAMES[:n_ins]),
            }
        )
        shares = np.array(INSURER_SHARES[:n_ins]) / sum(INSURER_SHARES[:n_ins])
    ins_ids = ins_table["insurer_id"].tolist()
    ins_factor = rng.uniform(*p.insurer_factor_range, n_ins)
    # insurer of each enterprise by year (rows = years)
    switch = rng.uniform(size=(n_years, n_ent)) < p.p_switch_insurer
    redraw = rng.choice(n_ins, size=(n_years, n_ent), p=shares)
    insurer_by_year = np.zeros((n_years, n_ent), dtype=int)
    if "insurer_id" in ent.columns:
        pos = {i: k for k, i in enumerate(ins_ids)}
        last = ent["insurer_id"].astype(str).map(pos)
        if last.isna().any():
            raise ValueError("enterprises.insurer_id not among the insurers")
        insurer_by_year[-1] = last.to_numpy(dtype=int)
        for t in range(n_years - 2, -1, -1):
            insurer_by_year[t] = np.where(switch[t + 1], redraw[t], insurer_by_year[t + 1])
    else:
        insurer_by_year[0] = redraw[0]
        for t in range(1, n_years):
            insurer_by_year[t] = np.where(switch[t], redraw[t], insurer_by_year[t - 1])
    return ins_table, ins_ids, ins_factor, insurer_by_year


def vehicle_statics(rng: np.random.Generator, p: InsuranceParams, veh: pd.DataFrame,
             ent: pd.DataFrame, owner: np.ndarray) -> InsuredVehicles:
    """Class, tonnage, tanker, build year, limit and DSM device sensitivity of each vehicle."""
    nv = len(veh)
    hz = veh["hazmat_class"].astype(str).to_numpy()
    major = np.array([hazmat_major_class(h) for h in hz], dtype=int)
    tonnage = veh["tonnage_t"].to_numpy(dtype=float)
    tanker_draw = rng.uniform(size=nv) < np.where(np.isin(major, [2, 3, 8]), 0.85, 0.20)
    if "tanker" in veh.columns:
        tanker = veh["tanker"].fillna(False).astype(bool).to_numpy()
    elif "vehicle_type" in veh.columns:
        vt = veh["vehicle_type"].fillna("").astype(str)
        tanker = (vt.str.contains("罐") | vt.str.lower().str.contains("tank")).to_numpy()
    else:
        tanker = tanker_draw
    tanker_i = tanker.astype(int)
    build_year = (pd.to_numeric(veh["build_year"], errors="coerce").to_numpy(float)
                  if "build_year" in veh.columns else np.full(nv, np.nan))
    limit = policy_limit(major, tonnage, p.limit_multiplier)
    if "maker_id" in veh.columns:
        mk_codes, mk_uniq = pd.factorize(veh["maker_id"].astype(str), sort=True)
        n_mk = len(mk_uniq)
    else:
        mk_codes, n_mk = np.arange(nv), nv
    s_m = p.sensitivity_maker_sd
    s_d = p.sensitivity_device_sd
    sens = np.exp(rng.normal(-(s_m**2) / 2, s_m, n_mk))[mk_codes] * np.exp(
        rng.normal(-(s_d**2) / 2, s_d, nv)
    )
    false_share = rng.uniform(*p.dsm_false_share, n_mk)[mk_codes]
    dsm_false = false_share / (1.0 - false_share) * sens * p.dsm_ref_per_1000km
    return InsuredVehicles(veh, ent, owner, hz, major, tonnage, tanker_i, build_year, limit, sens,
                     dsm_false)


def cover_days(rng: np.random.Generator, p: InsuranceParams, veh: pd.DataFrame,
           origin: np.datetime64, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Step 1: first and last covered day of each vehicle (days since ``origin``)."""
    nv = len(veh)
    # random join/leave unless the registry says when the vehicle was in service
    joins_late = rng.uniform(size=nv) < p.p_join_during
    join = np.where(joins_late, np.floor(rng.uniform(size=nv) * window), 0.0)
    leaves = rng.uniform(size=nv) < p.p_leave
    leave_at = join + np.floor(rng.uniform(size=nv) * (window - join))
    leave = np.where(leaves, leave_at, window - 1.0)
    if "valid_from" in veh.columns:
        vf = day_offsets(veh["valid_from"], origin)
        join = np.where(np.isnan(vf), 0.0, np.maximum(vf, 0.0))
    if "valid_to" in veh.columns:
        vt_ = day_offsets(veh["valid_to"], origin)
        leave = np.where(np.isnan(vt_), window - 1.0, np.minimum(vt_, window - 1.0))
    return join, leave
