"""Writing the safety tables (one transaction per detection run) and the mart views."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from hazrisk import __version__
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.rule_counts import schema_sql
from hazrisk.safety.sqlfiles import bound, read_sql
from hazrisk.sqlfiles import SqlFolder, bind, registered, transaction
from hazrisk.store.mart_docs import apply_comments

_sql = SqlFolder("hazrisk.safety")

STAGE_VIOLATIONS = "safety_stage_violations"
STAGE_TRACKS = "safety_stage_tracks"
STAGE_POSITIONS = "safety_stage_positions"
STAGE_PULLS = "safety_stage_pulls"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``safety`` schema, tables and macro if missing (idempotent)."""
    con.execute(read_sql("schema"))
    con.execute(read_sql("schema_months"))
    con.execute(read_sql("comments_months"))
    con.execute(read_sql("macros"))
    con.execute(read_sql("driver_views"))
    for ddl in schema_sql():  # count columns of rules added to the registry since
        con.execute(ddl)


def create_mart_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``mart.violations``, ``mart.enterprise_safety`` and friends."""
    con.execute(read_sql("mart"))
    apply_comments(con)  # the replaced mart views' meanings, from the one catalogue


def month_floor(d: date) -> date:
    return date(d.year, d.month, 1)


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def write_vehicle_months(con: duckdb.DuckDBPyConnection, m0: date, m1: date, now: datetime,
                         *, detected: bool) -> None:
    """Rebuild ``safety.vehicle_months`` for the months [m0, m1) inside the caller's transaction.

    ``detected``: replace every row of the range's months that have positions (detected rows
    from ``safety.vehicle_days``, then the archived vehicle-months detection does not cover);
    otherwise only the archive rows are refilled (after a history import), the detected rows
    are left as they are.
    """
    con.execute(read_sql("months_with_positions"), {"m0": m0, "m1": m1})
    params = {"m0": m0, "m1": m1}
    if detected:
        _sql.run(con, "replace", "delete_vehicle_months_with_positions")
        con.execute(read_sql("vehicle_months"), bound("vehicle_months", {**params, "now": now}))
    else:
        _sql.run(con, "replace", "delete_archive_months", params)
    con.execute(read_sql("vehicle_months_archive"), {**params, "now": now})


def aggregate_months(con: duckdb.DuckDBPyConnection, m0: date, m1: date,
                     now: datetime | None = None) -> None:
    """Rebuild the enterprise months, their per-rule rows and the detected vehicle months of
    the months [m0, m1) from the stored partials (``safety.vehicle_days``, ``safety.violations``)
    inside the caller's transaction: the month-end evaluation reads no position."""
    now = now or datetime.now(UTC)
    _sql.run(con, "replace", "delete_enterprise_months", {"m0": m0, "m1": m1})
    _sql.run(con, "replace", "delete_enterprise_month_rules",
             {"p0": m0.strftime("%Y-%m"), "p1": m1.strftime("%Y-%m")})
    con.execute(read_sql("enterprise_months"),
                bound("enterprise_months", {"m0": m0, "m1": m1, "now": now}))
    con.execute(read_sql("enterprise_month_rules"), {"m0": m0, "m1": m1})
    write_vehicle_months(con, m0, m1, now, detected=True)


@dataclass(frozen=True)
class PositionParts:
    """What the vehicle-days and the tampering evidence of a range take from its positions
    (``position_parts.sql``): per vehicle and day the position counts
    (``vehicle_day_positions``) and the repeated power pulls (``power_pulls``)."""

    counts: pa.Table
    pulls: pa.Table


def position_parts(con: duckdb.DuckDBPyConnection, t0: datetime, t1: datetime,
                   p: SafetyParams) -> PositionParts:
    """The :class:`PositionParts` of the positions ``con`` holds for [t0, t1): the whole
    warehouse (``hazrisk detect``) or one group of whole vehicles (the Spark executors, whose
    groups' rows together are the warehouse's)."""
    params = {"t0": t0, "t1": t1, "moving_kmh": p.moving_kmh, "pulls_min": p.power_pulls_min}
    out = []
    for name in ("vehicle_day_positions", "power_pulls"):
        sql = _sql.statement("position_parts", name)
        out.append(con.sql(sql, params=bind(sql, params)).to_arrow_table())
    return PositionParts(*out)


