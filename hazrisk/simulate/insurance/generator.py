"""The claims generator (:func:`make_insurance`): a fleet in, policies and claims with a
known generating process out (steps 1-7 of the package docstring)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from hazrisk.simulate.insurance.claims import (
    capped_gamma_mean,
    capped_pareto_mean,
    draw_claims,
    iso_dates,
    ncd_step,
    vehicle_age,
)
from hazrisk.simulate.insurance.claims_model import truth_dict
from hazrisk.simulate.insurance.insured import (
    InsuredVehicles,
    cover_days,
    enterprise_effect,
    insurers_by_year,
    read_inputs,
    vehicle_statics,
)
from hazrisk.simulate.insurance.params import (
    DEFAULT_YEARS,
    POLICIES_COLUMNS,
    InsuranceParams,
)
from hazrisk.simulate.insurance.result import InsuranceResult
from hazrisk.simulate.insurance.truth import FeatureSpec


@dataclass
class _Book:
    """What every policy year of :func:`make_insurance` reads."""

    v: InsuredVehicles
    years: list[int]
    origin: np.datetime64
    join: np.ndarray
    leave: np.ndarray
    base: dict[str, np.ndarray]
    night_base: np.ndarray
    offline_base: np.ndarray
    km_base: np.ndarray
    culture: np.ndarray
    u: np.ndarray
    u_v: np.ndarray
    specs: list[FeatureSpec]
    cls_eff: np.ndarray
    tariff: np.ndarray
    loading: np.ndarray
    ins_ids: list[str]
    ins_factor: np.ndarray
    insurer_by_year: np.ndarray

    @property
    def nv(self) -> int:
        return len(self.v.veh)


def _specs(p: InsuranceParams, v: InsuredVehicles) -> list[FeatureSpec]:
    """The frequency features of this fleet: vehicle age only when a build year is known (a
    fleet without any has no age term, and its truth does not list one)."""
    has_age = bool(np.isfinite(v.build_year).any())
    return [s for s in p.feature_specs() if s.name != "vehicle_age" or has_age]


def _eta(p: InsuranceParams, b: _Book, cols: Mapping[str, np.ndarray], year: int) -> np.ndarray:
    """The true linear predictor (step 5) of every vehicle."""
    eta = np.full(b.nv, p.intercept + p.year_effects.get(year, 0.0))
    for spec in b.specs:
        eta = eta + spec.coef * spec.apply(cols[spec.true_column])
    return np.asarray(eta + b.u_v)


def _behaviour_base(veh: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray,
                                                np.ndarray]:
    """Long-run rates, night and offline shares (clipped off 0 and 1) and km/yr."""
    base = {
        "speeding": veh["speeding_rate"].to_numpy(float),
        "fatigue": veh["fatigue_rate"].to_numpy(float),
        "dsm": veh["dsm_rate"].to_numpy(float),
    }
    eps = 1e-4
    night_base = np.clip(veh["night_share"].to_numpy(float), eps, 1 - eps)
    offline_base = np.clip(veh["offline_share"].to_numpy(float), eps, 1 - eps)
    km_base = veh["annual_km"].to_numpy(float)
    if (km_base <= 0).any() or min(v.min(initial=0.0) for v in base.values()) < 0:
        raise ValueError("annual_km must be > 0 and behaviour rates >= 0")
    return base, night_base, offline_base, km_base


def _ncd_prehistory(rng_c: np.random.Generator, p: InsuranceParams, b: _Book) -> np.ndarray:
    """Step 7: NCD level at the first year from claims drawn for the years before it."""
    base_cols = {
        "km_per_year": b.km_base,
        "speeding_per_100km_true": b.base["speeding"],
        "fatigue_per_1000km_true": b.base["fatigue"],
        "night_share_true": b.night_base,
        "dsm_per_1000km_true": b.base["dsm"],
        "offline_share": b.offline_base,
        "tanker": b.v.tanker_i.astype(float),
        "vehicle_age": vehicle_age(b.years[0], b.v.build_year),
    }
    freq_base = np.exp(_eta(p, b, base_cols, b.years[0]))
    ncd_level = np.zeros(b.nv, dtype=int)  # index into ncd_factors is level + 4
    prior = rng_c.poisson(np.repeat(freq_base[:, None], p.ncd_prehistory_years, axis=1))
    for k in range(p.ncd_prehistory_years):
        ncd_level = ncd_step(ncd_level, prior[:, k])
    return np.asarray(np.where(b.join > 0, 0, ncd_level))


def _policy_year(rng: np.random.Generator, rng_c: np.random.Generator, p: InsuranceParams,
                 b: _Book, t: int, year: int, ncd_level: np.ndarray
                 ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Steps 3-7 for one policy year: ``(vehicle-year rows, claims per vehicle, active)``."""
    insurer_of_ent = b.insurer_by_year[t]
    y0 = float((np.datetime64(f"{year}-01-01", "D") - b.origin).astype(int))
    y1 = float((np.datetime64(f"{year + 1}-01-01", "D") - b.origin).astype(int)) - 1.0
    start = np.maximum(b.join, y0)
    end = np.minimum(b.leave, y1)
    days = np.maximum(end - start + 1.0, 0.0)
    exposure = days / (y1 - y0 + 1.0)
    # true behaviour this year (step 3): drawn for every vehicle, so the random stream
    # does not depend on who is insured
    rel = year - b.years[-1]
    true_rate = {}
    for name in ("speeding", "fatigue", "dsm"):
        wobble = rng.normal(0.0, p.year_noise_sd, b.nv)
        true_rate[name] = b.base[name] * np.exp(p.trend_per_year.get(name, 0.0) * rel + wobble)
    night = expit(logit(b.night_base) + rng.normal(0.0, p.share_noise_sd, b.nv))
    offline = expit(logit(b.offline_base) + rng.normal(0.0, p.offline_noise_sd, b.nv))
    km_rate = b.km_base * np.exp(rng.normal(-(p.km_noise_sd**2) / 2, p.km_noise_sd, b.nv))
    km = km_rate * exposure
    # measurement layer (step 4)
    online_km = km * (1.0 - offline)
    n_speed = rng.poisson(online_km / 100.0 * (true_rate["speeding"] + p.speeding_false_per_100km))
    n_fat = rng.poisson(online_km / 1000.0 * true_rate["fatigue"])
    n_dsm = rng.poisson(online_km / 1000.0 * (true_rate["dsm"] * b.v.sens + b.v.dsm_false))
    safe_km = np.where(km > 0, km, 1.0)
    cols = {
        "km_per_year": km_rate,
        "speeding_per_100km_true": true_rate["speeding"],
        "fatigue_per_1000km_true": true_rate["fatigue"],
        "night_share_true": night,
        "dsm_per_1000km_true": true_rate["dsm"],
        "offline_share": offline,
        "tanker": b.v.tanker_i.astype(float),
        "vehicle_age": vehicle_age(year, b.v.build_year),
    }
    eta = _eta(p, b, cols, year)
    freq = np.exp(eta)
    lam = exposure * freq
    n_claims = rng_c.poisson(lam)
    # severity expectations (step 6)
    sev_mu = np.exp(
        p.sev_log_mean
        + b.cls_eff
        + p.sev_tanker * b.v.tanker_i
        + p.sev_night * night
        + p.sev_log_tonnage * np.log(b.v.tonnage / p.tonnage_ref)
        + p.sev_trend * t
    )
    tail_xm = p.pareto_xm * np.exp(b.cls_eff + p.sev_trend * t)
    sev_mean = (1.0 - p.tail_share) * capped_gamma_mean(sev_mu, p.gamma_shape, b.v.limit) + (
        p.tail_share * capped_pareto_mean(tail_xm, p.pareto_alpha, b.v.limit)
    )
    ncd_factor = np.array(p.ncd_factors)[ncd_level + 4]
    premium = exposure * b.tariff * b.loading * ncd_factor * b.ins_factor[insurer_of_ent[b.v.owner]]
    active = days > 0
    idx = np.flatnonzero(active)
    frame = (
        pd.DataFrame(
            {
                "year": year,
                "vehicle_id": b.v.veh["vehicle_id"].astype(str).to_numpy()[idx],
                "enterprise_id": b.v.veh["enterprise_id"].astype(str).to_numpy()[idx],
                "insurer_id": np.array(b.ins_ids)[insurer_of_ent[b.v.owner[idx]]],
                "city": b.v.ent["city"].astype(str).to_numpy()[b.v.owner[idx]],
                "hazmat_class": b.v.hz[idx],
                "hazmat_major_class": b.v.major[idx],
                "tanker": b.v.tanker_i[idx],
                "tonnage_t": b.v.tonnage[idx],
                "build_year": b.v.build_year[idx],
                "vehicle_age": cols["vehicle_age"][idx],
                "start_day": start[idx],
                "end_day": end[idx],
                "exposure_years": exposure[idx],
                "km": km[idx],
                "km_per_year": km_rate[idx],
                "speeding_per_100km_true": true_rate["speeding"][idx],
                "speeding_per_100km_obs": (n_speed / safe_km * 100.0)[idx],
                "fatigue_per_1000km_true": true_rate["fatigue"][idx],
                "fatigue_per_1000km_obs": (n_fat / safe_km * 1000.0)[idx],
                "night_share_true": night[idx],
                "night_share_obs": night[idx],
                "dsm_per_1000km_true": true_rate["dsm"][idx],
                "dsm_per_1000km_obs": (n_dsm / safe_km * 1000.0)[idx],
                "offline_share": offline[idx],
                "device_sensitivity": b.v.sens[idx],
                "dsm_false_per_1000km": b.v.dsm_false[idx],
                "safety_culture": b.culture[b.v.owner[idx]],
                "u_enterprise": b.u[b.v.owner[idx]],
                "eta_true": eta[idx],
                "freq_true": freq[idx],
                "lambda_true": lam[idx],
                "sev_mean_attritional": sev_mu[idx],
                "tail_xm_cny": tail_xm[idx],
                "sev_mean_true": sev_mean[idx],
                "expected_loss_cny": (lam * sev_mean)[idx],
                "policy_limit_cny": b.v.limit[idx],
                "ncd_level": ncd_level[idx],
                "ncd_factor": ncd_factor[idx],
                "insurer_factor": b.ins_factor[insurer_of_ent[b.v.owner[idx]]],
                "premium_cny": np.round(premium[idx], 2),
                "n_claims": n_claims[idx],
            }
        )
    )
    return frame, n_claims, active


