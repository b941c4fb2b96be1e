"""Claims of the simulated book: policy limits, NCD steps, vehicle age, severities, loss and
report dates (steps 5-7 of the generating process)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammainc

from hazrisk.simulate.insurance.params import (
    ATTRITIONAL_CAUSE_P,
    ATTRITIONAL_CAUSES,
    CATASTROPHE_CAUSE_P,
    CATASTROPHE_CAUSES,
    InsuranceParams,
)


def iso_dates(origin: np.datetime64, days: np.ndarray) -> list[str]:
    return [str(d) for d in (origin + days.astype("timedelta64[D]"))]


def capped_gamma_mean(mean: np.ndarray, shape: float, limit: np.ndarray) -> np.ndarray:
    """``E[min(X, L)]`` for ``X ~ Gamma(shape, mean/shape)``."""
    scale = mean / shape
    z = limit / scale
    return np.asarray(mean * gammainc(shape + 1.0, z) + limit * (1.0 - gammainc(shape, z)))


def capped_pareto_mean(xm: np.ndarray, alpha: float, limit: np.ndarray) -> np.ndarray:
    """``E[min(X, L)]`` for ``X ~ Pareto(alpha, xm)`` (``alpha != 1``)."""
    lim = np.maximum(limit, xm)
    tail = xm**alpha * (lim ** (1.0 - alpha) - xm ** (1.0 - alpha)) / (1.0 - alpha)
    return np.asarray(np.where(limit <= xm, limit, xm + tail))


def policy_limit(major: np.ndarray, tonnage: np.ndarray, multiplier: float) -> np.ndarray:
    """承运人责任险 statutory minimum per accident (regulatory-research §7)."""
    toxic = np.isin(major, [1, 6])
    heavy = tonnage > 10.0
    base = np.where(toxic, np.where(heavy, 400_000.0, 300_000.0), np.where(heavy, 300_000.0, 200_000.0))
    return np.asarray(base * multiplier)


def vehicle_age(year: int, build_year: np.ndarray) -> np.ndarray:
    """Policy year - build year, at least 0; 0 (no age term) where the build year is unknown."""
    return np.asarray(np.where(np.isnan(build_year), 0.0, np.maximum(year - build_year, 0.0)))


def ncd_step(level: np.ndarray, n_claims: np.ndarray) -> np.ndarray:
    """Simplified China commercial-motor NCD: claim-free -1 (floor -4), else +claims (cap 5)."""
    return np.asarray(np.where(n_claims == 0, np.maximum(level - 1, -4), np.minimum(level + n_claims, 5)))


def draw_severity(
    rng: np.random.Generator,
    mean_attritional: np.ndarray,
    tail_xm: np.ndarray,
    limit: np.ndarray,
    params: InsuranceParams | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw claim amounts: Gamma attritional or Pareto catastrophe, capped at the limit.

    Step 6 of the generating process (insurance.md "Claims": Gamma severity with a
    hazmat-class effect and a Pareto tail capped at the policy limit).

    Parameters
    ----------
    rng : Generator
    mean_attritional : ndarray
        Mean of the attritional Gamma per claim (CNY).
    tail_xm : ndarray
        Pareto scale ``x_m`` per claim (CNY).
    limit : ndarray
        Policy limit per claim (CNY).
    params : InsuranceParams, optional
        ``gamma_shape``, ``tail_share``, ``pareto_alpha``.

    Returns
    -------
    amount, uncapped, catastrophe : ndarray
        Capped amount rounded to 0.01 CNY, the uncapped draw, and the catastrophe flag.
    """
    p = params or InsuranceParams()
    m = len(mean_attritional)
    cat = rng.uniform(size=m) < p.tail_share
    attr = rng.gamma(p.gamma_shape, np.asarray(mean_attritional) / p.gamma_shape)
    pareto = np.asarray(tail_xm) * (1.0 - rng.uniform(size=m)) ** (-1.0 / p.pareto_alpha)
    uncapped = np.where(cat, pareto, attr)
    amount = np.round(np.minimum(uncapped, limit), 2)
    return amount, uncapped, cat


def draw_claims(
    vy: pd.DataFrame, origin: np.datetime64, rng: np.random.Generator, p: InsuranceParams
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Loss dates, amounts and causes of every claim (step 6)."""
    n = vy["n_claims"].to_numpy(dtype=int)
    rows = np.repeat(np.arange(len(vy)), n)
    m = len(rows)
    start = vy["start_day"].to_numpy(float)[rows]
    days = vy["end_day"].to_numpy(float)[rows] - start + 1.0
    loss_day = start + np.floor(rng.uniform(size=m) * days)
    mu = vy["sev_mean_attritional"].to_numpy(float)[rows]
    xm = vy["tail_xm_cny"].to_numpy(float)[rows]
    limit = vy["policy_limit_cny"].to_numpy(float)[rows]
    amount, uncapped, cat = draw_severity(rng, mu, xm, limit, p)
    cause_a = rng.choice(len(ATTRITIONAL_CAUSES), m, p=ATTRITIONAL_CAUSE_P)
    cause_c = rng.choice(len(CATASTROPHE_CAUSES), m, p=CATASTROPHE_CAUSE_P)
    cause = np.where(cat, np.array(CATASTROPHE_CAUSES)[cause_c], np.array(ATTRITIONAL_CAUSES)[cause_a])
    order = np.lexsort((rows, loss_day))  # by loss date, then policy
    rows, loss_day, amount, uncapped, cause, cat, limit, mu = (
        a[order] for a in (rows, loss_day, amount, uncapped, cause, cat, limit, mu)
    )
    # reporting delay (step 6b), drawn last so every other draw is as before
    delay = np.ceil(np.exp(np.log(p.report_delay_median_days)
                           + p.report_delay_sigma * rng.standard_normal(m)))
    dates = iso_dates(origin, loss_day)
    report_dates = iso_dates(origin, loss_day + delay)
    year_of = [d[:4] for d in dates]
    counter: dict[str, int] = {}
    ids = []
    for y in year_of:
        counter[y] = counter.get(y, 0) + 1
        ids.append(f"CL{y}-{counter[y]:06d}")
    claims = pd.DataFrame(
        {
            "claim_id": ids,
            "policy_id": vy["policy_id"].to_numpy()[rows],
            "vehicle_id": vy["vehicle_id"].to_numpy()[rows],
            "enterprise_id": vy["enterprise_id"].to_numpy()[rows],
            "loss_date": dates,
            "amount_cny": amount,
            "cause": cause,
            "report_date": report_dates,
        }
    )
    claims_truth = pd.DataFrame(
        {
            "claim_id": ids,
            "policy_id": claims["policy_id"].to_numpy(),
            "component": np.where(cat, "catastrophe", "attritional"),
            "amount_uncapped_cny": uncapped,
            "policy_limit_cny": limit,
            "capped": uncapped > limit,
            "sev_mean_attritional": mu,
            "hazmat_major_class": vy["hazmat_major_class"].to_numpy()[rows],
            "loss_date": dates,
            "report_date": report_dates,
            "report_delay_days": delay.astype(int),
        }
    )
    per_row = np.zeros(len(vy))
    np.add.at(per_row, rows, amount)
    return claims, claims_truth, np.round(per_row, 2)
