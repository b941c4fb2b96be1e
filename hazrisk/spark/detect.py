"""``hazrisk detect --engine spark``: the trajectory detectors per vehicle group on Spark.

What runs where:

- **Executors** (:func:`detect_kernel`, one call per vehicle group: the positions are
  ``repartition``-ed by vehicle and each partition handed to ``mapInArrow``): the group's
  positions from the Parquet export go into
  the worker's in-process DuckDB (:mod:`hazrisk.spark.local`) as ``core.positions``; the
  project's own ``safety/sql/positions.sql`` selects and orders the usable fixes, and the
  project's own kernels (:func:`hazrisk.safety.pipeline.detect_batches`: the detectors and
  :func:`hazrisk.safety.history.day_metrics` per batch of whole vehicles) turn them into the
  staged violations and the per vehicle-day metrics, and
  :func:`hazrisk.safety.tables.position_parts` (``safety/sql/position_parts.sql``) into the
  vehicle-days' position counts and the repeated power pulls: the partial results, a few rows
  per vehicle, returned as Arrow IPC.
- **Broadcast** (once per executor): the road index and fences
  (:class:`~hazrisk.safety.pipeline.Geography`, built from the warehouse's ``core.roads`` /
  ``core.fences``), the fault tickets and power-down alarms of the range and the thresholds.
- **Driver**: the DuckDB engine's own steps around the per-vehicle work
  (:func:`hazrisk.safety.pipeline.begin_detect`: range checks, schema, roads, fences, tickets;
  :func:`~hazrisk.safety.pipeline.finish_detect`: the alarm events, then
  :func:`hazrisk.safety.tables.write_results`: violations, handling, drivers on duty,
  tampering, vehicle-days, enterprise and vehicle months, in one transaction), so the results
  are stored exactly as ``--engine duckdb`` stores them. The driver reads no position: ``--db``
  may be the warehouse or a results warehouse (:mod:`hazrisk.spark.inputs`).

Every record of a vehicle lands in one group, with the same 26 h / 24 h of context the
DuckDB engine reads, so each vehicle's track is the one the DuckDB engine sees.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from hazrisk.config import load_rules
from hazrisk.safety.params import SafetyParams
from hazrisk.safety.pipeline import (
    STAGE_COLUMNS,
    STREAM_BATCH_ROWS,
    DetectReport,
    Geography,
    begin_detect,
    detect_batches,
    finish_detect,
)
from hazrisk.safety.tables import PositionParts, position_parts
from hazrisk.spark.local import (
    arrow,
    from_ipc,
    local_warehouse,
    needed_columns,
    put_relation,
    to_ipc,
)
from hazrisk.spark.source import (
    ExportSource,
    arrow_partition,
    position_columns,
    read_positions,
    read_table,
    vehicle_groups,
)
from hazrisk.sqlfiles import SqlFolder
from hazrisk.store.export import UNDATED

_safety = SqlFolder("hazrisk.safety")
read_sql = _safety.text
_sql = SqlFolder("hazrisk.spark")

#: What a kernel call returns: one row per partial of its group (:data:`KINDS`).
PARTIAL_SCHEMA = "kind string, vehicles long, positions long, ipc binary"
#: The partials: staged violations, vehicle-day metrics, position counts, power pulls.
KINDS = ("stage", "days", "counts", "pulls")


@dataclass(frozen=True)
class DetectJob:
    """Everything a detect kernel needs besides its rows (broadcast to the executors)."""

    params: SafetyParams
    geo: Geography
    tickets: pd.DataFrame
    alarms: pa.Table  # the power-down alarms of the range (what power_pulls reads)
    c0: datetime  # context read around the range
    c1: datetime
    r0: datetime  # the range
    r1: datetime
    batch_positions: int = field(
        default_factory=lambda: int(load_rules().daily.detect_batch_positions))

    @property
    def t0(self) -> float:
        """The range's start, epoch seconds (what the detectors compare)."""
        return self.r0.timestamp()

    @property
    def t1(self) -> float:
        return self.r1.timestamp()


def _frame_ipc(frames: list[pd.DataFrame], empty: pd.DataFrame) -> bytes:
    kept = [f for f in frames if len(f)]
    frame = pd.concat(kept, ignore_index=True) if kept else empty
    return to_ipc(pa.Table.from_pandas(frame, preserve_index=False))


def detect_kernel(rows: pa.Table, job: DetectJob) -> pa.Table:
    """The staged violations, vehicle-day metrics, position counts and power pulls of one
    group of whole vehicles (runs on an executor; the calls
    :func:`hazrisk.safety.pipeline.detect` and :func:`hazrisk.safety.tables.write_results`
    make over the warehouse)."""
    p = job.params
    wh = local_warehouse()
    put_relation(wh, "core.positions", rows)
    put_relation(wh, "core.alarms", job.alarms)
    reader = wh.con.sql(read_sql("positions"), params={
        "t0": job.c0, "t1": job.c1}).to_arrow_reader(
            batch_size=STREAM_BATCH_ROWS)
    batches = list(detect_batches(reader, job.batch_positions, job.geo, job.tickets, job.t0,
                                  job.t1, p))
    stages = [b.stage for b in batches]
    days = [b.days for b in batches]
    vehicles = sum(b.vehicles for b in batches)
    positions = sum(b.positions for b in batches)
    parts = position_parts(wh.con, job.r0, job.r1, p)
    return pa.table({
        "kind": list(KINDS), "vehicles": [vehicles] * 4, "positions": [positions] * 4,
        "ipc": [_frame_ipc(stages, pd.DataFrame(columns=list(STAGE_COLUMNS))),
                _frame_ipc(days, pd.DataFrame()), to_ipc(parts.counts), to_ipc(parts.pulls)],
    })


