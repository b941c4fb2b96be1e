"""Design matrices: the ``ColumnTransformer`` of each feature set and the model pipelines.

Feature sets (the comparison table of issue 10 §5):

- ``tariff``: what the current tariff prices -- UN class, tanker, log tonnage, vehicle age
  (a missing build year: the median age and ``vehicle_age_missing`` = 1, never a silent 0).
- ``no_telematics``: tariff + log enterprise size + the vehicle's earlier claims (NCD-like).
- ``telematics``: tariff + log enterprise size + log km per year + per-online-km behaviour
  rates (``log1p``), night share, handling shares, offline share and the missing-telematics
  flag, each rate shrunk toward the book mean by ``Z = km / (km + k)``.

Model columns are named after their feature; ``TRANSFORMS`` says which were logged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from hazrisk.risk.estimators import GLMRegressor, MonotonicPoissonGBM, TelematicsCredibility

RATES = ("speeding_per_100km", "fatigue_per_1000km", "night_ban_per_1000km",
         "off_route_per_1000km", "adas_dsm_per_1000km")
SHARES = ("night_km_share", "reminded_share", "escalated_share", "offline_share")
#: Reference class first (UN class 3, flammable liquids: the commonest); unknown = reference.
CLASSES = ["3", "1", "2", "4", "5", "6", "7", "8", "9"]

#: Model column -> (feature, transform) for relativity tables.
TRANSFORMS: dict[str, tuple[str, str]] = {
    **{f"log1p_{r}": (r, "log1p") for r in RATES},
    **{s: (s, "identity") for s in SHARES},
    "telematics_missing": ("telematics_missing", "identity"),
    "km_per_year": ("km_per_year", "log"),
    "tonnage_t": ("tonnage_t", "log"),
    "enterprise_vehicles": ("enterprise_vehicles", "log"),
    "tanker": ("tanker", "identity"),
    "vehicle_age": ("vehicle_age", "identity"),
    "vehicle_age_missing": ("vehicle_age_missing", "identity"),
    "veh_prev_claims": ("veh_prev_claims", "log1p"),
    "veh_prev_exposure": ("veh_prev_exposure", "identity"),
    **{f"hazmat_major_class_{c}": ("hazmat_major_class", f"= {c} (vs 3)") for c in CLASSES[1:]},
}

#: Premium-factor part of each model column (tariff columns are priced by the tariff).
PART_OF: dict[str, str] = {
    **{f"log1p_{r}": "behaviour" for r in RATES},
    "night_km_share": "behaviour",
    "km_per_year": "behaviour",
    "reminded_share": "management",
    "escalated_share": "management",
    "offline_share": "data_quality",
    "telematics_missing": "data_quality",
}

#: GBM monotonic constraints: more of these never lowers predicted risk (issue 10 §3).
MONOTONE = {"log1p_speeding_per_100km": 1, "log1p_fatigue_per_1000km": 1, "night_km_share": 1,
            "offline_share": 1, "log1p_adas_dsm_per_1000km": 1}


def _log_positive(X: Any) -> Any:
    """``log(max(x, 1))``: km/yr, tonnage and fleet size are >= 1 (an all-missing column,
    imputed as 0, becomes a constant 0 and is dropped)."""
    return np.log(np.maximum(X, 1.0))


def _log_imputed() -> Pipeline:
    return Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                     ("log", FunctionTransformer(_log_positive, feature_names_out="one-to-one"))])


def _string_class(X: Any) -> Any:
    return X.astype("float").fillna(0).astype(int).astype(str)


def _tariff() -> list[tuple[str, Any, list[str]]]:
    onehot = Pipeline([
        ("str", FunctionTransformer(_string_class, feature_names_out="one-to-one")),
        ("onehot", OneHotEncoder(categories=[CLASSES], drop="first", handle_unknown="ignore",
                                 sparse_output=False))])
    return [("class", onehot, ["hazmat_major_class"]),
            ("tanker", SimpleImputer(strategy="constant", fill_value=0.0), ["tanker"]),
            ("tonnage", _log_imputed(), ["tonnage_t"]),
            ("age", SimpleImputer(strategy="median", keep_empty_features=True), ["vehicle_age"]),
            ("age_missing", SimpleImputer(strategy="constant", fill_value=1.0),
             ["vehicle_age_missing"])]


def column_transformer(feature_set: str, *, k_km: float = 4000.0) -> ColumnTransformer:
    """The ``ColumnTransformer`` of a feature set (``tariff``, ``no_telematics``,
    ``telematics``, ``severity``)."""
    parts = _tariff()
    if feature_set in ("no_telematics", "telematics"):
        parts.append(("size", _log_imputed(), ["enterprise_vehicles"]))
    if feature_set == "no_telematics":
        parts.append(("experience", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value=0.0)),
            ("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one"))]),
            ["veh_prev_claims"]))
        parts.append(("exposure_history", SimpleImputer(strategy="constant", fill_value=0.0),
                      ["veh_prev_exposure"]))
    if feature_set == "telematics":
        parts.append(("km", _log_imputed(), ["km_per_year"]))
        parts.append(("telematics", TelematicsCredibility(km_column="km", k=k_km,
                                                          log1p_columns=list(RATES)),
                      ["km", *RATES, *SHARES]))
    if feature_set == "severity":
        parts.append(("telematics", TelematicsCredibility(km_column="km", k=k_km),
                      ["km", "night_km_share"]))
    if feature_set not in ("tariff", "no_telematics", "telematics", "severity"):
        raise ValueError(f"unknown feature set {feature_set!r}")
    ct = ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)
    return ct.set_output(transform="pandas")


def glm_pipeline(feature_set: str, *, family: str = "poisson", power: float = 1.5,
                 k_km: float = 4000.0) -> Pipeline:
    """ColumnTransformer -> drop constant columns -> :class:`GLMRegressor`."""
    return Pipeline([("features", column_transformer(feature_set, k_km=k_km)),
                     ("constant", VarianceThreshold(0.0).set_output(transform="pandas")),
                     ("glm", GLMRegressor(family=family, power=power))])


def gbm_pipeline(*, k_km: float = 4000.0, random_state: int = 0) -> Pipeline:
    """ColumnTransformer (telematics set) -> :class:`MonotonicPoissonGBM`."""
    return Pipeline([("features", column_transformer("telematics", k_km=k_km)),
                     ("gbm", MonotonicPoissonGBM(monotonic_cst=MONOTONE,
                                                 random_state=random_state))])


def model_columns(pipe: Pipeline) -> list[str]:
    """Names of the columns the final estimator sees."""
    return [str(c) for c in pipe[:-1].get_feature_names_out()]
