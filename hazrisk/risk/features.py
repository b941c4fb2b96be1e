"""Rating features per policy (vehicle-year) and per enterprise-year, from warehouse tables only.

Inputs: ``core.policies``, ``core.claims`` (``report_date``), ``core.vehicles``,
``safety.vehicle_months`` (the long-lived safety history: detected months and imported
archives) and, when present, ``rates.provider_rates``. Every feature has one definition, in
:data:`FEATURES` (Chinese and English name, unit, group); ``hazrisk/risk/README.md`` lists them.

Prospective by default: the telematics of calendar year ``t - 1`` price policy year ``t``
(``lag=1``); ``lag=0`` gives concurrent features. Missing telematics stays missing (NaN, with
``telematics_missing = 1``), never zero: the model's transformer fills it with the book mean
and keeps the indicator.

Per-km rates are per **online** km, ``km * (1 - offline_share)`` (at least ``min_online_share``
of it): events are only visible while the terminal reports, so counting them on all km would
make an offline fleet look safe (insurance.md "more offline time never lowers a factor").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from hazrisk.simulate.insurance import hazmat_major_class

Group = Literal["key", "target", "tariff", "exposure", "behaviour", "management", "data_quality",
                "experience"]


@dataclass(frozen=True)
class FeatureDef:
    """One feature: column name, 中文名, English name, unit and group (a premium-factor part)."""

    name: str
    zh: str
    en: str
    unit: str
    group: Group


#: Every column of :func:`policy_features`, one definition each.
FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef("policy_id", "保单号", "policy id", "", "key"),
    FeatureDef("vehicle_id", "车辆", "vehicle id", "", "key"),
    FeatureDef("enterprise_id", "企业", "enterprise id", "", "key"),
    FeatureDef("year", "保单年度", "policy (accident) year", "year", "key"),
    FeatureDef("feature_year", "特征年度", "calendar year of the telematics", "year", "key"),
    FeatureDef("exposure_years", "暴露", "earned exposure", "vehicle-years", "exposure"),
    FeatureDef("premium_cny", "现行保费", "current premium", "CNY", "exposure"),
    FeatureDef("n_claims", "报案件数", "claims reported by the as-at date", "claims", "target"),
    FeatureDef("amount_cny", "赔款", "claim amount reported", "CNY", "target"),
    FeatureDef("amount_capped_cny", "封顶赔款", "claim amount capped at the large-loss cap", "CNY",
               "target"),
    FeatureDef("amount_excess_cny", "超额赔款", "amount above the large-loss cap", "CNY", "target"),
    FeatureDef("hazmat_major_class", "危险货物类别", "UN hazard class (1-9)", "class", "tariff"),
    FeatureDef("tanker", "罐式车辆", "tank vehicle (1/0)", "flag", "tariff"),
    FeatureDef("tonnage_t", "核定载质量", "rated load", "t", "tariff"),
    FeatureDef("years_registered", "登记年限", "years since first registration on the platform",
               "years", "tariff"),
    FeatureDef("vehicle_age", "车龄", "policy year - build year (registry build_year, 出厂年份)",
               "years", "tariff"),
    FeatureDef("vehicle_age_missing", "车龄缺失", "the registry has no build year (1/0)", "flag",
               "tariff"),
    FeatureDef("enterprise_vehicles", "企业规模", "vehicles of the enterprise insured that year",
               "vehicles", "tariff"),
    FeatureDef("km", "里程", "km in the feature year (detected or archived)", "km", "exposure"),
    FeatureDef("km_per_year", "年里程", "km per registered year", "km/year", "behaviour"),
    FeatureDef("speeding_per_100km", "超速率", "speeding events per 100 online km",
               "1/100 km", "behaviour"),
    FeatureDef("fatigue_per_1000km", "疲劳驾驶率", "fatigue events per 1,000 online km",
               "1/1000 km", "behaviour"),
    FeatureDef("night_km_share", "夜间行驶占比", "share of km 22:00-06:00", "share", "behaviour"),
    FeatureDef("night_ban_per_1000km", "夜间禁行违规率", "night-ban events per 1,000 online km",
               "1/1000 km", "behaviour"),
    FeatureDef("off_route_per_1000km", "偏离路线率", "off-route events per 1,000 online km",
               "1/1000 km", "behaviour"),
    FeatureDef("adas_dsm_per_1000km", "主动安全报警率", "ADAS + DSM alarms per 1,000 online km",
               "1/1000 km", "behaviour"),
    FeatureDef("reminded_share", "提醒率", "share of violations reminded", "share", "management"),
    FeatureDef("escalated_share", "上报率", "share of violations escalated", "share", "management"),
    FeatureDef("time_to_reminder_min", "提醒时长", "time to reminder (mean of monthly medians)",
               "min", "management"),
    FeatureDef("offline_share", "离线时长占比", "share of registered time offline", "share",
               "data_quality"),
    FeatureDef("data_quality_rate", "数据合格率（车辆）", "qualified positions / positions", "share",
               "data_quality"),
    FeatureDef("provider_completeness", "轨迹完整率（服务商）",
               "provider's latest trajectory completeness (km)", "share", "data_quality"),
    FeatureDef("provider_qualification", "数据合格率（服务商）",
               "provider's latest data qualification", "share", "data_quality"),
    FeatureDef("telematics_missing", "无动态数据", "no telematics in the feature year (1/0)", "flag",
               "data_quality"),
    FeatureDef("veh_prev_claims", "车辆既往赔案", "the vehicle's claims in earlier policy years",
               "claims", "experience"),
    FeatureDef("veh_prev_exposure", "车辆既往暴露", "the vehicle's earlier exposure",
               "vehicle-years", "experience"),
)
FEATURE_BY_NAME = {f.name: f for f in FEATURES}

#: Per-online-km rates: (feature, count column, km per unit).
RATE_FEATURES: tuple[tuple[str, str, float], ...] = (
    ("speeding_per_100km", "n_speeding", 100.0),
    ("fatigue_per_1000km", "n_fatigue", 1000.0),
    ("night_ban_per_1000km", "n_night_ban", 1000.0),
    ("off_route_per_1000km", "n_off_route", 1000.0),
    ("adas_dsm_per_1000km", "n_adas_dsm", 1000.0),
)


class FeatureError(ValueError):
    """The warehouse lacks what the features need; the message says what to run."""


@cache
def read_sql(name: str) -> str:
    """Text of ``hazrisk/risk/sql/<name>.sql``."""
    return resources.files("hazrisk.risk").joinpath("sql", f"{name}.sql").read_text("utf-8")


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s AND table_name = $n",
        {"s": schema, "n": name}).fetchall()
    views = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE schema_name = $s AND view_name = $n",
        {"s": schema, "n": name}).fetchall()
    return bool(rows[0][0] or views[0][0])


def has_report_date(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``core.claims`` carries ``report_date`` (older warehouses do not)."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'core' "
        "AND table_name = 'claims' AND column_name = 'report_date'").fetchall()
    return bool(rows[0][0])


def require_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Raise :class:`FeatureError` when an input relation is missing; create the temporary
    ``risk_claims`` view the SQL reads."""
    for schema, name, how in (
        ("core", "policies", "hazrisk registry import (insurance/policies.csv)"),
        ("core", "claims", "hazrisk registry import (insurance/claims.csv)"),
        ("safety", "vehicle_months", "hazrisk detect, or hazrisk history import"),
    ):
        if not relation_exists(con, schema, name):
            raise FeatureError(f"the warehouse has no {schema}.{name}; run {how} first")
    con.execute(read_sql("claims_view" if has_report_date(con) else "claims_view_no_report"))