def _kernel(bc: Any) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows = arrow_partition(batches)
        if rows is not None:
            yield from detect_kernel(rows, bc.value).to_batches()
    return run


def _frames(parts: list[Any], kind: str) -> list[pd.DataFrame]:
    frames = [from_ipc(bytes(r["ipc"])).to_pandas() for r in parts if r["kind"] == kind]
    return [f for f in frames if len(f)]


def _position_parts(parts: list[Any], run: Any, con: duckdb.DuckDBPyConnection
                    ) -> PositionParts:
    """The groups' position counts and power pulls (their rows add up: whole vehicles per
    group). With no group (no position in the range) the statements' zero rows here."""
    tables = {kind: [from_ipc(bytes(r["ipc"])) for r in parts if r["kind"] == kind]
              for kind in ("counts", "pulls")}
    if not tables["counts"]:
        return position_parts(con, run.t0, run.t1, run.params)
    return PositionParts(pa.concat_tables(tables["counts"]), pa.concat_tables(tables["pulls"]))


def detect_spark(
    spark: Any,
    con: duckdb.DuckDBPyConnection,
    src: ExportSource,
    start: date,
    end: date,
    *,
    params: SafetyParams | None = None,
    groups: int | None = None,
) -> DetectReport:
    """:func:`hazrisk.safety.pipeline.detect` for Beijing days [start, end) with the
    positions read from the Parquet export ``src`` by Spark; results stored in ``con``. The
    driver's steps before and after the per-vehicle work are the DuckDB engine's own
    (:func:`~hazrisk.safety.pipeline.begin_detect`,
    :func:`~hazrisk.safety.pipeline.finish_detect`)."""
    from hazrisk.spark.source import default_groups

    run = begin_detect(con, start, end, params)
    report = run.report
    alarms = _sql.statement("detect", "power_down_alarms")
    job = DetectJob(run.params, run.geo, run.tickets,
                    con.sql(alarms, params={"t0": run.t0, "t1": run.t1}).to_arrow_table(),
                    run.c0, run.c1, run.t0, run.t1)
    tic = time.perf_counter()
    bc = spark.sparkContext.broadcast(job)
    try:
        df = read_positions(spark, src, _columns(con), run.c0, run.c1)
        df = vehicle_groups(df, groups or default_groups(spark), registered_only=True)
        parts = [r.asDict() for r in
                 df.mapInArrow(_kernel(bc), PARTIAL_SCHEMA).collect()]
    finally:
        bc.unpersist()
    timings = {"spark": time.perf_counter() - tic}
    report.batches = len(parts) // len(KINDS)
    report.vehicles = sum(int(r["vehicles"]) for r in parts if r["kind"] == "stage")
    report.positions = sum(int(r["positions"]) for r in parts if r["kind"] == "stage")
    return finish_detect(con, run, _frames(parts, "stage"), _frames(parts, "days"), timings,
                         _position_parts(parts, run, con))


#: What a day-count kernel call returns (``safety/sql/data_range.sql``: ``day_counts``).
DAY_COUNTS_SCHEMA = "day date, n long"


def _count_days(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The ``day_counts`` statement over one slice of the positions (on an executor)."""
    rows = arrow_partition(batches)
    if rows is not None:
        wh = local_warehouse()
        put_relation(wh, "core.positions", rows)
        yield from arrow(wh.con, _safety, "data_range", "day_counts").to_batches()


def export_day_counts(spark: Any, con: duckdb.DuckDBPyConnection,
                      src: ExportSource) -> dict[date, int]:
    """The DuckDB engine's :func:`hazrisk.safety.data_range.day_counts` over the export's
    positions: the same statement on the executors over slices (only the dated partitions
    and registered vehicles' rows leave the files, only the columns it mentions), summed."""
    from pyspark.sql import functions as F

    statement = _safety.statement("data_range", "day_counts")
    df = (read_table(spark, src, "positions")
          .where((F.col("date") != UNDATED) & F.col("vehicle_id").isNotNull())
          .select(*needed_columns(position_columns(con), statement)))
    counts: dict[date, int] = {}
    for r in df.mapInArrow(_count_days, DAY_COUNTS_SCHEMA).collect():
        counts[r["day"]] = counts.get(r["day"], 0) + int(r["n"])
    return counts


def _columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The position columns the detect SQL mentions (the export holds the warehouse's)."""
    return needed_columns(position_columns(con), read_sql("positions"),
                          read_sql("position_parts"))
