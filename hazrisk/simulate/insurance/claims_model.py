"""The generating process as JSON-ready data (``truth/claims_model.json``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from hazrisk.simulate.insurance.params import InsuranceParams
from hazrisk.simulate.insurance.truth import FeatureSpec


def truth_dict(
    p: InsuranceParams,
    specs: list[FeatureSpec],
    ent: pd.DataFrame,
    u: np.ndarray,
    rho: float,
    correlated: bool,
    years: list[int],
    vy: pd.DataFrame,
    claims_truth: pd.DataFrame,
    ins_ids: list[str],
    ins_factor: np.ndarray,
    random_state: int | np.random.Generator,
) -> dict[str, Any]:
    """The generating process as JSON-ready data (``truth/claims_model.json``)."""
    expo = float(vy["exposure_years"].sum())
    n_claims = int(vy["n_claims"].sum())
    return {
        "description": (
            "Known generating process of the simulated claims (design and sources: the "
            "docstring of hazrisk/simulate/insurance/__init__.py); "
            "N ~ Poisson(exposure_years * exp(eta)), eta = intercept + year_effect + "
            "sum(coef * (transform(raw) - centre) / scale) + u[enterprise]."
        ),
        "seed": random_state if isinstance(random_state, int) else None,
        "years": years,
        "correlated": correlated,
        "frequency": {
            "family": "poisson",
            "link": "log",
            "exposure": "exposure_years (offset log(exposure_years))",
            "intercept": p.intercept,
            "base_rate_per_vehicle_year": round(math.exp(p.intercept), 12),
            "base_rate_source": (
                "insurance-research.md §5.1 item 4: hazmat trucks on the commercial-motor "
                "scale, 0.12-0.25 claims / vehicle-year; intercept log(0.08) at the reference "
                "point gives the book frequency below"
            ),
            "year_effects": {str(y): float(p.year_effects.get(y, 0.0)) for y in years},
            "features": {s.name: s.to_dict() for s in specs},
        },
        "enterprise_effect": {
            "formula": "u = -sigma * (rho * safety_culture + sqrt(1 - rho^2) * z) - sigma^2 / 2",
            "sigma": p.sigma_enterprise,
            "rho": rho,
            "rho_when_correlated": p.rho_culture,
            "sigma_vehicle": p.sigma_vehicle,
            "draws": {str(e): float(v) for e, v in zip(ent["enterprise_id"], u, strict=True)},
        },
        "measurement": {
            "observed_counts": "Poisson(km * (1 - offline_share) * rate [* sensitivity] + false)",
            "observed_rate": "observed count / odometer km",
            "sensitivity_maker_sd": p.sensitivity_maker_sd,
            "sensitivity_device_sd": p.sensitivity_device_sd,
            "dsm_false_share_range": list(p.dsm_false_share),
            "dsm_false_share_source": "insurance-research.md §2: truck LDW false alarms 33-55 %",
            "speeding_false_per_100km": p.speeding_false_per_100km,
            "night_share_obs": "equal to the true share",
            "offline_share": "observed exactly",
        },
        "behaviour_dynamics": {
            "year_noise_sd": p.year_noise_sd,
            "share_noise_sd": p.share_noise_sd,
            "offline_noise_sd": p.offline_noise_sd,
            "km_noise_sd": p.km_noise_sd,
            "trend_per_year": dict(p.trend_per_year),
            "trend_anchor_year": years[-1],
        },
        "severity": {
            "attritional": {
                "family": "gamma",
                "shape": p.gamma_shape,
                "log_mean_intercept": p.sev_log_mean,
                "hazmat_class_effect": {str(k): v for k, v in sorted(p.class_effects.items())},
                "tanker": p.sev_tanker,
                "night_share": p.sev_night,
                "log_tonnage_over_ref": p.sev_log_tonnage,
                "tonnage_ref_t": p.tonnage_ref,
                "trend_per_year": p.sev_trend,
            },
            "tail": {
                "family": "pareto",
                "share_of_claims": p.tail_share,
                "alpha": p.pareto_alpha,
                "xm_cny": p.pareto_xm,
                "xm_scaled_by": "exp(hazmat_class_effect + trend_per_year * (year - first year))",
            },
            "policy_limit": {
                "rule": (
                    "承运人责任险 statutory minimum per accident (regulatory-research.md §7): "
                    "UN class 1 or 6 (剧毒/爆炸品): 300,000 CNY <= 10 t, 400,000 > 10 t; "
                    "other classes 200,000 / 300,000; times limit_multiplier"
                ),
                "limit_multiplier": p.limit_multiplier,
                "applies_to": "every claim (amount_cny = min(amount, limit))",
            },
        },
        "reporting": {
            "delay": "report_date = loss_date + ceil(D) days, D ~ lognormal(log(median), sigma)",
            "median_days": p.report_delay_median_days,
            "sigma": p.report_delay_sigma,
            "source": (
                "Friedland (2010) auto data (chainladder friedland_auto_freq_sev): motor claims "
                "almost all reported within the accident half-year; the months-long tail "
                "(third-party / environmental liability) is an assumption"
            ),
        },
        "premium": {
            "formula": "exposure * tariff(tonnage band) * class_loading * ncd_factor * insurer_factor",
            "tariff_bands_t_cny": [[b if math.isfinite(b) else None, v] for b, v in p.tariff_bands],
            "class_loading": {str(k): v for k, v in sorted(p.class_loading.items())},
            "ncd_factors_by_level_-4_to_5": list(p.ncd_factors),
            "insurer_factor": {i: float(f) for i, f in zip(ins_ids, ins_factor, strict=True)},
            "source": "assumed levels; NCD shape and bands per insurance-research.md §3",
        },
        "book": {
            "n_enterprises": len(ent),
            "n_vehicles": int(vy["vehicle_id"].nunique()),
            "n_vehicle_years": len(vy),
            "exposure_years": expo,
            "n_claims": n_claims,
            "frequency_observed": n_claims / expo if expo else None,
            "frequency_expected": float(vy["lambda_true"].sum()) / expo if expo else None,
            "n_catastrophe_claims": int((claims_truth["component"] == "catastrophe").sum()),
            "n_capped_claims": int(claims_truth["capped"].sum()),
            "premium_cny": float(vy["premium_cny"].sum()),
            "expected_loss_cny": float(vy["expected_loss_cny"].sum()),
            "expected_loss_ratio": (
                float(vy["expected_loss_cny"].sum() / vy["premium_cny"].sum())
                if len(vy)
                else None
            ),
        },
    }
