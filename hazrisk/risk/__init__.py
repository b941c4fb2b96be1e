"""Premium-adjustment risk models: from safety histories to bounded, explained premium factors.

Library use (a notebook)::

    from hazrisk.risk import fit_and_validate, price_year, Bounds
    res = fit_and_validate(con, [2022, 2023, 2024], 2025)
    res.comparison, res.relativities, res.deciles        # validation
    ent, veh, pred = price_year(con, res.model, 2026, Bounds.default())

Modules: :mod:`.features` (warehouse -> policy / enterprise-year features),
:mod:`.design` (ColumnTransformers and pipelines), :mod:`.estimators` (own scikit-learn
estimators), :mod:`.models` (frequency, severity, Tweedie, GBM, relativities, confounding
diagnostic), :mod:`.credibility` (Bühlmann–Straub), :mod:`.development` (chain ladder),
:mod:`.validation`, :mod:`.premium`, :mod:`.modelcard`, :mod:`.persist` (skops),
:mod:`.plots`, :mod:`.workflow`, :mod:`.synthetic` (a simulated book straight into a
warehouse) and :mod:`.cli`. See ``hazrisk/risk/README.md``.
"""

from __future__ import annotations

from hazrisk.risk.credibility import Structure, credibility_factors, estimate_structure
from hazrisk.risk.development import development_table
from hazrisk.risk.estimators import GLMRegressor, MonotonicPoissonGBM, TelematicsCredibility
from hazrisk.risk.features import FEATURES, enterprise_features, policy_features
from hazrisk.risk.models import (
    RiskModel,
    Settings,
    experience_factors,
    fit_models,
    relativities,
)
from hazrisk.risk.persist import TRUSTED_TYPES, load, save
from hazrisk.risk.premium import PARTS, Bounds, premium_factors, what_if
from hazrisk.risk.validation import ae_by_decile, compare, double_lift, gini, lorenz_curve
from hazrisk.risk.workflow import FitResult, fit_and_validate, price_year, save_fit

__all__ = [
    "FEATURES",
    "PARTS",
    "TRUSTED_TYPES",
    "Bounds",
    "FitResult",
    "GLMRegressor",
    "MonotonicPoissonGBM",
    "RiskModel",
    "Settings",
    "Structure",
    "TelematicsCredibility",
    "ae_by_decile",
    "compare",
    "credibility_factors",
    "development_table",
    "double_lift",
    "enterprise_features",
    "estimate_structure",
    "experience_factors",
    "fit_and_validate",
    "fit_models",
    "gini",
    "load",
    "lorenz_curve",
    "policy_features",
    "premium_factors",
    "price_year",
    "relativities",
    "save",
    "save_fit",
    "what_if",
]
