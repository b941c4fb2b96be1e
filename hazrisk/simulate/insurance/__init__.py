"""Policies and claims with a known generating process (``hazrisk simulate``, insurance part).

No real claims data can be shipped, so claims are simulated with a known generating process:
fleet experience rating with a carrier-level random effect and road-safety offences as
predictors (Desjardins, Dionne & Pinquet 2001; Angers, Desjardins, Dionne & Guertin 2006),
telematics behaviour features as in the usage-based-insurance literature (Ayuso, Guillén &
Nielsen 2019; Verbelen, Antonio & Claeskens 2018), frequency x severity as in scikit-learn's
French-MTPL examples. *research §n* below names the section of the project's insurance
research that chose a figure; the figure's published source is given with it.

Generating process
------------------
1. **Enterprises -> vehicles -> calendar years.** One policy per vehicle and calendar year
   (accident year = policy year); ``exposure_years`` = covered days / days in the year, < 1 for
   vehicles joining or leaving the book mid-year (``p_join_during`` 0.25, ``p_leave`` 0.12;
   the registry's ``valid_from``/``valid_to`` replace these random dates when given).
2. **Enterprise random effect** ``u_e = -sigma (rho c_e + sqrt(1 - rho^2) z_e) - sigma^2/2``
   with ``c_e`` = ``safety_culture`` (higher = safer), ``z_e ~ N(0, 1)``, ``sigma = 0.35``
   (insurance.md), ``rho = 0.6`` when ``correlated`` else 0 (research §5.1-5.2);
   ``E[exp(u)] = 1``. The fleet simulator makes behaviour worse for low ``safety_culture``,
   so with ``correlated=True`` the enterprise effect is confounded with behaviour.
3. **Behaviour per vehicle-year** (true): the fleet's long-run rates times a year-to-year
   lognormal wobble (sd 0.2) and a small improvement trend (speeding -5 %/yr, fatigue and DSM
   -3 %/yr, anchored at the last year); shares get logit-normal wobble.
4. **Measurement layer** (observed, insurance.md "Behaviour"): event counts are Poisson on the
   online km ``km * (1 - offline)``, divided by the odometer km (JT/T 808 item 0x01 counts
   every km, online or not) -- so offline time thins the observed rates. DSM alarms are
   scaled by a device sensitivity (lognormal, sd 0.25 per maker and 0.1 per device, mean 1)
   and get false alarms making up 33-55 % of alarms at the reference rate of 2 per 1,000 km
   (truck LDW false-alarm rates, research §2, CPIC data). Night share is observed as it is;
   offline share is measured exactly. Speeding gets 0.01 false episodes / 100 km (GNSS drift).
5. **Frequency** ``N ~ Poisson(exposure * exp(eta))``, ``eta = b0 + 0.7 log(km/yr / 80,000) +
   0.25 speeding_z + 0.20 log1p(fatigue) + 0.60 night + 0.15 log1p(dsm) + 0.50 offline +
   0.15 tanker + 0.03 vehicle_age + u_e`` (research §5.1 item 4 "suggested truths";
   ``vehicle_age`` = policy year - ``build_year``, 3 % more claims a year of age -- worn brakes
   and tyres of older trucks -- is an assumption, not from the research notes; a vehicle
   without ``build_year`` gets no age term). ``speeding_z`` is the
   z-score of ``log1p(speeding episodes / 100 km)`` with fixed reference centre/scale (the
   default book's population moments). ``b0 = log(0.08)`` gives a book frequency of about
   0.15-0.17 claims per vehicle-year: research §5.1 item 4 puts hazmat trucks on the
   commercial-motor scale, 0.12-0.25 claims / vehicle-year (carrier-liability-only books are
   rarer, 0.01-0.05: lower ``intercept`` in :class:`InsuranceParams` for that variant).
6. **Severity** per claim: with probability 0.98 an attritional Gamma (shape 1.5) with
   log-mean ``log(30,000 CNY) + class effect + 0.2 tanker + 0.3 night + 0.25 log(t/20) +
   0.03 (year - first year)``; class effects (UN class) 1: 0.9, 6: 0.6, 7: 0.6, 2: 0.4,
   3: 0.3, 5: 0.3, 4: 0.2, 8: 0.2, 9: 0 (research §5.1 item 5, class 1/4/5/7 added by
   analogy). With probability 0.02 a catastrophe claim (spill / fire-explosion / rollover,
   research: "p about 1-2 % of claims") ``Pareto(alpha=1.5, x_m=100,000 CNY * class relativity
   * trend)``. Every claim is capped at the policy limit: the 承运人责任险 statutory minimum per
   accident -- 剧毒/爆炸品 (here UN class 1 and 6) 300,000 CNY up to 10 t, 400,000 above;
   other classes 200,000 / 300,000 (regulatory-research §7) -- times ``limit_multiplier``.
6b. **Reporting delay** per claim: ``report_date = loss_date + ceil(D)`` days, ``D ~
   lognormal(median 14 days, sigma 1.3)`` -- P(D > 30 d) = 28 %, P(D > 90 d) = 7.6 %,
   P(D > 365 d) = 0.6 %: most claims reported within weeks, a tail of months. Motor claims are
   almost all reported within the accident half-year (Friedland 2010, *Estimating Unpaid
   Claims Using Basic Techniques*, CAS, auto frequency/severity data shipped with
   ``chainladder`` as ``friedland_auto_freq_sev``: reported counts at the first 6-month
   evaluation are 100-110 % of the later ones); the months-long tail (third-party and
   environmental liability) is an assumption. The insurer's export (``claims.csv``) holds the
   claims reported by the export date (the last simulated day); ``truth/claims_truth`` holds
   them all.
7. **Current premium** (for double-lift charts): a tariff by tonnage band (<= 2 t, 2-5 t,
   5-10 t, > 10 t: shaped like the 交强险 goods-vehicle bands, an unverified recollection, not
   in the research notes) times a
   hazmat-class loading, a simplified China commercial-motor NCD (10 levels, 0.5-2.0, research
   §3: claim-free year -1 level, each claim +1; history before the first year simulated, new
   vehicles start at level 0), an insurer factor in [0.85, 1.15] (自主定价系数-like, research
   §3: 0.65-1.35) and exposure. The tariff levels (8,000 / 11,500 / 14,000 / 17,500 CNY a
   vehicle-year) are **assumed**, scaled so the default book's expected loss ratio is about
   0.65-0.75.

Units of the ``vehicles`` behaviour columns (what the fleet simulator must draw)
------------------------------------------------------------------------------
``speeding_rate`` speeding episodes per 100 km (above the hazmat limit 80/60 km/h);
``fatigue_rate`` fatigue events per 1,000 km (> 4 h without a 20 min rest); ``night_share``
share of km driven 22:00-06:00, in [0, 1]; ``dsm_rate`` true DSM/ADAS alarm-worthy events per
1,000 km; ``offline_share`` share of operating time the terminal is offline, in [0, 1];
``annual_km`` km per year. Typical values (the default book, :func:`sample_behaviour`):
medians 0.25 / 0.5 / 0.2 / 2.0 / 0.05 / 80,000. Optional columns: ``tanker`` (bool) or
``vehicle_type`` (罐 / "tank" => tanker; otherwise drawn by class), ``build_year`` (the
vehicle's build year, 出厂年份: vehicle age enters the frequency), ``maker_id`` (device
sensitivity per maker), ``valid_from`` / ``valid_to`` (when present they replace the random
join / leave dates; empty = in service throughout), ``registered`` (``False`` rows get no
policy), and ``insurer_id`` on ``enterprises`` (the current insurer).

All randomness comes from ``random_state`` (a seed or :class:`numpy.random.Generator`), split
into two derived streams: fleet/behaviour/telematics, and claims (so correlated and
independent books share the fleet). Same seed and inputs, same output bytes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, gammainc, logit

from hazrisk.simulate.insurance.truth import FeatureSpec

__all__ = [
    "CLAIMS_COLUMNS",
    "DEFAULT_YEARS",
    "INSURERS_COLUMNS",
    "POLICIES_COLUMNS",
    "InsuranceParams",
    "InsuranceResult",
    "draw_severity",
    "hazmat_major_class",
    "make_insurance",
    "make_insurance_book",
    "sample_behaviour",
]

#: README "Registry files" columns, exactly.
POLICIES_COLUMNS: tuple[str, ...] = (
    "policy_id",
    "vehicle_id",
    "enterprise_id",
    "insurer_id",
    "year",
    "start_date",
    "end_date",
    "exposure_years",
    "premium_cny",
    "hazmat_class",
)
CLAIMS_COLUMNS: tuple[str, ...] = (
    "claim_id",
    "policy_id",
    "vehicle_id",
    "enterprise_id",
    "loss_date",
    "amount_cny",
    "cause",
    "report_date",
)
INSURERS_COLUMNS: tuple[str, ...] = ("insurer_id", "name")

DEFAULT_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)

ENTERPRISE_COLUMNS: tuple[str, ...] = ("enterprise_id", "city", "safety_culture")
VEHICLE_COLUMNS: tuple[str, ...] = (
    "vehicle_id",
    "enterprise_id",
    "hazmat_class",
    "tonnage_t",
    "speeding_rate",
    "fatigue_rate",
    "night_share",
    "dsm_rate",
    "offline_share",
    "annual_km",
)

#: Zhejiang's 11 prefecture-level cities and the default book's weights (chemical-park cities
#: -- Ningbo, Shaoxing, Jiaxing, Quzhou, Taizhou -- weighted up; an assumption).
ZJ_CITIES: tuple[str, ...] = (
    "杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴",
    "金华", "衢州", "舟山", "台州", "丽水",
)  # fmt: skip
ZJ_CITY_WEIGHTS: tuple[float, ...] = (
    0.13, 0.22, 0.08, 0.10, 0.05, 0.10, 0.06, 0.07, 0.05, 0.11, 0.03,
)  # fmt: skip

#: Fictional insurers (marked 模拟): the simulator must not attribute claims to real companies.
INSURER_NAMES: tuple[str, ...] = (
    "之江财产保险股份有限公司（模拟）",
    "钱塘财产保险股份有限公司（模拟）",
    "甬安财产保险股份有限公司（模拟）",
    "瓯江财产保险股份有限公司（模拟）",
)
INSURER_SHARES: tuple[float, ...] = (0.40, 0.28, 0.20, 0.12)

#: Claim causes (English codes, like the README's other enumerations).
ATTRITIONAL_CAUSES: tuple[str, ...] = ("collision", "rear_end", "rollover", "minor_leak", "other")
ATTRITIONAL_CAUSE_P: tuple[float, ...] = (0.52, 0.22, 0.07, 0.11, 0.08)
CATASTROPHE_CAUSES: tuple[str, ...] = ("spill", "fire_explosion", "rollover")
CATASTROPHE_CAUSE_P: tuple[float, ...] = (0.5, 0.3, 0.2)

_CLASS_WORDS: tuple[tuple[str, int], ...] = (
    ("爆炸", 1), ("气体", 2), ("易燃液体", 3), ("易燃固体", 4), ("自燃", 4), ("遇湿", 4),
    ("氧化", 5), ("毒", 6), ("感染", 6), ("放射", 7), ("腐蚀", 8), ("杂项", 9),
)  # fmt: skip


def hazmat_major_class(value: object) -> int:
    """UN hazard class (1-9) of a ``hazmat_class`` value.

    Accepts ``"3"``, ``"2.1"``, ``"6.1"``, ``"UN class 8"``, ``"第3类"`` or a Chinese class
    name (``"易燃液体"``, ``"腐蚀性物质"`` ...).

    Raises
    ------
    ValueError
        If no class can be read.
    """
    s = str(value).strip()
    m = re.search(r"[1-9]", s)
    if m:
        return int(m.group())
    for word, k in _CLASS_WORDS:
        if word in s:
            return k
    raise ValueError(f"cannot read a UN hazard class from hazmat_class={value!r}")


def _default_coefs() -> dict[str, float]:
    return {
        "log_km": 0.70,
        "speeding": 0.25,
        "fatigue": 0.20,
        "night": 0.60,
        "dsm": 0.15,
        "offline": 0.50,
        "tanker": 0.15,
        "vehicle_age": 0.03,
    }


def _default_class_effects() -> dict[int, float]:
    return {1: 0.9, 2: 0.4, 3: 0.3, 4: 0.2, 5: 0.3, 6: 0.6, 7: 0.6, 8: 0.2, 9: 0.0}


def _default_class_loading() -> dict[int, float]:
    return {1: 1.6, 2: 1.3, 3: 1.2, 4: 1.1, 5: 1.15, 6: 1.4, 7: 1.5, 8: 1.1, 9: 1.0}


def _default_trend() -> dict[str, float]:
    return {"speeding": -0.05, "fatigue": -0.03, "dsm": -0.03}


@dataclass(frozen=True)
class InsuranceParams:
    """Every parameter of the claims generating process (defaults = insurance.md design).

    Frequency
    ---------
    intercept : log claims per vehicle-year at the reference point (80,000 km/yr, zero
        behaviour, no tanker, speeding at the reference centre). ``log(0.08)`` -> book
        frequency about 0.15-0.17.
    coefs : log-rate coefficients per standardised feature (research §5.1 item 4).
    km_ref : km/yr reference for ``log_km``.
    speeding_centre, speeding_scale : moments of ``log1p(speeding / 100 km)`` in the default
        book, fixed so that ``speeding`` is a z-score.
    year_effects : additive log-rate by year (default none).
    sigma_enterprise, rho_culture : enterprise random effect (insurance.md: sigma about 0.35).

    Behaviour dynamics and measurement
    ----------------------------------
    year_noise_sd, share_noise_sd, offline_noise_sd, km_noise_sd, trend_per_year,
    sensitivity_maker_sd, sensitivity_device_sd, dsm_false_share, dsm_ref_per_1000km,
    speeding_false_per_100km.

    Exposure
    --------
    p_join_during, p_leave : probability that a vehicle joins the book after the first day /
        leaves before the last day of the window.

    Severity
    --------
    sev_log_mean, class_effects, sev_tanker, sev_night, sev_log_tonnage, tonnage_ref,
    gamma_shape, sev_trend, tail_share, pareto_alpha, pareto_xm, limit_multiplier.

    Reporting
    ---------
    report_delay_median_days, report_delay_sigma : lognormal reporting delay (step 6b).

    Tariff
    ------
    tariff_bands : (upper tonnage bound, CNY per vehicle-year) pairs, ascending.
    class_loading, insurer_factor_range, p_switch_insurer, ncd_factors, ncd_prehistory_years.
    """

    intercept: float = math.log(0.08)
    coefs: dict[str, float] = field(default_factory=_default_coefs)
    km_ref: float = 80_000.0
    speeding_centre: float = 0.30
    speeding_scale: float = 0.25
    year_effects: dict[int, float] = field(default_factory=dict)
    sigma_enterprise: float = 0.35
    rho_culture: float = 0.6
    sigma_vehicle: float = 0.0

    year_noise_sd: float = 0.20
    share_noise_sd: float = 0.25
    offline_noise_sd: float = 0.40
    km_noise_sd: float = 0.10
    trend_per_year: dict[str, float] = field(default_factory=_default_trend)
    sensitivity_maker_sd: float = 0.25
    sensitivity_device_sd: float = 0.10
    dsm_false_share: tuple[float, float] = (0.33, 0.55)
    dsm_ref_per_1000km: float = 2.0
    speeding_false_per_100km: float = 0.01

    p_join_during: float = 0.25
    p_leave: float = 0.12

    sev_log_mean: float = math.log(30_000.0)
    class_effects: dict[int, float] = field(default_factory=_default_class_effects)
    sev_tanker: float = 0.20
    sev_night: float = 0.30
    sev_log_tonnage: float = 0.25
    tonnage_ref: float = 20.0
    gamma_shape: float = 1.5
    sev_trend: float = 0.03
    tail_share: float = 0.02
    pareto_alpha: float = 1.5
    pareto_xm: float = 100_000.0
    limit_multiplier: float = 1.0
    report_delay_median_days: float = 14.0
    report_delay_sigma: float = 1.3

    tariff_bands: tuple[tuple[float, float], ...] = (
        (2.0, 8_000.0),
        (5.0, 11_500.0),
        (10.0, 14_000.0),
        (math.inf, 17_500.0),
    )
    class_loading: dict[int, float] = field(default_factory=_default_class_loading)
    insurer_factor_range: tuple[float, float] = (0.85, 1.15)
    p_switch_insurer: float = 0.10
    ncd_factors: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0)
    ncd_prehistory_years: int = 3

    def feature_specs(self) -> list[FeatureSpec]:
        """The frequency features with their true coefficients (model order)."""
        c = self.coefs
        return [
            FeatureSpec("log_km", "km_per_year", "km_per_year", "km per year of exposure",
                        "log", math.log(self.km_ref), 1.0, c["log_km"]),
            FeatureSpec("speeding", "speeding_per_100km_true", "speeding_per_100km_obs",
                        "speeding episodes per 100 km", "log1p", self.speeding_centre,
                        self.speeding_scale, c["speeding"]),
            FeatureSpec("fatigue", "fatigue_per_1000km_true", "fatigue_per_1000km_obs",
                        "fatigue events per 1,000 km", "log1p", 0.0, 1.0, c["fatigue"]),
            FeatureSpec("night", "night_share_true", "night_share_obs",
                        "share of km 22:00-06:00", "identity", 0.0, 1.0, c["night"]),
            FeatureSpec("dsm", "dsm_per_1000km_true", "dsm_per_1000km_obs",
                        "DSM/ADAS alarms per 1,000 km", "log1p", 0.0, 1.0, c["dsm"]),
            FeatureSpec("offline", "offline_share", "offline_share",
                        "share of operating time offline", "identity", 0.0, 1.0, c["offline"]),
            FeatureSpec("tanker", "tanker", "tanker", "1 = tank vehicle", "identity",
                        0.0, 1.0, c["tanker"]),
            FeatureSpec("vehicle_age", "vehicle_age", "vehicle_age",
                        "policy year - build year (0 when the build year is unknown)",
                        "identity", 0.0, 1.0, c["vehicle_age"]),
        ]  # fmt: skip


@dataclass
class InsuranceResult:
    """Output of :func:`make_insurance` / :func:`make_insurance_book`.

    Attributes
    ----------
    policies : DataFrame
        README ``policies.csv`` columns exactly (dates as ``YYYY-MM-DD`` strings).
    claims : DataFrame
        README ``claims.csv`` columns exactly.
    insurers : DataFrame
        ``insurer_id, name`` (README ``insurers.csv``).
    vehicle_years : DataFrame
        One row per policy: true and observed covariates, km, exposure, the true expected
        frequency (``freq_true`` per year, ``lambda_true`` expected claims), severity
        expectations, limit, NCD, premium and realised claims.
    claims_truth : DataFrame
        Per claim: ``claim_id, component`` (``attritional`` / ``catastrophe``),
        ``amount_uncapped_cny, policy_limit_cny, capped, sev_mean_attritional``.
    truth : dict
        The generating process (``truth/claims_model.json``); see :func:`_truth_dict`.
    enterprises, vehicles : DataFrame or None
        The synthetic inputs when drawn by :func:`make_insurance_book`.
    """

    policies: pd.DataFrame
    claims: pd.DataFrame
    insurers: pd.DataFrame
    vehicle_years: pd.DataFrame
    claims_truth: pd.DataFrame
    truth: dict[str, Any]
    enterprises: pd.DataFrame | None = None
    vehicles: pd.DataFrame | None = None

    def to_files(self, out_dir: str | Path, *, as_at: str | None = None) -> list[Path]:
        """Write the insurance files and their truth under ``out_dir``.

        Writes ``insurance/policies.csv``, ``insurance/claims.csv``, ``insurance/insurers.csv``
        (UTF-8, header, ``\\n`` line ends), ``truth/claims_model.json``,
        ``truth/vehicle_years.parquet`` and ``truth/claims_truth.parquet``. Output bytes are
        a function of the result (and ``as_at``) only.

        Parameters
        ----------
        as_at : str, optional
            Export date (``YYYY-MM-DD``): ``claims.csv`` then holds only the claims reported
            by that day, as the insurer's export would; the truth keeps every claim.

        Returns
        -------
        list of Path
            The files written, in the order above.
        """
        out = Path(out_dir)
        (out / "insurance").mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        claims = self.claims
        truth = self.truth
        if as_at is not None:
            claims = claims[claims["report_date"].astype(str) <= as_at] if len(claims) else claims
            truth = {**truth, "reporting": {**truth["reporting"], "export_as_at": as_at,
                                            "claims_in_export": len(claims)}}
        for name, df in (
            ("policies", self.policies),
            ("claims", claims),
            ("insurers", self.insurers),
        ):
            path = out / "insurance" / f"{name}.csv"
            df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
            written.append(path)
        path = out / "truth" / "claims_model.json"
        path.write_text(
            json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
            encoding="utf-8",
        )
        written.append(path)
        for name, df in (("vehicle_years", self.vehicle_years), ("claims_truth", self.claims_truth)):
            path = out / "truth" / f"{name}.parquet"
            df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")
            written.append(path)
        return written


# --------------------------------------------------------------------------------------------
# synthetic enterprises and vehicles (make_insurance_book)
# --------------------------------------------------------------------------------------------


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


def _synthetic_fleet(
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


# --------------------------------------------------------------------------------------------
# the generator
# --------------------------------------------------------------------------------------------


def _check_columns(df: pd.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}")


def _day_offsets(values: pd.Series, origin: np.datetime64) -> np.ndarray:
    """Days since ``origin`` of optional date values (NaN for empty)."""
    d = pd.to_datetime(values, errors="coerce")
    arr = d.to_numpy(dtype="datetime64[D]")
    out = (arr - origin).astype("timedelta64[D]").astype(float)
    out[pd.isna(d).to_numpy()] = np.nan
    return out


def _iso(origin: np.datetime64, days: np.ndarray) -> list[str]:
    return [str(d) for d in (origin + days.astype("timedelta64[D]"))]


def _capped_gamma_mean(mean: np.ndarray, shape: float, limit: np.ndarray) -> np.ndarray:
    """``E[min(X, L)]`` for ``X ~ Gamma(shape, mean/shape)``."""
    scale = mean / shape
    z = limit / scale
    return np.asarray(mean * gammainc(shape + 1.0, z) + limit * (1.0 - gammainc(shape, z)))


def _capped_pareto_mean(xm: np.ndarray, alpha: float, limit: np.ndarray) -> np.ndarray:
    """``E[min(X, L)]`` for ``X ~ Pareto(alpha, xm)`` (``alpha != 1``)."""
    lim = np.maximum(limit, xm)
    tail = xm**alpha * (lim ** (1.0 - alpha) - xm ** (1.0 - alpha)) / (1.0 - alpha)
    return np.asarray(np.where(limit <= xm, limit, xm + tail))


def _policy_limit(major: np.ndarray, tonnage: np.ndarray, multiplier: float) -> np.ndarray:
    """承运人责任险 statutory minimum per accident (regulatory-research §7)."""
    toxic = np.isin(major, [1, 6])
    heavy = tonnage > 10.0
    base = np.where(toxic, np.where(heavy, 400_000.0, 300_000.0), np.where(heavy, 300_000.0, 200_000.0))
    return np.asarray(base * multiplier)


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
    years = [int(y) for y in years]
    if not years or years != list(range(years[0], years[0] + len(years))):
        raise ValueError(f"years must be consecutive, got {years}")
    _check_columns(enterprises, ENTERPRISE_COLUMNS, "enterprises")
    _check_columns(vehicles, VEHICLE_COLUMNS, "vehicles")
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
    n_ent, nv = len(ent), len(veh)
    owner = veh["enterprise_id"].astype(str).map(ent_index).to_numpy(dtype=int)
    culture = ent["safety_culture"].to_numpy(dtype=float)

    # -- enterprise random effect (step 2) -------------------------------------------------
    rho = p.rho_culture if correlated else 0.0
    z_e = rng.normal(0.0, 1.0, n_ent)
    sigma = p.sigma_enterprise
    u = -sigma * (rho * culture + math.sqrt(1.0 - rho**2) * z_e) - sigma**2 / 2.0
    u_v = u[owner] + (
        rng.normal(-p.sigma_vehicle**2 / 2, p.sigma_vehicle, nv) if p.sigma_vehicle > 0 else 0.0
    )

    # -- insurers ----------------------------------------------------------------------------
    n_ins = int(rng.integers(3, 5))
    if insurers is not None:
        _check_columns(insurers, INSURERS_COLUMNS, "insurers")
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
    n_years = len(years)
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

    # -- static vehicle attributes --------------------------------------------------------
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
    limit = _policy_limit(major, tonnage, p.limit_multiplier)
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

    # -- cover: join / leave (step 1) -----------------------------------------------------
    origin = np.datetime64(f"{years[0]}-01-01", "D")
    window = int((np.datetime64(f"{years[-1] + 1}-01-01", "D") - origin).astype(int))
    # random join/leave unless the registry says when the vehicle was in service
    joins_late = rng.uniform(size=nv) < p.p_join_during
    join = np.where(joins_late, np.floor(rng.uniform(size=nv) * window), 0.0)
    leaves = rng.uniform(size=nv) < p.p_leave
    leave_at = join + np.floor(rng.uniform(size=nv) * (window - join))
    leave = np.where(leaves, leave_at, window - 1.0)
    if "valid_from" in veh.columns:
        vf = _day_offsets(veh["valid_from"], origin)
        join = np.where(np.isnan(vf), 0.0, np.maximum(vf, 0.0))
    if "valid_to" in veh.columns:
        vt_ = _day_offsets(veh["valid_to"], origin)
        leave = np.where(np.isnan(vt_), window - 1.0, np.minimum(vt_, window - 1.0))

    # -- base behaviour and the features spec ---------------------------------------------
    specs = p.feature_specs()
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

    def eta_of(cols: Mapping[str, np.ndarray], year: int) -> np.ndarray:
        eta = np.full(nv, p.intercept + p.year_effects.get(year, 0.0))
        for spec in specs:
            eta = eta + spec.coef * spec.apply(cols[spec.true_column])
        return np.asarray(eta + u_v)

    # -- NCD state: history before the first year (step 7) ------------------------------
    base_cols = {
        "km_per_year": km_base,
        "speeding_per_100km_true": base["speeding"],
        "fatigue_per_1000km_true": base["fatigue"],
        "night_share_true": night_base,
        "dsm_per_1000km_true": base["dsm"],
        "offline_share": offline_base,
        "tanker": tanker_i.astype(float),
        "vehicle_age": _vehicle_age(years[0], build_year),
    }
    freq_base = np.exp(eta_of(base_cols, years[0]))
    ncd_level = np.zeros(nv, dtype=int)  # index into ncd_factors is level + 4
    prior = rng_c.poisson(np.repeat(freq_base[:, None], p.ncd_prehistory_years, axis=1))
    for k in range(p.ncd_prehistory_years):
        ncd_level = _ncd_step(ncd_level, prior[:, k])
    ncd_level = np.where(join > 0, 0, ncd_level)

    tariff_upper = np.array([b for b, _ in p.tariff_bands])
    tariff_cny = np.array([v for _, v in p.tariff_bands])
    tariff = tariff_cny[np.searchsorted(tariff_upper, tonnage, side="left")]
    loading = np.array([p.class_loading.get(int(m), 1.0) for m in major])
    cls_eff = np.array([p.class_effects.get(int(m), 0.0) for m in major])

    frames: list[pd.DataFrame] = []
    for t, year in enumerate(years):
        insurer_of_ent = insurer_by_year[t]
        y0 = float((np.datetime64(f"{year}-01-01", "D") - origin).astype(int))
        y1 = float((np.datetime64(f"{year + 1}-01-01", "D") - origin).astype(int)) - 1.0
        start = np.maximum(join, y0)
        end = np.minimum(leave, y1)
        days = np.maximum(end - start + 1.0, 0.0)
        exposure = days / (y1 - y0 + 1.0)
        # true behaviour this year (step 3): drawn for every vehicle, so the random stream
        # does not depend on who is insured
        rel = year - years[-1]
        true_rate = {}
        for name in ("speeding", "fatigue", "dsm"):
            wobble = rng.normal(0.0, p.year_noise_sd, nv)
            true_rate[name] = base[name] * np.exp(p.trend_per_year.get(name, 0.0) * rel + wobble)
        night = expit(logit(night_base) + rng.normal(0.0, p.share_noise_sd, nv))
        offline = expit(logit(offline_base) + rng.normal(0.0, p.offline_noise_sd, nv))
        km_rate = km_base * np.exp(rng.normal(-(p.km_noise_sd**2) / 2, p.km_noise_sd, nv))
        km = km_rate * exposure
        # measurement layer (step 4)
        online_km = km * (1.0 - offline)
        n_speed = rng.poisson(online_km / 100.0 * (true_rate["speeding"] + p.speeding_false_per_100km))
        n_fat = rng.poisson(online_km / 1000.0 * true_rate["fatigue"])
        n_dsm = rng.poisson(online_km / 1000.0 * (true_rate["dsm"] * sens + dsm_false))
        safe_km = np.where(km > 0, km, 1.0)
        cols = {
            "km_per_year": km_rate,
            "speeding_per_100km_true": true_rate["speeding"],
            "fatigue_per_1000km_true": true_rate["fatigue"],
            "night_share_true": night,
            "dsm_per_1000km_true": true_rate["dsm"],
            "offline_share": offline,
            "tanker": tanker_i.astype(float),
            "vehicle_age": _vehicle_age(year, build_year),
        }
        eta = eta_of(cols, year)
        freq = np.exp(eta)
        lam = exposure * freq
        n_claims = rng_c.poisson(lam)
        # severity expectations (step 6)
        sev_mu = np.exp(
            p.sev_log_mean
            + cls_eff
            + p.sev_tanker * tanker_i
            + p.sev_night * night
            + p.sev_log_tonnage * np.log(tonnage / p.tonnage_ref)
            + p.sev_trend * t
        )
        tail_xm = p.pareto_xm * np.exp(cls_eff + p.sev_trend * t)
        sev_mean = (1.0 - p.tail_share) * _capped_gamma_mean(sev_mu, p.gamma_shape, limit) + (
            p.tail_share * _capped_pareto_mean(tail_xm, p.pareto_alpha, limit)
        )
        ncd_factor = np.array(p.ncd_factors)[ncd_level + 4]
        premium = exposure * tariff * loading * ncd_factor * ins_factor[insurer_of_ent[owner]]
        active = days > 0
        idx = np.flatnonzero(active)
        frames.append(
            pd.DataFrame(
                {
                    "year": year,
                    "vehicle_id": veh["vehicle_id"].astype(str).to_numpy()[idx],
                    "enterprise_id": veh["enterprise_id"].astype(str).to_numpy()[idx],
                    "insurer_id": np.array(ins_ids)[insurer_of_ent[owner[idx]]],
                    "city": ent["city"].astype(str).to_numpy()[owner[idx]],
                    "hazmat_class": hz[idx],
                    "hazmat_major_class": major[idx],
                    "tanker": tanker_i[idx],
                    "tonnage_t": tonnage[idx],
                    "build_year": build_year[idx],
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
                    "device_sensitivity": sens[idx],
                    "dsm_false_per_1000km": dsm_false[idx],
                    "safety_culture": culture[owner[idx]],
                    "u_enterprise": u[owner[idx]],
                    "eta_true": eta[idx],
                    "freq_true": freq[idx],
                    "lambda_true": lam[idx],
                    "sev_mean_attritional": sev_mu[idx],
                    "tail_xm_cny": tail_xm[idx],
                    "sev_mean_true": sev_mean[idx],
                    "expected_loss_cny": (lam * sev_mean)[idx],
                    "policy_limit_cny": limit[idx],
                    "ncd_level": ncd_level[idx],
                    "ncd_factor": ncd_factor[idx],
                    "insurer_factor": ins_factor[insurer_of_ent[owner[idx]]],
                    "premium_cny": np.round(premium[idx], 2),
                    "n_claims": n_claims[idx],
                }
            )
        )
        ncd_level = np.where(active, _ncd_step(ncd_level, n_claims), ncd_level)

    vy = pd.concat(frames, ignore_index=True)
    vy = vy.sort_values(["year", "vehicle_id"], kind="stable").reset_index(drop=True)
    seq = vy.groupby("year").cumcount().to_numpy() + 1
    vy.insert(0, "policy_id", [f"PL{y}-{i:06d}" for y, i in zip(vy["year"], seq, strict=True)])
    vy.insert(8, "start_date", _iso(origin, vy["start_day"].to_numpy()))
    vy.insert(9, "end_date", _iso(origin, vy["end_day"].to_numpy()))

    claims, claims_truth, amounts = _draw_claims(vy, origin, rng_c, p)
    vy["amount_cny"] = amounts
    vy = vy.drop(columns=["start_day", "end_day"])
    policies = vy[list(POLICIES_COLUMNS)].copy()
    truth = _truth_dict(p, specs, ent, u, rho, correlated, years, vy, claims_truth, ins_ids,
                        ins_factor, random_state)  # fmt: skip
    return InsuranceResult(
        policies=policies.reset_index(drop=True),
        claims=claims,
        insurers=ins_table,
        vehicle_years=vy,
        claims_truth=claims_truth,
        truth=truth,
    )


def _vehicle_age(year: int, build_year: np.ndarray) -> np.ndarray:
    """Policy year - build year, at least 0; 0 (no age term) where the build year is unknown."""
    return np.asarray(np.where(np.isnan(build_year), 0.0, np.maximum(year - build_year, 0.0)))


def _ncd_step(level: np.ndarray, n_claims: np.ndarray) -> np.ndarray:
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


def _draw_claims(
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
    dates = _iso(origin, loss_day)
    report_dates = _iso(origin, loss_day + delay)
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


def _truth_dict(
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
            "docstring of hazrisk/simulate/insurance.py); "
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
    enterprises, vehicles = _synthetic_fleet(int(n_enterprises), rng)
    res = make_insurance(
        enterprises, vehicles, years=years, random_state=rng, correlated=correlated, params=params
    )
    res.enterprises = enterprises
    res.vehicles = vehicles
    if isinstance(random_state, int):
        res.truth["seed"] = random_state
    return res
