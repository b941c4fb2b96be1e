"""Provider evaluation from the snapshot: rates, floors, ranking, trends, drill-down, devices.

Every function takes the connection of :func:`~hazrisk.snapshot.open_snapshot` and a period
label (``2026-10`` or ``2026-10-01..2026-10-03``, as ``hazrisk rates`` computed it) and
returns a DataFrame; rates are fractions (0-1), as in ``hazrisk rates --format json``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hazrisk.period import Period
from hazrisk.snapshot.core import period_params, query


def provider_rates(con: duckdb.DuckDBPyConnection, period: str | Period,
                   provider: str | None = None) -> pd.DataFrame:
    """Provider x metric: numerator, denominator, rate, 95 % interval, points, ``floor_failed``."""
    return query(con, "provider_rates", {**_period(period), "provider": provider})


def floors_failed(con: duckdb.DuckDBPyConnection, period: str | Period,
                  provider: str | None = None) -> pd.DataFrame:
    """The rows of :func:`provider_rates` whose rate is beyond the metric's floor."""
    df = provider_rates(con, period, provider)
    return df[df["floor_failed"]].reset_index(drop=True)


def ranking(con: duckdb.DuckDBPyConnection, period: str | Period,
            provider: str | None = None) -> pd.DataFrame:
    """Composite score and rank, change against the previous period, floors failed."""
    return query(con, "ranking", {**_period(period), "provider": provider})


def rate_trends(con: duckdb.DuckDBPyConnection, period: str | Period, n: int = 12,
                provider: str | None = None) -> pd.DataFrame:
    """Rates and composite score of the last ``n`` periods of the same kind, oldest first."""
    p = period_params(period)
    return query(con, "rate_trends", {"period": p["period"], "d0": p["d0"], "n": int(n),
                                      "provider": provider})


def worst_vehicles(con: duckdb.DuckDBPyConnection, period: str | Period, *,
                   provider: str | None = None, metric: str | None = None, n: int = 5,
                   failing_only: bool = True) -> pd.DataFrame:
    """The ``n`` worst vehicles per provider and metric (``failing_only``: failed floors only).

    ``failing`` counts what the vehicle fails in the metric's unit (vehicles, vehicle-days,
    records or km; ``unit``), ``checks`` names the failing checks of vehicle-based metrics.
    """
    return query(con, "worst_vehicles", {**_period(period), "provider": provider,
                                         "metric": metric, "n": int(n),
                                         "failing_only": bool(failing_only)})


def device_kpis(con: duckdb.DuckDBPyConnection, period: str | Period,
                maker: str | None = None) -> pd.DataFrame:
    """24 h repair rate and data preservation per maker and model (``*`` = the maker)."""
    return query(con, "device_kpis", {**_period(period), "maker": maker})


def _period(period: str | Period) -> dict[str, str]:
    return {"period": period_params(period)["period"]}
