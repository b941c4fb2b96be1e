"""``hazrisk retain --as-of DATE``: delete data older than its legal retention horizon.

道路运输车辆动态监督管理办法: dynamic monitoring data is kept at least 6 months, violation
records and their handling at least 3 years (conf ``[retention]``). The vehicle-month safety
history (``safety.vehicle_months`` and the imported archive rows) is the enterprise's safety
record built from the violation records: class ``history``, kept ``safety_history_years``
(legal minimum 3, as the violation records), dated by the end of its month. The cutoff of a class is
Beijing midnight of ``as_of - horizon``; only rows whose time is **strictly before** the cutoff
are deleted, and a row whose time is unknown is never deleted. Horizons shorter than the legal
minimum are refused. Rows under an active legal hold (封存, ``hazrisk hold``) are kept whatever
their age (:func:`hazrisk.safety.records.held_predicate`).

A row is aged by its device time, unless the terminal's clock is implausible - further than
``[retention] device_clock_max_skew_days`` from the time the row was received (the hex log's
receive time, else the dump's day from its file name), or, when neither is known, before
``device_clock_floor_year`` or after the ingest: then by that receive time (else its ingest
time), so a fix received last week from a terminal whose clock says 2007 stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from hazrisk.config import Rules, load_rules
from hazrisk.localtime import BEIJING
from hazrisk.sqlfiles import SqlFolder, has_relation, transaction

_sql = SqlFolder("hazrisk.store")

LEGAL_MIN_DYNAMIC_MONTHS = 6
LEGAL_MIN_VIOLATION_YEARS = 3
LEGAL_MIN_HISTORY_YEARS = 3


@dataclass(frozen=True)
class RetainedTable:
    """A table under retention: its class and the SQL expression giving each row's time."""

    table: str  # schema.table, fixed whitelist
    klass: str  # "dynamic" | "violation" | "history"
    time_sql: str  # expression over alias t; NULL = unknown age (never deleted)
    implausible_sql: str = "false"  # rows aged by receipt because the device clock is off


_FILE_DAY = (
    "(SELECT core.local_instant(CAST(f.source_date AS TIMESTAMP)) "
    "FROM meta.ingested_files f WHERE f.file_id = t.source_file_id)"
)
#: When the dump was ingested.
_FILE_INGESTED = (
    "(SELECT f.started_at FROM meta.ingested_files f WHERE f.file_id = t.source_file_id)"
)


def _device_aged(device: str, recv: str | None) -> tuple[str, str]:
    """(time_sql, implausible_sql) of a row aged by its device time, unless that clock is
    implausible: further than ``$skew_s`` from the receive time (the hex log's, else the
    dump's day from its file name), or, with no receive time known, before ``$floor`` or
    after the ingest. Such a row is aged by its receive time, else its ingest time."""
    received = f"coalesce({recv}, {_FILE_DAY})" if recv else _FILE_DAY
    fallback = received if recv else "NULL"
    off = (f"({received} IS NOT NULL AND abs(epoch({device}) - epoch({received})) > $skew_s)")
    unknown = (f"({received} IS NULL AND ({device} < $floor OR "
               f"epoch({device}) > epoch({_FILE_INGESTED}) + $skew_s))")
    bad = f"({device} IS NOT NULL AND ({off} OR {unknown}))"
    return (f"CASE WHEN {bad} THEN coalesce({received}, {_FILE_INGESTED}) "
            f"ELSE coalesce({device}, {fallback}) END", bad)


_POS_AGE = _device_aged("t.device_time", "t.recv_time")
_MEDIA_AGE = _device_aged("t.device_time", "t.recv_time")
_ALARM_AGE = _device_aged("t.device_time", None)
_EVENT_AGE = _device_aged("coalesce(t.device_time, t.event_time)", None)

