"""The portal's one data module: the published snapshot, read-only, cached, scoped by role.

Every figure comes from :mod:`hazrisk.snapshot` (the same queries as the notebooks and the
reports, equal to the CLI's figures); this module adds only

- **caching** (the only place with any): results are cached per snapshot version
  (inode, mtime, size), so a snapshot that ``hazrisk publish`` replaces is read on the next
  run, without a restart; reads go through :func:`hazrisk.portal.reader.read_consistent`, so
  a replacement during a read is never half seen;
- **scope**: each function takes the :class:`~hazrisk.portal.scope.Viewer` and returns only
  rows the role may see, with identifiers masked outside its scope
  (:func:`~hazrisk.portal.scope.restrict`, :func:`~hazrisk.portal.scope.mask`); asking for
  another party (a URL parameter, a widget value) raises
  :class:`~hazrisk.portal.scope.NotAuthorised` before anything is read.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from labels import HANDLING

from hazrisk import snapshot as snap
from hazrisk.jt808.errors import reason_label
from hazrisk.portal.personal import PersonalUnavailable, own_personal, unmask
from hazrisk.portal.reader import SnapshotMissing, Version, read_consistent, version_of
from hazrisk.portal.scope import NotAuthorised, Viewer, mask, restrict, viewer_for
from hazrisk.portal.sql import Insured, insured_enterprises
from hazrisk.portal.users import User
from hazrisk.rates.period import Period

DEFAULT_SNAPSHOT = Path("data/local/demo/published.duckdb")


#: Per-vehicle drill-down rows read for one provider and metric (the page shows them all).
DRILL_LIMIT = 10_000


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


def _read(name: str, *args: Any, **kwargs: Any) -> Any:
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
        result: Insured = _read("insured", insurer)
    except (SnapshotMissing, snap.SnapshotError):
        return Insured(None, ())  # the page says the snapshot is unavailable
    return result


def _scoped(df: pd.DataFrame, v: Viewer) -> pd.DataFrame:
    return mask(restrict(df, v), v).reset_index(drop=True)


# --- snapshot facts ---------------------------------------------------------------------------
def info() -> dict[str, Any]:
    """When the snapshot was published (``published_at``) and its tables."""
    result: dict[str, Any] = _read("info")
    return result


def rate_periods() -> list[str]:
    """Periods with provider rates, newest first (months before ranges of the same start)."""
    df = _read("periods")
    df = df[df["source"] == "provider_rates"].sort_values(["period_end", "kind"],
                                                          ascending=[False, False])
    return list(dict.fromkeys(df["period"]))


def period_end(period: str) -> date:
    """The last Beijing day of a period label."""
    return Period.parse(period).end


def rate_metrics() -> pd.DataFrame:
    """The metric registry as published: definitions, units, weights, floors, sources."""
    result: pd.DataFrame = _read("parties").get("rate_metrics", pd.DataFrame())
    return result


def safety_periods() -> list[str]:
    """Periods with enterprise safety results, newest first."""
    df = _read("periods")
    return list(dict.fromkeys(
        df[df["source"] == "enterprise_safety"].sort_values("period_end", ascending=False)["period"]))


def parties(kind: str) -> dict[str, str]:
    """id -> name of ``enterprises``, ``providers``, ``device_makers`` or ``insurers``."""
    df = _read("parties").get(kind)
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


# --- providers and devices (aggregates: every role) -------------------------------------------
def ranking(v: Viewer, period: str) -> pd.DataFrame:
    """Composite ranking with the verdict 合格/不合格 (no floor failed / some failed)."""
    df = _read("ranking", period).copy()
    df["verdict"] = df["floors_failed"].map(lambda n: "不合格 fail" if n else "合格 pass")
    return _scoped(df, v)


def provider_rates(v: Viewer, period: str, provider: str | None = None) -> pd.DataFrame:
    df = _read("provider_rates", period, provider).copy()
    df["verdict"] = df["floor_failed"].map(lambda f: "低于底线 below floor" if f else "")
    return _scoped(df, v)


def rate_trends(v: Viewer, period: str, provider: str | None = None) -> pd.DataFrame:
    return _scoped(_read("rate_trends", period, 12, provider), v)


def failing_vehicles(v: Viewer, period: str, provider: str, metric: str) -> pd.DataFrame:
    """The vehicles/records failing ``metric`` at ``provider`` with the failing check named
    (evaluator: any provider; operator: its own)."""
    v.check_provider(provider)
    df = _read("worst_vehicles", period, provider=provider, metric=metric, n=DRILL_LIMIT,
               failing_only=False)
    return _scoped(df, v)


def device_kpis(v: Viewer, period: str) -> pd.DataFrame:
    return _scoped(_read("device_kpis", period), v)


# --- enterprises ------------------------------------------------------------------------------
def league_table(v: Viewer, period: str) -> pd.DataFrame:
    """The league table (enterprise aggregates; public)."""
    return _read("league_table", period).reset_index(drop=True)


def handling(v: Viewer, period: str) -> pd.DataFrame:
    """Handling per enterprise: the viewer's enterprises (all for the evaluator)."""
    return _scoped(_read("handling", period), v)


