"""``hazrisk rates --engine spark``: the per-position rate flags per vehicle group on Spark.

What runs where:

- **Executors** (:func:`rates_kernel`, one call per vehicle group: the positions are
  ``repartition``-ed by vehicle and each partition handed to ``mapInArrow``): the group's
  positions of the period (with the
  ``[rates] lookback_hours`` before it, and the records without a GNSS time) go into the
  worker's in-process DuckDB as ``core.positions``, and the project's own ``vehicle_days``
  statement (:func:`hazrisk.rates.compute.vehicle_day_partials`: ``rates.position_flags_between``
  — qualification, intervals, drift, segments, outages — aggregated per provider x unit x
  Beijing day) gives the group's partial rows, returned as Arrow IPC.
- **Broadcast** (once per executor): the rules (``rates.params`` is installed from them),
  ``core.param_answers`` (the terminals' own report intervals) and ``meta.ingested_files``
  (dump dates of records without a receive time).
- **Driver**: :func:`hazrisk.rates.compute.compute_rates` with those partial rows as its
  ``vehicle_days``: network entry, coverage, connectivity, vehicle results, the provider
  rates with their Wilson intervals, verdicts and enterprise scores, stored exactly as
  ``--engine duckdb`` stores them.

A unit (a vehicle, or an unregistered terminal) is never split across groups: registered
vehicles are hashed, every record without a vehicle goes to one group (they share the NULL
key; :func:`hazrisk.spark.source.vehicle_groups`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.config import Rules, Section, load_rules
from hazrisk.rates import _sql
from hazrisk.rates.compute import compute_rates, install, rules_sha256, vehicle_day_partials
from hazrisk.rates.period import Period
from hazrisk.spark.local import (
    from_ipc,
    local_warehouse,
    lossless,
    needed_columns,
    put_relation,
    to_ipc,
)
from hazrisk.spark.source import (
    ExportSource,
    arrow_partition,
    position_columns,
    read_positions,
    vehicle_groups,
)

PARTIAL_SCHEMA = "positions long, ipc binary"
#: Small warehouse relations the position flags read besides the positions (broadcast).
BROADCAST_RELATIONS: tuple[str, ...] = ("core.param_answers", "meta.ingested_files")


@dataclass(frozen=True)
class RatesJob:
    """What a rates kernel needs besides its rows (broadcast to the executors)."""

    rules_parts: tuple[str, dict[str, tuple[dict[str, Any], dict[str, str]]]]
    period: Period
    relations: dict[str, pa.Table]
    token: str  # identifies rules + broadcast rows: loaded once per worker

    @classmethod
    def of(cls, rules: Rules, period: Period, relations: dict[str, pa.Table],
           token: str) -> RatesJob:
        """The job for ``rules`` (held as plain dicts: :class:`Rules` wraps read-only
        mappings, which do not pickle)."""
        parts = {name: (dict(sec.entries), dict(sec.sources))
                 for name, sec in rules.sections.items()}
        return cls((rules.path, parts), period, relations, token)

    @property
    def rules(self) -> Rules:
        path, parts = self.rules_parts
        return Rules(path, MappingProxyType({
            name: Section(name, MappingProxyType(values), MappingProxyType(sources))
            for name, (values, sources) in parts.items()}))


def rates_kernel(rows: pa.Table, job: RatesJob) -> pa.Table:
    """The provider x unit x day aggregates of one group of whole units (on an executor)."""
    wh = local_warehouse()
    rules = job.rules
    if wh.loaded.get("rates.params") != job.token:
        install(wh.con, rules)
        wh.loaded["rates.params"] = job.token
    for name, table in job.relations.items():
        put_relation(wh, name, table, token=job.token)
    put_relation(wh, "core.positions", rows)
    with lossless(wh.con):
        part = vehicle_day_partials(wh.con, job.period, rules)
    return pa.table({"positions": [rows.num_rows], "ipc": [to_ipc(part)]})


def _kernel(bc: Any) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows = arrow_partition(batches)
        if rows is not None:
            yield from rates_kernel(rows, bc.value).to_batches()
    return run


@dataclass
class SparkRatesRun:
    """The distributed part of a run: partial rows and what it read."""

    vehicle_days: pa.Table
    positions: int
    groups: int
    seconds: float


def vehicle_days_spark(spark: Any, con: duckdb.DuckDBPyConnection, src: ExportSource,
                       period: Period, rules: Rules, *, groups: int | None = None
                       ) -> SparkRatesRun:
    """The period's ``_rates_vd`` rows computed by Spark over the export ``src``; ``con``
    (the warehouse) supplies the broadcast relations."""
    from hazrisk.spark.source import default_groups

    tic = time.perf_counter()
    relations = {name: con.sql(f"SELECT * FROM {name}").to_arrow_table()  # fixed names
                 for name in BROADCAST_RELATIONS}
    job = RatesJob.of(rules, period, relations, f"{rules_sha256(rules)}:{time.time_ns()}")
    t_lo = period.t0 - timedelta(hours=float(rules.rates.lookback_hours))
    bc = spark.sparkContext.broadcast(job)
    try:
        df = read_positions(spark, src, _columns(con), t_lo, period.t1, undated=True)
        df = vehicle_groups(df, groups or default_groups(spark))
        parts = df.mapInArrow(_kernel(bc), PARTIAL_SCHEMA).collect()
    finally:
        bc.unpersist()
    tables = [from_ipc(bytes(r["ipc"])) for r in parts]
    tables = [t for t in tables if t.num_rows] or tables[:1]
    if not tables:  # no position at all: the empty result of the same statement
        tables = [_empty_vehicle_days(period, rules)]
    return SparkRatesRun(pa.concat_tables(tables), sum(int(r["positions"]) for r in parts),
                         len(parts), time.perf_counter() - tic)


def rates_spark(spark: Any, con: duckdb.DuckDBPyConnection, src: ExportSource,
                period: Period, rules: Rules | None = None, *, official: bool = True,
                groups: int | None = None) -> tuple[list[dict[str, Any]], SparkRatesRun]:
    """:func:`hazrisk.rates.compute.compute_rates` with the position flags computed by Spark
    over the export; the stored rates as records, and the distributed part's figures."""
    rules = rules or load_rules()
    run = vehicle_days_spark(spark, con, src, period, rules, groups=groups)
    rows = compute_rates(con, period, rules, official=official, vehicle_days=run.vehicle_days)
    return rows, run


def _empty_vehicle_days(period: Period, rules: Rules) -> pa.Table:
    """No position in the period: the same statement over no rows (its empty result, typed
    as always), in this process's own in-memory warehouse."""
    wh = local_warehouse()
    install(wh.con, rules)
    wh.loaded.pop("rates.params", None)  # installed outside a job: the next kernel reinstalls
    put_relation(wh, "core.positions", pa.table({"pos_seq": pa.array([], pa.int64())}))
    with lossless(wh.con):
        return vehicle_day_partials(wh.con, period, rules)


def _columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The position columns the rates SQL mentions (the export holds the warehouse's)."""
    return needed_columns(position_columns(con), _sql.sql_text("macros.sql"),
                          _sql.statements("compute.sql")["vehicle_days"])
