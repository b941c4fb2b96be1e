"""Parameters of the claims generating process and the book's fixed tables (columns,
cities, insurers, causes, UN classes); the process itself is described in the package
docstring (:mod:`hazrisk.simulate.insurance`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from hazrisk.simulate.insurance.truth import FeatureSpec

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