def rule_rates(v: Viewer, period: str, enterprise: str) -> pd.DataFrame:
    v.check_enterprise(enterprise)
    df = _read("rule_rates", period)
    return _scoped(df[df["enterprise_id"] == enterprise], v)


def enterprise_history(v: Viewer, enterprise: str) -> pd.DataFrame:
    v.check_enterprise(enterprise)
    return _read("enterprise_history", enterprise).reset_index(drop=True)


def violations(v: Viewer, period: str, enterprise: str) -> pd.DataFrame:
    """One enterprise's violations with coordinates and handling (vehicle-level records)."""
    v.check_enterprise(enterprise)
    if not v.vehicle_detail:
        raise NotAuthorised("此角色只可查看汇总 / this role sees aggregates only")
    df = _read("violations_geo", period, enterprise=enterprise)
    vehicles = _read("parties").get("vehicles")
    if vehicles is not None:
        plates = vehicles.drop_duplicates("vehicle_id").set_index("vehicle_id")["plate"]
        df = df.assign(plate=df["vehicle_id"].map(plates))
    df["handling_status"] = df["handling_status"].map(lambda s: HANDLING.get(s, s))
    return _scoped(df, v)


def fleet(v: Viewer, enterprise: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """One enterprise's vehicles and drivers, and a note on their personal data: masked as
    published, except for the enterprise itself, which sees its own drivers' names and phones
    and its vehicles' owners and operator phones in clear (the restricted publication, read for
    the viewer's own enterprise only and never cached; :mod:`hazrisk.portal.personal`)."""
    v.check_enterprise(enterprise)
    if not v.vehicle_detail:
        raise NotAuthorised("此角色只可查看汇总 / this role sees aggregates only")
    tables = _read("parties")
    shown = []
    for name in ("vehicles", "drivers"):
        df = tables.get(name, pd.DataFrame(columns=["enterprise_id"]))
        shown.append(_scoped(df[df["enterprise_id"] == enterprise], v))
    vehicles, drivers = shown
    if not v.sees_personal_of(enterprise):
        return vehicles, drivers, ("个人信息脱敏显示 · personal data masked (only an enterprise "
                                   "sees its own drivers' names and phones)")
    try:
        own = own_personal(snapshot_path(), enterprise)
    except PersonalUnavailable as exc:
        return vehicles, drivers, f"个人信息脱敏显示 · personal data masked: {exc}"
    vehicles = unmask(vehicles, own.vehicles, ["vehicle_id", "valid_from"],
                      ["owner_name", "operator_phone"])
    drivers = unmask(drivers, own.drivers, ["driver_id"], ["name", "phone"])
    return vehicles, drivers, ("本企业驾驶员姓名、手机号及业户信息为全文（授权发布）；身份证号与终端"
                               "号脱敏 · your own drivers' names and phones and your vehicles' "
                               "owners in full (restricted publication); ID and SIM numbers masked")


#: Simplification of the city outlines for the browser (degrees; ~500 m, 2.5 MB -> 0.2 MB).
OUTLINE_TOLERANCE_DEG = 0.005


@functools.lru_cache(maxsize=2)
def _outlines(tolerance: float) -> dict[str, Any]:
    from hazrisk.geodata import zhejiang

    cities = zhejiang("city")
    cities = cities.assign(geometry=cities.geometry.simplify(tolerance, preserve_topology=True))
    result: dict[str, Any] = json.loads(cities[["short_zh", "name_en", "geometry"]].to_json())
    return result


def _warm_outlines() -> None:
    """Load and simplify the outlines once per server process, off the page's path, so the
    first visit of the map page does not pay for reading the boundary package."""
    from hazrisk.geodata import GeodataError

    with contextlib.suppress(GeodataError):  # the page itself says why there is no map
        _outlines(OUTLINE_TOLERANCE_DEG)


# Started when the server first imports this module (the login page), not on the map page.
threading.Thread(target=_warm_outlines, name="outline-warmup", daemon=True).start()


def boundaries() -> dict[str, Any] | None:
    """Zhejiang's 11 city outlines as GeoJSON (``hazrisk.geodata``, offline; no tile server),
    or ``None`` with the reason shown when the boundary package is not installed."""
    from hazrisk.geodata import GeodataError

    try:
        return _outlines(OUTLINE_TOLERANCE_DEG)
    except GeodataError as exc:
        st.caption(f"无行政区划底图 · no boundaries: {exc}")
        return None


# --- data quality -----------------------------------------------------------------------------
def quarantine_by(v: Viewer, period: str, by: str) -> pd.DataFrame:
    """Rejected frames by ``reason``, ``provider`` or ``day``; an operator's own gateway only.
    Reasons are labelled Chinese first with the decoder's id beside (``校验码错误
    bad_checksum``, :func:`hazrisk.jt808.errors.reason_label`)."""
    if v.role == "evaluator":
        summed = _read("quarantine_by", period, by)
    else:
        rows = _scoped(_read("quarantine", period), v)
        keys = {"reason": ["reason"], "provider": ["source_provider_id"],
                "day": ["source_date"]}[by]
        summed = pd.DataFrame(rows.groupby(keys, as_index=False)["frames"].sum()).sort_values(
            "frames", ascending=False, ignore_index=True)
    if "reason" in summed.columns:
        summed = summed.assign(reason=summed["reason"].map(reason_label))
    return summed


def ingest_days(v: Viewer, period: str) -> pd.DataFrame:
    return _scoped(_read("ingest_days", period), v)


def unknown_terminals(v: Viewer, period: str) -> pd.DataFrame:
    return _scoped(_read("unknown_terminals", period), v)


def registry_rejects(v: Viewer) -> pd.DataFrame:
    if v.role != "evaluator":
        raise NotAuthorised("登记数据拒收仅协会可见 / registry rejects: evaluators only")
    return _read("registry_rejects")


def files_left_alone(v: Viewer) -> pd.DataFrame:
    if v.role != "evaluator":
        raise NotAuthorised("仅协会可见 / evaluators only")
    return _read("files_left_alone")


def ingest_errors(v: Viewer) -> pd.DataFrame:
    """Dump files whose ingest failed, with the error (evaluators)."""
    if v.role != "evaluator":
        raise NotAuthorised("仅协会可见 / evaluators only")
    return _read("ingest_errors")


# --- insurance --------------------------------------------------------------------------------
def premium(v: Viewer) -> dict[str, Any]:
    """``premium_factors`` of the latest priced ``year`` (the viewer's enterprises) and
    ``model_cards``, those the snapshot publishes."""
    out = dict(_read("premium"))
    if "premium_factors" in out:
        out["premium_factors"] = _scoped(out["premium_factors"], v)
    return out


# --- reports ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    folder: Path
    kind: str
    run: str
    html: list[Path]
    lineage: dict[str, Any]
    modified: float


def reports(v: Viewer) -> list[Report]:
    """Generated reports (``reports/<report>/<period>/`` with ``report.html`` and the
    ``lineage.json`` that ``hazrisk report run`` writes), newest first (lineage
    ``finished_at``, else the files' time); evaluators only."""
    if v.role != "evaluator":
        raise NotAuthorised("报告仅协会可见 / reports: evaluators only")
    root = reports_dir()
    found: list[Report] = []
    for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
        html = sorted(folder.glob("*.html"))
        lineage_file = folder / "lineage.json"
        if not html and not lineage_file.exists():
            continue
        try:
            lineage = json.loads(lineage_file.read_text(encoding="utf-8")) \
                if lineage_file.exists() else {}
        except (OSError, ValueError) as exc:
            lineage = {"error": f"lineage.json unreadable: {exc}"}
        stamps = [p.stat().st_mtime for p in [*html, lineage_file] if p.exists()]
        found.append(Report(folder, folder.parent.name, folder.name, html,
                            lineage if isinstance(lineage, dict) else {"lineage": lineage},
                            max(stamps)))
    found.sort(key=lambda r: (str(r.lineage.get("finished_at") or r.lineage.get("started_at")
                                  or ""), r.modified), reverse=True)
    return found
