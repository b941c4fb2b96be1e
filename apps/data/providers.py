"""Providers and devices: ranking, rates, trends, the drill-down to failing vehicles, device
KPIs (aggregates for every role; the drill-down for the evaluator and the provider itself)."""

from __future__ import annotations

import pandas as pd

from data.core import read, scoped
from hazrisk.portal.scope import Viewer

#: Per-vehicle drill-down rows read for one provider and metric (the page shows them all).
DRILL_LIMIT = 10_000


def ranking(v: Viewer, period: str) -> pd.DataFrame:
    """Composite ranking with the verdict 合格/不合格 (no floor failed / some failed)."""
    df = read("ranking", period).copy()
    df["verdict"] = df["floors_failed"].map(lambda n: "不合格 fail" if n else "合格 pass")
    return scoped(df, v)


def provider_rates(v: Viewer, period: str, provider: str | None = None) -> pd.DataFrame:
    df = read("provider_rates", period, provider).copy()
    df["verdict"] = df["floor_failed"].map(lambda f: "低于底线 below floor" if f else "")
    return scoped(df, v)


def rate_trends(v: Viewer, period: str, provider: str | None = None) -> pd.DataFrame:
    return scoped(read("rate_trends", period, 12, provider), v)


def failing_vehicles(v: Viewer, period: str, provider: str, metric: str) -> pd.DataFrame:
    """The vehicles/records failing ``metric`` at ``provider`` with the failing check named
    (evaluator: any provider; operator: its own)."""
    v.check_provider(provider)
    df = read("worst_vehicles", period, provider=provider, metric=metric, n=DRILL_LIMIT,
               failing_only=False)
    return scoped(df, v)


def device_kpis(v: Viewer, period: str) -> pd.DataFrame:
    return scoped(read("device_kpis", period), v)