@dataclass
class WriteCounts:
    violations: dict[str, int]
    vehicle_days: int
    enterprise_months: int
    vehicle_months: int = 0


def _count(con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, object]) -> int:
    rows = _sql.run(con, "replace", statement, params).fetchall()
    return int(rows[0][0]) if rows else 0


def write_results(con: duckdb.DuckDBPyConnection, stage: pd.DataFrame, days: pd.DataFrame,
                  start: date, end: date, t0: datetime, t1: datetime, p: SafetyParams,
                  *, report_start: float, vehicles: int = 0, positions: int = 0,
                  run_id: str | None = None, command: str = "detect",
                  parts: PositionParts | None = None) -> WriteCounts:
    """Replace the range's violations and vehicle-days, relink handling, rebuild months;
    record the range in ``safety.runs`` (``run_id``: the invocation's, shared by its ranges;
    default a new one). ``parts``: the range's :class:`PositionParts` computed elsewhere (per
    vehicle group by the Spark engine); by default computed here from the warehouse's
    positions."""
    now = datetime.now(UTC)
    if parts is None:
        parts = position_parts(con, t0, t1, p)
    m0 = month_floor(start)
    m1 = next_month(month_floor(date.fromordinal(end.toordinal() - 1)))
    if days.empty:
        days = pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
            ("vehicle_id", object), ("day", "datetime64[s]"), ("enterprise_id", object),
            ("provider_id", object), ("online", bool), ("km", float), ("driving_s", float),
            ("night_km", float), ("night_s", float), ("fatigue_s", float),
            ("covered_s", float), ("drift_points", "int64"), ("road_unknown_fixes", "int64"))})
    with transaction(con), registered(con, STAGE_VIOLATIONS, stage), \
            registered(con, STAGE_TRACKS, days), \
            registered(con, STAGE_POSITIONS, parts.counts), \
            registered(con, STAGE_PULLS, parts.pulls):
        _sql.run(con, "replace", "delete_violations", {"t0": t0, "t1": t1})
        con.execute(read_sql("insert_violations"), {"now": now, "version": __version__})
        con.execute(read_sql("handling"), {
            "t0": t0, "t1": t1, "window_s": p.reminder_window_s,
            "repeat_window_s": p.repeat_window_s, "log_tolerance_s": p.log_tolerance_s})
        con.execute(read_sql("drivers"), {"t0": t0, "t1": t1})
        _sql.run(con, "replace", "delete_tampering", {"d0": start, "d1": end})
        con.execute(read_sql("tampering"), {"t0": t0, "t1": t1, "moving_kmh": p.moving_kmh})
        _sql.run(con, "replace", "delete_vehicle_days", {"d0": start, "d1": end})
        con.execute(read_sql("vehicle_days"), bound("vehicle_days", {
            "d0": start, "d1": end, "now": now}))
        aggregate_months(con, m0, m1, now)
        n_viol = _count(con, "count_staged_violations", {})
        _sql.run(con, "replace", "insert_run", {
            "now": now, "d0": start, "d1": end, "n": n_viol, "veh": vehicles, "pos": positions,
            "dur": time.perf_counter() - report_start,
            "pj": json.dumps({g: p.rule_params(g) for g in (
                "speeding", "fatigue", "night_ban", "route", "offline", "terminal")},
                sort_keys=True),
            "v": __version__, "run_id": run_id or uuid.uuid4().hex, "command": command})
        create_mart_views(con)
    rows = _sql.run(con, "replace", "violations_by_rule", {"t0": t0, "t1": t1}).fetchall()
    return WriteCounts(
        violations={str(r): int(n) for r, n in rows},
        vehicle_days=_count(con, "count_vehicle_days", {"d0": start, "d1": end}),
        enterprise_months=_count(con, "count_enterprise_months", {"m0": m0, "m1": m1}),
        vehicle_months=_count(con, "count_detected_vehicle_months", {"m0": m0, "m1": m1}),
    )
