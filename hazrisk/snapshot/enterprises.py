"""Enterprise safety from the snapshot: league table, rule rates, handling, history, map data.

The league table and the history run the SQL of ``hazrisk safety`` / ``hazrisk safety
history`` (``hazrisk/safety/sql/report.sql``, ``history.sql``) over the published tables, so
their figures are those of the CLI for the same period.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from hazrisk.period import Period
from hazrisk.safety.sqlfiles import bound
from hazrisk.safety.sqlfiles import read_sql as safety_sql
from hazrisk.snapshot.core import as_period, period_params, query


def league_table(con: duckdb.DuckDBPyConnection, period: str | Period, *,
                 enterprise: str | None = None, city: str | None = None) -> pd.DataFrame:
    """The enterprise league table (``hazrisk safety``'s rows and order).

    ``city`` filters the rows shown; the city and province averages stay those of the whole
    province, as in the CLI. ``counts_by_rule_json`` holds the counts by rule.
    """
    p = period_params(period)
    df = con.execute(safety_sql("report"), bound("report", {
        "d0": p["d0"], "d1": p["d1"], "enterprise": enterprise})).df()
    if city is not None:
        df = df[df["city"] == city].reset_index(drop=True)
    return df


def rule_rates(con: duckdb.DuckDBPyConnection, period: str | Period, *,
               city: str | None = None) -> pd.DataFrame:
    """Violations per 100 km by rule: enterprise, its city and the province."""
    df = query(con, "rule_rates", _days(period))
    if city is not None:
        df = df[df["city"] == city].reset_index(drop=True)
    return df


def city_summary(con: duckdb.DuckDBPyConnection, period: str | Period) -> pd.DataFrame:
    """Per city: enterprises, vehicles, km, violations per 100 km, speeding events and
    fatigue minutes per online vehicle (the league table's city averages), unhandled."""
    return query(con, "city_summary", _days(period))


def handling(con: duckdb.DuckDBPyConnection, period: str | Period, *,
             enterprise: str | None = None, city: str | None = None) -> pd.DataFrame:
    """Reminders, escalations, dismissals and unhandled violations per enterprise."""
    df = query(con, "handling", _days(period))
    if enterprise is not None:
        df = df[df["enterprise_id"] == enterprise]
    if city is not None:
        df = df[df["city"] == city]
    return df.reset_index(drop=True)


def enterprise_history(con: duckdb.DuckDBPyConnection, enterprise: str, *,
                       first: str | None = None, last: str | None = None) -> pd.DataFrame:
    """One enterprise's monthly history (``hazrisk safety history``), months first..last."""
    return con.execute(safety_sql("history"), {"enterprise": enterprise, "p0": first,
                                               "p1": last}).df()


def violations_geo(con: duckdb.DuckDBPyConnection, period: str | Period, *,
                   enterprise: str | None = None, city: str | None = None) -> pd.DataFrame:
    """Violations with start coordinates (``lat_deg``, ``lon_deg``, WGS-84) for a map."""
    return query(con, "violations_geo", {**_days(period), "enterprise": enterprise,
                                         "city": city})


def driver_safety(con: duckdb.DuckDBPyConnection, period: str | Period, *,
                  enterprise: str | None = None) -> pd.DataFrame:
    """Drivers' and escorts' safety records of one month (``mart.driver_safety``: names and
    ID numbers masked as published), of one enterprise or all, most violations first. A
    period that is not a month has no rows (the records are monthly)."""
    return query(con, "driver_safety", {"period": as_period(period).label,
                                        "enterprise": enterprise})


def _days(period: str | Period) -> dict[str, Any]:
    p = period_params(period)
    return {"d0": p["d0"], "d1": p["d1"]}