def make_insurance(
    enterprises: pd.DataFrame,
    vehicles: pd.DataFrame,
    *,
    years: Sequence[int] = DEFAULT_YEARS,
    random_state: int | np.random.Generator,
    correlated: bool = True,
    params: InsuranceParams | None = None,
    insurers: pd.DataFrame | None = None,
) -> InsuranceResult:
    """Simulate policies and claims for a fleet with a known generating process.

    Parameters
    ----------
    enterprises : DataFrame
        ``enterprise_id, city, safety_culture`` (latent, standard normal, higher = safer).
    vehicles : DataFrame
        ``vehicle_id, enterprise_id, hazmat_class, tonnage_t, speeding_rate, fatigue_rate,
        night_share, dsm_rate, offline_share, annual_km`` (units in the module docstring);
        optional ``tanker``, ``vehicle_type``, ``maker_id``, ``valid_from``, ``valid_to``,
        ``registered`` (rows with ``registered == False``, e.g. ghost terminals, get no
        policy).
    years : sequence of int
        Consecutive calendar policy years (e.g. 2021-2025, so out-of-time validation works).
    random_state : int or Generator
        Seed or generator (the only source of randomness).
    correlated : bool, default True
        Enterprise effect correlated with behaviour through ``safety_culture``
        (``rho_culture``); ``False`` draws it independently (clean recovery tests).
    params : InsuranceParams, optional
        Generating-process parameters (defaults: insurance.md design).
    insurers : DataFrame, optional
        ``insurer_id, name`` of the market (e.g. the fleet's registry insurers). Default: 3-4
        fictional insurers drawn here. When ``enterprises`` has an ``insurer_id`` column, it is
        the enterprise's insurer in the last year; earlier years switch backwards with
        probability ``p_switch_insurer`` a year.

    Returns
    -------
    InsuranceResult

    Notes
    -----
    The process and every parameter's source are in the module docstring (and, for a run,
    in ``truth/claims_model.json``). Inputs are sorted by id first, so the output does not
    depend on row order.
    """
    p = params or InsuranceParams()
    rng0 = np.random.default_rng(random_state)
    # Two streams: ``rng`` for the fleet, behaviour, telematics and insurers; ``rng_c`` for
    # everything that depends on the enterprise effects (NCD history, claims). The streams do
    # not interact, so correlated and independent books share everything but the claims.
    seeds = rng0.integers(0, 2**63 - 1, size=2)
    rng, rng_c = np.random.default_rng(int(seeds[0])), np.random.default_rng(int(seeds[1]))
    years, ent, veh, owner = read_inputs(enterprises, vehicles, years)
    culture = ent["safety_culture"].to_numpy(dtype=float)
    u, u_v, rho = enterprise_effect(rng, p, culture, owner, correlated)
    ins_table, ins_ids, ins_factor, insurer_by_year = insurers_by_year(rng, p, ent, insurers, len(years))
    v = vehicle_statics(rng, p, veh, ent, owner)
    origin = np.datetime64(f"{years[0]}-01-01", "D")
    window = int((np.datetime64(f"{years[-1] + 1}-01-01", "D") - origin).astype(int))
    join, leave = cover_days(rng, p, veh, origin, window)
    base, night_base, offline_base, km_base = _behaviour_base(veh)
    tariff_upper = np.array([b for b, _ in p.tariff_bands])
    tariff_cny = np.array([v for _, v in p.tariff_bands])
    b = _Book(v=v, years=years, origin=origin, join=join, leave=leave, base=base,
              night_base=night_base, offline_base=offline_base, km_base=km_base,
              culture=culture, u=u, u_v=u_v, specs=_specs(p, v),
              cls_eff=np.array([p.class_effects.get(int(m), 0.0) for m in v.major]),
              tariff=tariff_cny[np.searchsorted(tariff_upper, v.tonnage, side="left")],
              loading=np.array([p.class_loading.get(int(m), 1.0) for m in v.major]),
              ins_ids=ins_ids, ins_factor=ins_factor, insurer_by_year=insurer_by_year)
    ncd_level = _ncd_prehistory(rng_c, p, b)
    frames: list[pd.DataFrame] = []
    for t, year in enumerate(years):
        frame, n_claims, active = _policy_year(rng, rng_c, p, b, t, year, ncd_level)
        frames.append(frame)
        ncd_level = np.where(active, ncd_step(ncd_level, n_claims), ncd_level)

    vy = pd.concat(frames, ignore_index=True)
    vy = vy.sort_values(["year", "vehicle_id"], kind="stable").reset_index(drop=True)
    seq = vy.groupby("year").cumcount().to_numpy() + 1
    vy.insert(0, "policy_id", [f"PL{y}-{i:06d}" for y, i in zip(vy["year"], seq, strict=True)])
    vy.insert(8, "start_date", iso_dates(origin, vy["start_day"].to_numpy()))
    vy.insert(9, "end_date", iso_dates(origin, vy["end_day"].to_numpy()))

    claims, claims_truth, amounts = draw_claims(vy, origin, rng_c, p)
    vy["amount_cny"] = amounts
    vy = vy.drop(columns=["start_day", "end_day"])
    policies = vy[list(POLICIES_COLUMNS)].copy()
    truth = truth_dict(p, b.specs, ent, u, rho, correlated, years, vy, claims_truth, ins_ids,
                       ins_factor, random_state)
    return InsuranceResult(
        policies=policies.reset_index(drop=True),
        claims=claims,
        insurers=ins_table,
        vehicle_years=vy,
        claims_truth=claims_truth,
        truth=truth,
    )
