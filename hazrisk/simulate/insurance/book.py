"""Synthetic enterprises and vehicles for a claims book without telematics
(:func:`make_insurance_book`): the default book's behaviour model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from hazrisk.simulate.insurance.generator import make_insurance
from hazrisk.simulate.insurance.params import (
    DEFAULT_YEARS,
    ZJ_CITIES,
    ZJ_CITY_WEIGHTS,
    InsuranceParams,
    hazmat_major_class,
)
from hazrisk.simulate.insurance.result import InsuranceResult


def sample_behaviour(
    culture: np.ndarray, rng: np.random.Generator, *, enterprise_noise: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Draw long-run behaviour rates for vehicles, worse where safety culture is low.

    The default book's behaviour model (a reference for the fleet simulator's units):
    log-normal rates around medians 0.25 speeding episodes / 100 km, 0.5 fatigue events /
    1,000 km and 2.0 DSM alarms / 1,000 km, logit-normal shares around 0.2 (night) and 0.05
    (offline), each shifted by ``-0.25..-0.35 * culture``; km/yr log-normal around 80,000
    (sd 0.4, clipped 15,000-250,000; research §5.1: hazmat trucks drive 50-150k km/yr).

    Parameters
    ----------
    culture : ndarray
        Safety culture of each vehicle's enterprise (standard normal, higher = safer).
    rng : Generator
    enterprise_noise : ndarray, optional
        ``(n_vehicles, 5)`` enterprise-level behaviour deviations (shared by an enterprise's
        vehicles, independent of culture); zeros when omitted.

    Returns
    -------
    dict
        ``speeding_rate, fatigue_rate, night_share, dsm_rate, offline_share, annual_km``.
    """
    n = len(culture)
    c = np.asarray(culture, dtype=float)
    en = np.zeros((n, 5)) if enterprise_noise is None else enterprise_noise
    speeding = np.exp(np.log(0.25) - 0.35 * c + en[:, 0] + rng.normal(0.0, 0.7, n))
    fatigue = np.exp(np.log(0.5) - 0.30 * c + en[:, 1] + rng.normal(0.0, 0.6, n))
    night = expit(logit(0.2) - 0.25 * c + en[:, 2] + rng.normal(0.0, 0.5, n))
    dsm = np.exp(np.log(2.0) - 0.35 * c + en[:, 3] + rng.normal(0.0, 0.7, n))
    offline = expit(logit(0.05) - 0.35 * c + en[:, 4] + rng.normal(0.0, 0.8, n))
    km = np.clip(np.exp(np.log(80_000.0) + rng.normal(0.0, 0.4, n)), 15_000.0, 250_000.0)
    return {
        "speeding_rate": speeding,
        "fatigue_rate": fatigue,
        "night_share": night,
        "dsm_rate": dsm,
        "offline_share": offline,
        "annual_km": np.round(km, 0),
    }


def synthetic_fleet(
    n_enterprises: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises and vehicles with the fleet simulator's columns (plus optional ones)."""
    ent_ids = [f"E{i + 1:05d}" for i in range(n_enterprises)]
    city = rng.choice(len(ZJ_CITIES), n_enterprises, p=np.array(ZJ_CITY_WEIGHTS) / sum(ZJ_CITY_WEIGHTS))
    culture = rng.normal(0.0, 1.0, n_enterprises)
    # Fleet size: median 8, mean about 13 -- 宁镇海 platform: 21,453 vehicles / 1,563 carriers
    # = 13.7 (regulatory-research §6); "from a handful to hundreds" (issue 3).
    fleet = np.clip(np.round(np.exp(np.log(8.0) + rng.normal(0.0, 1.0, n_enterprises))), 2, 400)
    fleet = fleet.astype(int)
    ent_noise = rng.normal(0.0, 0.3, (n_enterprises, 5))
    enterprises = pd.DataFrame(
        {
            "enterprise_id": ent_ids,
            "city": [ZJ_CITIES[k] for k in city],
            "safety_culture": culture,
        }
    )
    owner = np.repeat(np.arange(n_enterprises), fleet)
    nv = len(owner)
    classes = np.array(["1", "2.1", "2.2", "2.3", "3", "4.1", "5.1", "6.1", "8", "9"])
    class_p = np.array([0.01, 0.10, 0.07, 0.03, 0.42, 0.02, 0.04, 0.10, 0.13, 0.08])
    hz = rng.choice(classes, nv, p=class_p / class_p.sum())
    major = np.array([hazmat_major_class(h) for h in hz])
    tanker_p = np.where(np.isin(major, [2, 3, 8]), 0.85, 0.20)  # prototype, research App. A
    tanker = rng.uniform(size=nv) < tanker_p
    vtype = np.where(tanker, "重型罐式货车", "重型厢式货车")
    tonnage = np.round(np.clip(np.exp(np.log(18.0) + rng.normal(0.0, 0.45, nv)), 1.5, 40.0), 1)
    makers = np.array(["M01", "M02", "M03", "M04", "M05"])
    maker = rng.choice(makers, nv, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    beh = sample_behaviour(culture[owner], rng, enterprise_noise=ent_noise[owner])
    vehicles = pd.DataFrame(
        {
            "vehicle_id": [f"V{i + 1:06d}" for i in range(nv)],
            "enterprise_id": [ent_ids[k] for k in owner],
            "hazmat_class": hz,
            "tonnage_t": tonnage,
            **beh,
            "vehicle_type": vtype,
            "maker_id": maker,
        }
    )
    return enterprises, vehicles


def make_insurance_book(
    n_enterprises: int,
    *,
    years: Sequence[int] = DEFAULT_YEARS,
    random_state: int | np.random.Generator,
    correlated: bool = True,
    params: InsuranceParams | None = None,
) -> InsuranceResult:
    """A claims book on synthetic enterprises and vehicles, without simulating telematics.

    The synthetic vehicles have no ``build_year`` (so no vehicle-age term): the fleet
    simulator's vehicles carry one (their registration year), and the real path tests it.

    Draws ``n_enterprises`` enterprises (Zhejiang cities, standard-normal safety culture),
    their fleets (median 8 vehicles, mean about 13, 2-400), hazmat classes, tonnage, tanker
    flags, device makers and behaviour rates (:func:`sample_behaviour`), then calls
    :func:`make_insurance`. The fleet is drawn before the enterprise effects, so the
    ``correlated=True`` and ``False`` books with the same seed share enterprises, vehicles
    and behaviour and differ only in the enterprise effects (and what follows from them).

    Parameters
    ----------
    n_enterprises : int
        Number of enterprises (150 gives about 9,000 vehicle-years over 5 years).
    years, random_state, correlated, params
        As in :func:`make_insurance`.

    Returns
    -------
    InsuranceResult
        With ``enterprises`` and ``vehicles`` set to the synthetic inputs.
    """
    rng = np.random.default_rng(random_state)
    enterprises, vehicles = synthetic_fleet(int(n_enterprises), rng)
    res = make_insurance(
        enterprises, vehicles, years=years, random_state=rng, correlated=correlated, params=params
    )
    res.enterprises = enterprises
    res.vehicles = vehicles
    if isinstance(random_state, int):
        res.truth["seed"] = random_state
    return res