#: Every table retention may touch, with its time expression (never built from input).
RETAINED: tuple[RetainedTable, ...] = (
    RetainedTable("store.positions", "dynamic", *_POS_AGE),
    RetainedTable("store.heartbeats", "dynamic", f"coalesce(t.recv_time, {_FILE_DAY})"),
    RetainedTable("store.registrations", "dynamic", f"coalesce(t.recv_time, {_FILE_DAY})"),
    RetainedTable("store.authentications", "dynamic", f"coalesce(t.recv_time, {_FILE_DAY})"),
    RetainedTable("store.param_answers", "dynamic", f"coalesce(t.recv_time, {_FILE_DAY})"),
    RetainedTable("store.multimedia", "dynamic", *_MEDIA_AGE),
    RetainedTable("store.raw_messages", "dynamic", f"coalesce(t.recv_time, {_FILE_DAY})"),
    RetainedTable("store.frames_rejected", "dynamic", f"coalesce(t.recv_time, {_FILE_DAY})"),
    RetainedTable("store.garbage_spans", "dynamic", _FILE_DAY),
    RetainedTable("store.alarms", "violation", *_ALARM_AGE),
    RetainedTable("store.safety_events", "violation", *_EVENT_AGE),
    RetainedTable("store.text_messages", "violation", f"coalesce(t.recv_time, {_FILE_DAY})"),
    RetainedTable("core.handling_log", "violation", "coalesce(t.action_time, t.event_time)"),
)
#: Tables of other areas, retained when they exist: (table, candidate time columns in order).
OPTIONAL_VIOLATION_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("safety.violations", ("end_time", "start_time", "event_time")),
)


#: The vehicle-month safety history, retained when it exists: a month's row is dated by the
#: end of its month (Beijing), so a month is deleted only when it lies wholly before the cutoff.
_MONTH_END = "core.local_instant(CAST(t.month AS TIMESTAMP) + INTERVAL 1 MONTH)"
OPTIONAL_HISTORY_TABLES: tuple[RetainedTable, ...] = (
    RetainedTable("safety.vehicle_months", "history", _MONTH_END),
    RetainedTable("safety.vehicle_month_archive", "history", _MONTH_END),
)


class RetentionError(ValueError):
    """A retention setting that would break the legal minimum."""


@dataclass
class RetentionResult:
    table: str
    klass: str
    horizon: str
    cutoff: datetime
    rows_before: int
    rows_deleted: int
    rows_undated: int
    rows_aged_by_receipt: int = 0
    rows_held: int = 0  # older than the cutoff but kept under a legal hold

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "class": self.klass,
            "horizon": self.horizon,
            "cutoff": self.cutoff.isoformat(),
            "rows_before": self.rows_before,
            "rows_deleted": self.rows_deleted,
            "rows_undated": self.rows_undated,
            "rows_aged_by_receipt": self.rows_aged_by_receipt,
            "rows_held": self.rows_held,
        }


def horizons(rules: Rules | None = None) -> dict[str, tuple[str, int]]:
    """``{"dynamic": ("month", n), "violation": ("year", n), "history": ("year", n)}`` from
    conf ``[retention]``."""
    r = (rules or load_rules()).retention
    months, years = int(r.dynamic_data_months), int(r.violation_years)
    history = int(r.safety_history_years)
    if history < LEGAL_MIN_HISTORY_YEARS:
        raise RetentionError(
            f"retention.safety_history_years = {history} is below the legal minimum "
            f"{LEGAL_MIN_HISTORY_YEARS} (道路运输车辆动态监督管理办法: violation records and "
            f"their handling, which the safety history is built from)")
    if months < LEGAL_MIN_DYNAMIC_MONTHS:
        raise RetentionError(
            f"retention.dynamic_data_months = {months} is below the legal minimum "
            f"{LEGAL_MIN_DYNAMIC_MONTHS} (道路运输车辆动态监督管理办法)")
    if years < LEGAL_MIN_VIOLATION_YEARS:
        raise RetentionError(
            f"retention.violation_years = {years} is below the legal minimum "
            f"{LEGAL_MIN_VIOLATION_YEARS} (道路运输车辆动态监督管理办法)")
    return {"dynamic": ("month", months), "violation": ("year", years),
            "history": ("year", history)}