def latest_report_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """Latest report (or loss) date in ``core.claims``: the default as-at date."""
    require_inputs(con)
    row = con.execute("SELECT max(coalesce(report_date, loss_date)) FROM risk_claims").fetchone()
    return row[0] if row else None


def _vehicle_years(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(read_sql("vehicle_years")).df()


def _rates(vy: pd.DataFrame, min_online_share: float) -> pd.DataFrame:
    """Per-km, share and handling features of vehicle-years (NaN where undefined)."""
    km = vy["km"].astype(float)
    has = km > 0
    online_share = (1.0 - vy["offline_share"].fillna(0.0).astype(float)).clip(lower=min_online_share)
    online = km * online_share
    out = pd.DataFrame(index=vy.index)
    days = vy["days_registered"].astype(float)
    out["km_per_year"] = (km / days.where(days > 0) * 365.25).where(has)
    for name, count, per in RATE_FEATURES:
        out[name] = (vy[count].astype(float) / online * per).where(has)
    out["night_km_share"] = (vy["night_km"].astype(float) / km).where(has).clip(0.0, 1.0)
    nviol = vy["n_violations"].astype(float)
    out["reminded_share"] = (vy["n_reminded"].astype(float) / nviol).where(nviol > 0)
    out["escalated_share"] = (vy["n_escalated"].astype(float) / nviol).where(nviol > 0)
    out["time_to_reminder_min"] = vy["time_to_reminder_s"].astype(float) / 60.0
    out["offline_share"] = vy["offline_share"].astype(float).clip(0.0, 1.0)
    pos = vy["positions"].astype(float)
    out["data_quality_rate"] = (vy["positions_qualified"].astype(float) / pos).where(pos > 0)
    return out


def policy_features(
    con: duckdb.DuckDBPyConnection,
    years: list[int] | range,
    *,
    as_at: date | None = None,
    lag: int = 1,
    large_loss_cap: float = 150_000.0,
    min_online_share: float = 0.05,
) -> pd.DataFrame:
    """One row per policy of ``years`` with the columns of :data:`FEATURES`.

    Parameters
    ----------
    con : DuckDB connection
        The warehouse.
    years : list of int
        Policy years.
    as_at : date, optional
        Only claims reported by this date count (default: the latest report date).
    lag : int, default 1
        Telematics of year ``t - lag`` describe policy year ``t`` (1 = prospective,
        0 = concurrent).
    large_loss_cap : float
        Claims are also summed capped at this amount (conf ``[risk] large_loss_cap_cny``).
    min_online_share : float
        Floor of the online share used for per-online-km rates.

    Returns
    -------
    DataFrame
        Sorted by year and policy id.
    """
    require_inputs(con)
    as_at = as_at or latest_report_date(con) or date(9999, 12, 31)
    years = [int(y) for y in years]
    pol = con.execute(read_sql("policies"),
                      {"years": years, "as_at": as_at, "cap": float(large_loss_cap)}).df()
    if pol.empty:
        raise FeatureError(f"no policies in years {years[0]}-{years[-1]} (core.policies)")
    pol["hazmat_major_class"] = [_major(h) for h in pol["hazmat_class"]]
    vt = pol["vehicle_type"].fillna("").astype(str)
    pol["tanker"] = (vt.str.contains("罐") | vt.str.lower().str.contains("tank")).astype(float)
    pol["feature_year"] = pol["year"] - int(lag)
    vy = _vehicle_years(con)
    feats = pd.concat([vy[["vehicle_id", "feature_year", "km", "provider_id"]],
                       _rates(vy, min_online_share)], axis=1)
    out = pol.merge(feats, on=["vehicle_id", "feature_year"], how="left")
    out["telematics_missing"] = (~(out["km"] > 0)).astype(float)
    out["vehicle_age"] = out["vehicle_age"].astype(float)
    out["vehicle_age_missing"] = out["vehicle_age"].isna().astype(float)
    out = _add_provider_quality(con, out)
    out = _add_history(con, out, as_at)
    ordered = [f.name for f in FEATURES]
    extra = [c for c in ("insurer_id", "provider_id", "maker_id", "hazmat_class")
             if c in out.columns]
    return out[ordered + extra].sort_values(["year", "policy_id"]).reset_index(drop=True)


def _major(value: object) -> float:
    try:
        return float(hazmat_major_class(value))
    except ValueError:
        return float("nan")


def _add_provider_quality(con: duckdb.DuckDBPyConnection, out: pd.DataFrame) -> pd.DataFrame:
    out["provider_completeness"] = np.nan
    out["provider_qualification"] = np.nan
    if not (relation_exists(con, "rates", "provider_rates")
            and relation_exists(con, "rates", "periods")):
        return out
    for year in sorted(out["year"].unique()):
        q = con.execute(read_sql("provider_quality"), {"until": date(int(year), 12, 31)}).df()
        if q.empty:
            continue
        m = out["year"] == year
        sub = out.loc[m, ["provider_id"]].merge(q, on="provider_id", how="left")
        out.loc[m, "provider_completeness"] = sub["provider_completeness"].to_numpy(float)
        out.loc[m, "provider_qualification"] = sub["provider_qualification"].to_numpy(float)
    return out


def _add_history(con: duckdb.DuckDBPyConnection, out: pd.DataFrame, as_at: date) -> pd.DataFrame:
    """The vehicle's claims and exposure in policy years before ``year`` (known by then)."""
    hist = con.execute(read_sql("vehicle_history"), {"as_at": as_at}).df()
    hist = hist.groupby(["vehicle_id", "year"], as_index=False)[["e", "n"]].sum()
    hist = hist.sort_values(["vehicle_id", "year"])
    g = hist.groupby("vehicle_id")
    hist["prev_n"] = g["n"].cumsum() - hist["n"]
    hist["prev_e"] = g["e"].cumsum() - hist["e"]
    m = out[["vehicle_id", "year"]].merge(hist[["vehicle_id", "year", "prev_n", "prev_e"]],
                                          on=["vehicle_id", "year"], how="left")
    prev_n = m["prev_n"].fillna(0.0).to_numpy(float)
    prev_e = m["prev_e"].fillna(0.0).to_numpy(float)
    out["veh_prev_claims"] = prev_n
    out["veh_prev_exposure"] = prev_e
    return out


def enterprise_features(policies: pd.DataFrame) -> pd.DataFrame:
    """Enterprise-year features: exposure-weighted means of the policy features.

    Rates are re-derived from summed km (km-weighted means), so a large, well-observed vehicle
    counts more than a vehicle observed for a week; ``telematics_share`` is the share of
    exposure with telematics.
    """
    df = policies.copy()
    w = df["exposure_years"].astype(float)
    kmw = df["km"].fillna(0.0).astype(float)
    rows = []
    for (ent, year), g in df.groupby(["enterprise_id", "year"], sort=True):
        gw, gk = w.loc[g.index], kmw.loc[g.index]
        rec: dict[str, object] = {"enterprise_id": ent, "year": int(str(year)),
                                  "vehicles": int(g["vehicle_id"].nunique()),
                                  "exposure_years": float(gw.sum()),
                                  "premium_cny": float(g["premium_cny"].sum()),
                                  "n_claims": float(g["n_claims"].sum()),
                                  "amount_cny": float(g["amount_cny"].sum()),
                                  "km": float(gk.sum()),
                                  "telematics_share": float((gw * (1 - g["telematics_missing"])).sum()
                                                            / max(gw.sum(), 1e-12))}
        for f in FEATURES:
            if f.group in ("behaviour", "management", "data_quality") and f.name in g:
                x = g[f.name].astype(float)
                ww = (gk if f.group == "behaviour" and f.name != "km_per_year" else gw).where(x.notna(), 0)
                rec[f.name] = float((x.fillna(0) * ww).sum() / ww.sum()) if ww.sum() > 0 else np.nan
        rows.append(rec)
    return pd.DataFrame(rows)
