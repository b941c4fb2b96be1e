"""Which days a Spark rates run on a results warehouse computes: the days with position
records and the days later files made stale, from the export instead of the driver's
positions (a results warehouse, :mod:`hazrisk.spark.inputs`, holds none).

The export's layout answers most of it without opening a data file:

- positions with a GNSS time are in ``positions/date=<Beijing day>/``, so the days with such
  records are the partition names (Spark's file listing, :func:`partition_days`);
- the rest is asked of the project's own statements
  (:func:`hazrisk.rates.partials.data_days` / :func:`~hazrisk.rates.partials.stale_days`,
  :func:`days_kernel` on the executors) over the only rows whose answer the names do not
  give: the records without a GNSS time (``date=undated``, a small partition: their day is the
  receive day or the dump file's date) and the records of files newer than the oldest newest
  file a computed day saw (``source_file_id > X``: the rows ``stale_days`` reads; Parquet's
  row-group statistics on ``source_file_id`` let the reader skip every row group of older
  files, so once every file is computed nothing is read).

Both statements' answers over a union of slices are the union of theirs, so the executors'
answers add up.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from hazrisk.config import Rules
from hazrisk.rates.compute import rules_sha256
from hazrisk.rates.partials import data_days, stale_days
from hazrisk.spark import ratejob
from hazrisk.spark.local import from_ipc, needed_columns, put_relation, to_ipc
from hazrisk.spark.ratejob import RatesJob
from hazrisk.spark.source import ExportSource, position_columns, read_table
from hazrisk.sqlfiles import SqlFolder
from hazrisk.store.export import UNDATED

_rates = SqlFolder("hazrisk.rates")

_DAY_FOLDER = re.compile(r"/date=(\d{4}-\d{2}-\d{2})/")


def days_kernel(rows: pa.Table, job: RatesJob) -> pa.Table:
    """The days with data up to ``job.end`` and the stale days that the positions ``rows``
    show (on an executor, any slice of the positions): the project's
    :func:`~hazrisk.rates.partials.data_days` and :func:`~hazrisk.rates.partials.stale_days`,
    whose results over a union of slices are the union of theirs."""
    assert job.end is not None
    wh = ratejob.prepare(job)
    put_relation(wh, "rates.day_runs", job.relations["rates.day_runs"])
    put_relation(wh, "meta.registry_imports", job.relations["meta.registry_imports"],
                 token=job.token)
    put_relation(wh, "core.positions", rows)
    days = pa.table({"kind": ["data"], "day": [data_days(wh.con, job.end)]})
    stale = stale_days(wh.con, job.rules, since=job.since)
    days = pa.concat_tables([days, pa.table({"kind": ["stale"], "day": [stale]},
                                            schema=days.schema)])
    return pa.table({"kind": ["days"], "positions": [rows.num_rows], "ipc": [to_ipc(days)]})


def partition_days(positions: Any) -> list[date]:
    """The Beijing days of the export's ``date=`` partitions of ``positions`` (a DataFrame
    of the whole table): the days with position records that have a GNSS time. From Spark's
    file listing; no file is read."""
    found = {m.group(1) for f in positions.inputFiles() if (m := _DAY_FOLDER.search(f))}
    return sorted(date.fromisoformat(d) for d in found)


@dataclass(frozen=True)
class ExportDays:
    """What :func:`position_days_spark` found: days with position records, stale days, and
    how many position records the executors read to find them."""

    data: list[date]
    stale: list[date]
    records: int


def position_days_spark(spark: Any, con: Any, src: ExportSource, end: date, rules: Rules,
                        since: date | None) -> ExportDays:
    """The days with position records up to ``end`` and the stale days that the export's
    positions show, for a driver whose warehouse holds no positions (a results warehouse):
    the partition names, and ``data_days`` / ``stale_days`` on the executors over the
    undated records and those of files newer than the oldest newest file of
    ``rates.day_runs`` (see the module's text)."""
    from pyspark.sql import functions as F

    rel = ratejob.relations(con, (*ratejob.BROADCAST_RELATIONS, "rates.day_runs", "meta.registry_imports"))
    job = RatesJob.of(rules, [], rel, f"{rules_sha256(rules)}:{uuid.uuid4().hex}",
                      end=end, since=since)
    statements = _rates.statements("partials")
    columns = needed_columns(position_columns(con), statements["data_days"],
                             statements["stale_days"])
    positions = read_table(spark, src, "positions")
    rows = positions.where(F.col("date") == UNDATED)
    (oldest,) = _rates.run(con, "partials.sql", "files_seen_by_all").fetchall()[0]
    if oldest is not None:  # no computed day: nothing can be stale
        rows = rows.unionByName(positions.where((F.col("date") != UNDATED)
                                                & (F.col("source_file_id") > int(oldest))))
    bc = spark.sparkContext.broadcast(job)
    try:
        parts = [r.asDict() for r in rows.select(*columns)
                 .mapInArrow(ratejob.kernel(bc, days_kernel), ratejob.PARTIAL_SCHEMA).collect()]
    finally:
        bc.unpersist()
    found: dict[str, set[date]] = {"data": {d for d in partition_days(positions) if d <= end},
                                   "stale": set()}
    for r in parts:
        table = from_ipc(bytes(r["ipc"]))
        for kind, days in zip(table.column("kind").to_pylist(), table.column("day").to_pylist(),
                              strict=True):
            found[kind].update(days)
    return ExportDays(sorted(found["data"]), sorted(found["stale"]),
                      sum(int(r["positions"]) for r in parts))