def cutoff_for(con: duckdb.DuckDBPyConnection, as_of: date, unit: str, n: int) -> datetime:
    """Beijing midnight of ``as_of - n unit`` (month ends clamp: 08-31 - 6 months = 02-28)."""
    if unit not in ("month", "year"):
        raise ValueError(unit)
    months = n if unit == "month" else 12 * n
    (value,) = _sql.run(con, "retention", "cutoff",
                        {"as_of": as_of, "months": months}).fetchall()[0]
    return value


def _tables(con: duckdb.DuckDBPyConnection) -> list[RetainedTable]:
    out = list(RETAINED)
    for name, candidates in OPTIONAL_VIOLATION_TABLES:
        schema, table = name.split(".")
        cols = {
            c
            for (c,) in _sql.run(con, "retention", "table_columns",
                                 {"schema": schema, "table": table}).fetchall()
        }
        present = [c for c in candidates if c in cols]
        if present:
            out.append(RetainedTable(name, "violation",
                                     "coalesce(" + ", ".join(f"t.{c}" for c in present) + ")"))
    for rt in OPTIONAL_HISTORY_TABLES:
        schema, table = rt.table.split(".")
        if has_relation(con, schema, table):
            out.append(rt)
    return out


def retain(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    *,
    dry_run: bool = False,
    rules: Rules | None = None,
) -> list[RetentionResult]:
    """Apply retention as of ``as_of`` (one transaction); return what was (or would be) deleted."""
    from hazrisk.safety.records import held_predicate  # legal holds (封存)

    hz = horizons(rules)
    conf = (rules or load_rules()).retention
    skew_s = 86400.0 * float(conf.device_clock_max_skew_days)
    floor = datetime(int(conf.device_clock_floor_year), 1, 1, tzinfo=BEIJING)
    results: list[RetentionResult] = []
    # a dry run counts inside a transaction that is rolled back
    with transaction(con, keep=not dry_run):
        run_at = datetime.now().astimezone()
        for rt in _tables(con):
            unit, n = hz[rt.klass]
            cutoff = cutoff_for(con, as_of, unit, n)
            # rt.table and the expressions are fixed strings from this module (whitelist).
            held = held_predicate(con, rt.table, rt.time_sql)
            old_sql = f"{rt.time_sql} < $cut" + (f" AND NOT ({held})" if held else "")
            params: dict[str, Any] = {"cut": cutoff}
            if "$skew_s" in rt.time_sql:
                params["skew_s"], params["floor"] = skew_s, floor
            (before, old, undated, kept, by_receipt) = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {old_sql}), "
                f"count(*) FILTER (WHERE {rt.time_sql} IS NULL), "
                f"count(*) FILTER (WHERE {rt.time_sql} < $cut AND "
                f"{'(' + held + ')' if held else 'false'}), "
                f"count(*) FILTER (WHERE {rt.implausible_sql}) FROM {rt.table} t",
                params,
            ).fetchall()[0]
            if old and not dry_run:
                con.execute(f"DELETE FROM {rt.table} t WHERE {old_sql}", params)
            horizon = f"{n} {unit}{'s' if n != 1 else ''}"
            results.append(RetentionResult(rt.table, rt.klass, horizon, cutoff,
                                           int(before), int(old), int(undated),
                                           rows_aged_by_receipt=int(by_receipt),
                                           rows_held=int(kept)))
            if not dry_run:
                _sql.run(con, "retention", "insert_run",
                         {"at": run_at, "as_of": as_of, "table": rt.table, "horizon": horizon,
                          "cutoff": cutoff, "rows": int(old)})
    return results
