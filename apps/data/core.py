"""The snapshot the portal reads, the one cache, and who is looking.

Every figure comes from :mod:`hazrisk.snapshot` (the same queries as the notebooks and the
reports, equal to the CLI's figures); this module adds only

- **caching** (the only cache of snapshot figures): results are cached per snapshot version
  (inode, mtime, size), so a snapshot that ``hazrisk publish`` replaces is read on the next
  run, without a restart; reads go through :func:`hazrisk.portal.reader.read_consistent`, so
  a replacement during a read is never half seen;
- **scope**: :func:`viewer` derives the role and its parties from the logged-in user, and
  :func:`scoped` keeps only rows the role may see, with identifiers masked outside its scope
  (:func:`~hazrisk.portal.scope.restrict`, :func:`~hazrisk.portal.scope.mask`).

The concept modules beside it (providers, enterprises, quality, insurance, outlines,
published_reports) read through :func:`read` and return :func:`scoped` frames.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from hazrisk import snapshot as snap
from hazrisk.period import Period
from hazrisk.portal.reader import SnapshotMissing, Version, read_consistent, version_of
from hazrisk.portal.scope import Viewer, mask, restrict, viewer_for
from hazrisk.portal.sql import Insured, insured_enterprises
from hazrisk.portal.users import User

DEFAULT_SNAPSHOT = Path("data/local/demo/published.duckdb")


def snapshot_path() -> Path:
    """The snapshot the portal serves (``HAZRISK_SNAPSHOT``, set by ``hazrisk app``)."""
    return Path(os.environ.get("HAZRISK_SNAPSHOT") or DEFAULT_SNAPSHOT)


def reports_dir() -> Path:
    """The generated reports folder (``HAZRISK_REPORTS``, default ``reports``)."""
    return Path(os.environ.get("HAZRISK_REPORTS") or "reports")


class _Stale(Exception):
    """The snapshot changed between stat and read: read again (never cached)."""


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(path: str, version: Version, name: str, args: tuple[Any, ...],
            kwargs: tuple[tuple[str, Any], ...]) -> Any:
    fn: Callable[..., Any] = _FUNCTIONS[name]
    got, result = read_consistent(Path(path), lambda con: fn(con, *args, **dict(kwargs)))
    if got != version:
        raise _Stale()
    return result


def read(name: str, *args: Any, **kwargs: Any) -> Any:
    """``hazrisk.snapshot.<name>(con, *args, **kwargs)`` on the current snapshot, cached."""
    path = snapshot_path()
    for _ in range(5):
        try:
            return _cached(str(path), version_of(path), name, args, tuple(sorted(kwargs.items())))
        except _Stale:
            continue
    raise RuntimeError(f"{path}: the snapshot kept changing; try again")


def _insured(con: Any, insurer: str) -> Insured:
    """The enterprises an insurer's published policies name (latest policy year)."""
    return insured_enterprises(con, insurer)


def _premium(con: Any) -> dict[str, Any]:
    """The risk models' cards and the latest priced year's enterprise factors, when published."""
    from hazrisk.portal.sql import premium_years

    out: dict[str, Any] = {}
    if snap.has_table(con, "model_cards"):
        out["model_cards"] = snap.model_cards(con)
    if snap.has_table(con, "premium_factors"):
        years = premium_years(con)
        out["year"] = years[-1] if years else None
        out["premium_factors"] = (snap.premium_factors(con, years[-1]) if years
                                  else pd.DataFrame(columns=["enterprise_id", "factor"]))
    return out


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(snap, name) for name in (
        "info", "periods", "provider_rates", "ranking", "rate_trends", "worst_vehicles",
        "device_kpis", "league_table", "rule_rates", "handling", "enterprise_history",
        "driver_safety",
        "violations_geo", "quarantine", "quarantine_by", "ingest_days", "unknown_terminals",
        "registry_rejects", "files_left_alone", "ingest_errors")
}
_FUNCTIONS["insured"] = _insured
_FUNCTIONS["premium"] = _premium
#: Published registry tables the portal shows as they are (masked by ``hazrisk publish``).
REGISTRY = ("enterprises", "providers", "device_makers", "insurers", "vehicles", "drivers",
            "rate_metrics")


def _registry(con: Any) -> dict[str, pd.DataFrame]:
    """The published registry tables (whole; the relational API, no SQL text)."""
    return {t: con.table(f"mart.{t}").df() for t in REGISTRY if snap.has_table(con, t)}


_FUNCTIONS["parties"] = _registry


# --- who is looking --------------------------------------------------------------------------
def viewer(user: User | None) -> Viewer:
    """The viewer of a logged-in user (``None``: the public); an insurer's enterprises are
    those its published policies of the latest policy year name (:func:`insured`), read from
    the snapshot on every run, never from the users file or a widget."""
    if user is not None and user.role == "insurer":
        return viewer_for(user, insured(user.scope).enterprises)
    return viewer_for(user)


def insured(insurer: str) -> Insured:
    """``insurer``'s scope as the snapshot publishes it (empty without a snapshot)."""
    try:
        result: Insured = read("insured", insurer)
    except (SnapshotMissing, snap.SnapshotError):
        return Insured(None, ())  # the page says the snapshot is unavailable
    return result


def scoped(df: pd.DataFrame, v: Viewer) -> pd.DataFrame:
    return mask(restrict(df, v), v).reset_index(drop=True)


# --- snapshot facts ---------------------------------------------------------------------------
def info() -> dict[str, Any]:
    """When the snapshot was published (``published_at``) and its tables."""
    result: dict[str, Any] = read("info")
    return result


def rate_periods() -> list[str]:
    """Periods with provider rates, newest first (months before ranges of the same start)."""
    df = read("periods")
    df = df[df["source"] == "provider_rates"].sort_values(["period_end", "kind"],
                                                          ascending=[False, False])
    return list(dict.fromkeys(df["period"]))


def period_end(period: str) -> date:
    """The last Beijing day of a period label."""
    return Period.parse(period).end


def rate_metrics() -> pd.DataFrame:
    """The metric registry as published: definitions, units, weights, floors, sources."""
    result: pd.DataFrame = read("parties").get("rate_metrics", pd.DataFrame())
    return result


def safety_periods() -> list[str]:
    """Periods with enterprise safety results, newest first."""
    df = read("periods")
    return list(dict.fromkeys(
        df[df["source"] == "enterprise_safety"].sort_values("period_end", ascending=False)["period"]))


def parties(kind: str) -> dict[str, str]:
    """id -> name of ``enterprises``, ``providers``, ``device_makers`` or ``insurers``."""
    df = read("parties").get(kind)
    if df is None or df.empty:
        return {}
    key = {"enterprises": "enterprise_id", "providers": "provider_id",
           "device_makers": "maker_id", "insurers": "insurer_id"}[kind]
    return dict(zip(df[key], df["name"], strict=False))


def visible_enterprises(v: Viewer) -> dict[str, str]:
    """Enterprises whose own records the viewer may open (id -> name)."""
    return {k: n for k, n in parties("enterprises").items()
            if v.role != "public" and v.sees_enterprise(k)}


def drillable_providers(v: Viewer) -> dict[str, str]:
    """Providers whose failing vehicles the viewer may open (id -> name)."""
    if v.role not in ("evaluator", "operator"):
        return {}
    return {k: n for k, n in parties("providers").items() if v.sees_provider(k)}
