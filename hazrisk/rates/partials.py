"""Vehicle-day partials of the provider rates: computed per Beijing day, summed over periods.

Every record-based figure of the rates is a sum over provider x unit x Beijing day
(``rates.day_partials``: records, qualified, interval records/ok, drift points, segments,
incomplete segments, km, outages, expected and recovered points) and 平台连通率 a sum over
provider x day (``rates.day_connectivity``: distinct minutes never cross midnight). A period's
rates aggregate these rows (:func:`hazrisk.rates.compute.aggregate`): counts summed, rates and
Wilson intervals recomputed from the sums, so any period's figures equal the whole-period
computation and a month end reads partials only.

A day's partials read the day's records and, as context, the *tail* of the last computed day
before it (``rates.day_tails``: per unit the records the window looks back to across midnight
— last record, last real-time and last evidence record — from the day's month context on:
older records are never a predecessor) plus any records between that day's end and this day's
start. So a record's predecessor is its unit's previous record however long the silence within
its month, independent of the period asked for; days are computed in order, and a changed tail
re-derives the next computed day. They are computed in vehicle batches (``hash(unit_id) % nb``,
whole units; ``nb`` from ``[daily] rates_batch_positions``), so memory stays bounded whatever
the fleet size. Which days have data is read from ``rates.file_days`` (each file's days,
recorded once: :func:`stored_data_days`), so what a day's run reads does not grow with the
warehouse's history.

>>> from datetime import date
>>> day_params(date(2026, 10, 2), 24)["t_lo"]
'2026-10-01T00:00:00+08:00'
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.config import Rules, load_rules
from hazrisk.period import Period
from hazrisk.rates.drift import store_drift, store_drift_rows
from hazrisk.sqlfiles import SqlFolder, registered
from hazrisk.store.validity_flags import require_current
from hazrisk.validity import Validity

_sql = SqlFolder("hazrisk.rates")


@dataclass(frozen=True)
class DayRun:
    """What :func:`partials_for` did for one day."""

    day: date
    run_id: str
    records: int
    batches: int
    covered: bool
    duration_s: float


def day_params(day: date, lookback_hours: float) -> dict[str, Any]:
    """``$day, $t_lo, $t0, $t1`` of one Beijing day (ISO strings)."""
    p = Period(day, day).sql_params(lookback_hours)
    return {"day": day.isoformat(), "t_lo": p["t_lo"], "t0": p["t0"], "t1": p["t1"]}


def reach_days(rules: Rules) -> int:
    """How many following days a day's records can be predecessors for (``lookback_hours``)."""
    return math.ceil(float(rules.rates.lookback_hours) / 24.0)


def batch_count(records: int, rules: Rules) -> int:
    """Vehicle batches for a day whose flags read ``records`` rows (``[daily]
    rates_batch_positions`` rows a batch)."""
    per = int(rules.daily.rates_batch_positions)
    return max(1, math.ceil(records / per))


def _context(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, Any]:
    """``$ctx_lo`` / ``$tail_day``: the end of the last computed day before ``day`` and that
    day (``-infinity`` / NULL when there is none: all earlier records are context)."""
    (row,) = _sql.query(con, "partials.sql", "last_computed_day", {"day": day.isoformat()})
    last = row["day"]
    if last is None:
        return {"ctx_lo": "-infinity", "tail_day": None}
    return {"ctx_lo": Period(last, last).t1.isoformat(), "tail_day": last.isoformat()}


def _tail(con: duckdb.DuckDBPyConnection, day: date) -> set[tuple[str, int]]:
    rows = _sql.run(con, "partials.sql", "tail_fixes", {"day": day}).fetchall()
    return {(str(u), int(s)) for u, s in rows}


