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

from hazrisk.simulate.insurance.book import make_insurance_book, sample_behaviour
from hazrisk.simulate.insurance.claims import draw_severity
from hazrisk.simulate.insurance.generator import make_insurance
from hazrisk.simulate.insurance.params import (
    CLAIMS_COLUMNS,
    DEFAULT_YEARS,
    INSURERS_COLUMNS,
    POLICIES_COLUMNS,
    InsuranceParams,
    hazmat_major_class,
)
from hazrisk.simulate.insurance.result import InsuranceResult

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