def partials_for(
    con: duckdb.DuckDBPyConnection,
    day: date,
    rules: Rules | None = None,
    *,
    batches: int | None = None,
    rows: pa.Table | None = None,
    tails: pa.Table | None = None,
    connectivity: pa.Table | None = None,
    drift: pa.Table | None = None,
    group: bool = False,
) -> DayRun:
    """Compute and store the partials of one Beijing day (replacing the day's rows).

    Writes ``rates.day_partials`` (provider x unit), ``rates.day_connectivity`` (provider),
    ``rates.day_tails`` and the day's ``rates.day_runs`` row (run id, rules fingerprint, newest
    file/import seen, coverage). Needs :func:`hazrisk.rates.compute.install` first; runs in
    the caller's transaction. The context is the last computed day's tail, so compute days in
    order (:func:`ensure_partials`, :func:`rederive` do). ``batches`` overrides the vehicle
    batch count (default: from the rules and the rows read). Rows computed elsewhere by the
    same statements (:mod:`hazrisk.spark.rates` runs this function per vehicle group on
    executors) are stored instead of computing them here: ``rows`` the day's
    ``rates.day_partials`` columns, ``tails`` its ``rates.day_tails`` rows, ``connectivity``
    its ``rates.day_connectivity`` (``day, provider_id, online_minutes``), ``drift`` its
    ``rates.drift_fixes``; ``batches`` then records how many groups computed them.

    ``group``: compute one vehicle group's share of the day only (what the Spark executors
    run): the drift verdicts, the units' partials and the tail. Connectivity (distinct
    minutes, which do not add up over groups) and coverage are the whole day's, computed
    where the groups' rows are stored; the group's ``rates.day_runs`` row only marks the day
    computed (the context of its next day), with no coverage.
    """
    from hazrisk.rates.compute import rules_sha256  # compute imports this module

    rules = rules or load_rules()
    tic = time.perf_counter()
    run_id = uuid.uuid4().hex
    params = day_params(day, float(rules.rates.lookback_hours))
    params["run_id"] = run_id
    params.update(_context(con, day))
    (inputs,) = _sql.query(con, "partials.sql", "inputs")
    if batches is None and rows is None:
        (n,) = _sql.query(con, "partials.sql", "records_in_reach", params)
        batches = batch_count(int(n["n"]), rules)
    batches = batches or 0
    for name in ("delete_day", "delete_day_connectivity"):
        _sql.run(con, "partials.sql", name, params)
    # the day's drift verdicts first (hazrisk.drift; the flags below read them)
    if drift is not None:
        store_drift_rows(con, day, drift)
    else:
        store_drift(con, day, day, params["t0"], params["t1"], rules)
    if rows is not None:
        with registered(con, "_rates_day_rows", rows):
            _sql.run(con, "partials.sql", "day_rows", params)
    else:
        for k in range(batches):
            _sql.run(con, "partials.sql", "day_vehicle_days",
                     {**params, "nb": batches, "bk": k})
    _sql.run(con, "partials.sql", "delete_day_tail", params)
    _stored_or_computed(con, "day_tail", tails, params)
    cov: dict[str, Any] = {"covered": False, "records": 0}  # a group's: no coverage
    if not group:
        _stored_or_computed(con, "day_connectivity", connectivity, params)
        (cov,) = _sql.query(con, "partials.sql", "day_covered", params)
    duration = time.perf_counter() - tic
    _sql.run(con, "partials.sql", "store_run", {
        **params, **inputs, "rules_sha256": rules_sha256(rules), "covered": bool(cov["covered"]),
        "records": int(cov["records"]), "batches": batches, "duration_s": duration})
    return DayRun(day, run_id, int(cov["records"]), batches, bool(cov["covered"]),
                  duration)


def _stored_or_computed(con: duckdb.DuckDBPyConnection, statement: str,
                        rows: pa.Table | None, params: dict[str, Any]) -> None:
    """Run ``statement`` (computing the day's rows here), or store ``rows`` computed elsewhere
    (``<statement>_rows``: the same table, the day's rows only)."""
    if rows is None:
        _sql.run(con, "partials.sql", statement, params)
        return
    with registered(con, "_rates_day_rows", rows):
        _sql.run(con, "partials.sql", f"{statement}_rows", params)


def data_days(con: duckdb.DuckDBPyConnection, end: date) -> list[date]:
    """Beijing days with data (positions, heartbeats, 0x0104 answers) up to ``end``."""
    p = Period(end, end)
    rows = _sql.query(con, "partials.sql", "data_days",
                      {"t1": p.t1.isoformat(), "end_date": end.isoformat()})
    return [r["day"] for r in rows]


def stored_data_days(con: duckdb.DuckDBPyConnection, end: date) -> list[date]:
    """:func:`data_days` of the warehouse ``con``, read from ``rates.file_days``: the days of
    the files not recorded there yet are recorded first (their rows only are read), so the cost
    follows the files ingested since the last call, not the history. Runs in the caller's
    transaction. (:func:`data_days` itself reads the positions ``con`` holds: the Spark
    executors' slices.)"""
    (first,) = _sql.query(con, "partials.sql", "first_unrecorded_file")
    if first["file_id"] is not None:
        _sql.run(con, "partials.sql", "record_file_days", {"first": int(first["file_id"])})
    rows = _sql.query(con, "partials.sql", "stored_data_days", {"end_date": end.isoformat()})
    return [r["day"] for r in rows]


def stale_days(con: duckdb.DuckDBPyConnection, rules: Rules | None = None, *,
               since: date | None = None) -> list[date]:
    """Days whose stored partials no longer hold (other rules, a file ingested after them
    that touches them, or, for days from ``since`` on, a newer registry import)."""
    from hazrisk.rates.compute import rules_sha256

    rules = rules or load_rules()
    (seen,) = _sql.query(con, "partials.sql", "files_seen_by_all")
    if seen["after"] is None:
        return []  # nothing computed: nothing stale
    rows = _sql.query(con, "partials.sql", "stale_days",
                      {"rules_sha256": rules_sha256(rules), "reach": reach_days(rules),
                       "since": (since or date.min).isoformat(), "after": int(seen["after"])})
    return [r["day"] for r in rows]


def computed_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Days with stored partials, in order."""
    return [r[0] for r in _sql.run(con, "partials.sql", "computed_days").fetchall()]


def rederive(con: duckdb.DuckDBPyConnection, days: Iterable[date],
             rules: Rules | None = None, *,
             compute: Callable[[list[date]], list[DayRun]] | None = None) -> list[DayRun]:
    """Recompute the partials of ``days`` in order; when a day's tail changes, the next
    computed day after it is recomputed too (its records look back to that tail).

    ``compute(days)``: computes and stores several days in one go, in order, each day's
    context the previous one's (a distributed pass: :mod:`hazrisk.spark.rates`), and returns
    their runs; by default one day at a time here (:func:`partials_for`). Then each round
    computes every day pending, and a day this run computed after the changed one is not
    computed again (its context was already the new tail)."""
    rules = rules or load_rules()
    todo = set(days)
    done: set[date] = set()
    runs: list[DayRun] = []
    while todo:
        batch = sorted(todo) if compute is not None else [min(todo)]
        todo.difference_update(batch)
        before = {d: _tail(con, d) for d in batch}
        runs.extend(compute(batch) if compute is not None
                    else [partials_for(con, batch[0], rules)])
        done.update(batch)
        for d in batch:
            if _tail(con, d) != before[d]:
                later = [x for x in computed_days(con) if x > d]
                if later and later[0] not in done:
                    todo.add(later[0])
    return runs


def missing_days(con: duckdb.DuckDBPyConnection, end: date, rules: Rules | None = None, *,
                 since: date | None = None, data: Iterable[date] = (),
                 stale: Iterable[date] = ()) -> list[date]:
    """Days up to ``end`` with data but without current partials (never computed or stale;
    a registry import makes the days from ``since`` on stale). ``data`` / ``stale``: more
    such days, found over positions ``con`` does not hold (the Spark engine reads them from
    the export: :mod:`hazrisk.spark.days`)."""
    rules = rules or load_rules()
    have = set(computed_days(con))
    old = {d for d in [*stale_days(con, rules, since=since), *stale] if d <= end}
    found = {d for d in [*stored_data_days(con, end), *data] if d <= end}
    return sorted({d for d in found if d not in have} | old)


def ensure_partials(con: duckdb.DuckDBPyConnection, end: date, rules: Rules | None = None, *,
                    since: date | None = None) -> list[DayRun]:
    """Compute the partials of every day up to ``end`` that lacks current ones (the rates of
    a period need its days, and the days before it for 入网); a registry import re-derives
    the days from ``since`` on (the period asked for). The runs done."""
    rules = rules or load_rules()
    require_current(con, Validity.from_rules(rules))  # stored flags under these [validity]
    return rederive(con, missing_days(con, end, rules, since=since), rules)
