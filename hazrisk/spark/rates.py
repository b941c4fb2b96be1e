"""``hazrisk rates --engine spark``: the rate partials of each day on Spark executors.

The DuckDB engine computes the rates of a period from vehicle-day partials
(:mod:`hazrisk.rates.partials`): per Beijing day, in order, per vehicle batch, each day's
records read with the previous computed day's tail as context; any period is then
aggregated from the stored partials (:func:`hazrisk.rates.compute.aggregate`). This engine
computes the same partials on Spark and stores them through the same API:

- **Executors, per vehicle group** (:func:`partials_kernel`; positions ``repartition``-ed by
  unit, one ``mapInArrow`` call per group of whole units): the group's positions become
  ``core.positions`` of the worker's in-process DuckDB (:mod:`hazrisk.spark.local`), with the
  driver's last computed day before the run and its tail as ``rates.day_runs`` /
  ``rates.day_tails``; then :func:`hazrisk.rates.partials.partials_for` runs for each day of
  the pass in order (``batches=1, group=True``: the group is the batch, and only the group's
  share of the day is computed: drift verdicts, units' partials, tail) — the project's own
  statements, the tails chaining day to day as on the driver. The group's
  ``rates.day_partials``, ``rates.day_tails`` and ``rates.drift_fixes`` rows go back as Arrow
  IPC.
- **Executors, per day** (:func:`connectivity_kernel`): 平台连通率's day figure counts the
  *distinct* minutes of a provider, which do not add up over vehicle groups, so the
  positions' real-time receive minutes and the heartbeats are ``repartition``-ed by Beijing
  day instead, and each day runs the project's ``day_connectivity`` statement.
- **Driver** (:func:`rates_spark`): which days to compute — the days
  :func:`~hazrisk.rates.partials.missing_days` names, then, by the DuckDB engine's own rule
  (:func:`~hazrisk.rates.partials.rederive`), the next computed day after a day whose tail
  changed, each round one distributed pass — then ``partials_for(con, day, rows=, tails=,
  drift=, connectivity=)`` per day (coverage and the day's run row computed there, once) and
  :func:`~hazrisk.rates.compute.aggregate` for the period, in one transaction. On a results
  warehouse the day lists come from the export (:mod:`hazrisk.spark.days`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.config import Rules, load_rules
from hazrisk.localtime import TIMEZONE
from hazrisk.period import Period
from hazrisk.rates.compute import aggregate, install, rules_sha256
from hazrisk.rates.partials import DayRun, day_params, missing_days, partials_for, rederive
from hazrisk.safety.records import refuse_purged
from hazrisk.spark.local import arrow, from_ipc, lossless, needed_columns, put_relation, to_ipc
from hazrisk.spark.ratejob import (
    BROADCAST_RELATIONS,
    PARTIAL_SCHEMA,
    RatesJob,
    kernel,
    prepare,
    relations,
)
from hazrisk.spark.source import (
    ExportSource,
    beijing_days,
    exported,
    position_columns,
    read_table,
    vehicle_groups,
)
from hazrisk.sqlfiles import SqlFolder, transaction
from hazrisk.store.export import UNDATED

#: Columns of the connectivity inputs (positions / heartbeats) and the day key added to them.
DAY_KEY = "_day"
KIND = "_kind"

_rates = SqlFolder("hazrisk.rates")
_sql = SqlFolder("hazrisk.spark")


#: What a group returns: its share of the days' partials, tails and drift verdicts.
GROUP_KINDS = ("partials", "tails", "drift")


def partials_kernel(rows: pa.Table, job: RatesJob) -> pa.Table:
    """The day partials and tails of one group of whole units for every day of the job, in
    order (on an executor): :func:`hazrisk.rates.partials.partials_for` in the worker's
    warehouse, the context being the driver's last computed day before the job."""
    wh = prepare(job)
    _sql.run(wh.con, "rates", "reset_partials")
    _sql.run(wh.con, "rates", "reset_drift")
    put_relation(wh, "rates.day_runs", job.relations["rates.day_runs"])  # mutated: no token
    put_relation(wh, "rates.day_tails", job.relations["rates.day_tails"])
    put_relation(wh, "core.positions", rows)
    rules = job.rules
    for day in job.days:
        partials_for(wh.con, day, rules, batches=1, group=True)
    days = {"days": [d.isoformat() for d in job.days]}
    with lossless(wh.con):
        out = [arrow(wh.con, _sql, "rates", f"group_{kind}", days) for kind in GROUP_KINDS]
    return pa.table({"kind": list(GROUP_KINDS), "positions": [rows.num_rows, 0, 0],
                     "ipc": [to_ipc(t) for t in out]})


def connectivity_kernel(rows: pa.Table, job: RatesJob) -> pa.Table:
    """``rates.day_connectivity`` of the days whose positions and heartbeats ``rows`` holds
    (on an executor; ``rows`` tagged by :data:`KIND` and keyed by :data:`DAY_KEY`)."""
    wh = prepare(job)
    _sql.run(wh.con, "rates", "reset_connectivity")
    kind = rows.column(KIND)
    put_relation(wh, "core.positions", rows.filter(pc.equal(kind, "p")))
    put_relation(wh, "core.heartbeats", rows.filter(pc.equal(kind, "h")))
    lookback = float(job.rules.rates.lookback_hours)
    present = {d for d in rows.column(DAY_KEY).to_pylist() if d is not None}
    for day in job.days:
        if day.isoformat() in present:
            _rates.run(wh.con, "partials.sql", "day_connectivity",
                       {**day_params(day, lookback), "run_id": ""})
    with lossless(wh.con):
        conn = arrow(wh.con, _sql, "rates", "group_connectivity")
    return pa.table({"kind": ["connectivity"], "positions": [0], "ipc": [to_ipc(conn)]})


@dataclass
class SparkRatesRun:
    """One distributed pass: the days' partials, tails, drift verdicts and connectivity, and
    what it read."""

    days: list[date]
    partials: pa.Table | None
    tails: pa.Table | None
    drift: pa.Table | None
    connectivity: pa.Table | None
    positions: int
    groups: int
    seconds: float


def _gather(parts: list[Any], kind: str) -> pa.Table | None:
    tables = [from_ipc(bytes(r["ipc"])) for r in parts if r["kind"] == kind]
    kept = [t for t in tables if t.num_rows] or tables[:1]
    return pa.concat_tables(kept) if kept else None


def _context(con: duckdb.DuckDBPyConnection, first: date) -> dict[str, pa.Table]:
    """The driver's last computed day before ``first`` (its ``rates.day_runs`` row and
    ``rates.day_tails``): the context every group's first day reads."""
    params = {"day": first.isoformat()}
    return {"rates.day_runs": arrow(con, _sql, "rates", "context_run", params),
            "rates.day_tails": arrow(con, _sql, "rates", "context_tails", params)}


def day_partials_spark(spark: Any, con: duckdb.DuckDBPyConnection, src: ExportSource,
                       days: list[date], rules: Rules, *, groups: int | None = None
                       ) -> SparkRatesRun:
    """The partials, tails and connectivity of ``days`` (in order, the days after the
    driver's last computed day before them) computed by Spark over the export ``src``;
    ``con`` (the driver's warehouse) supplies the context and the broadcast relations."""
    from hazrisk.spark.source import default_groups

    tic = time.perf_counter()
    n = groups or default_groups(spark)
    rel = relations(con, BROADCAST_RELATIONS)
    context = _context(con, days[0])
    rel.update(context)
    job = RatesJob.of(rules, days, rel, f"{rules_sha256(rules)}:{uuid.uuid4().hex}")
    ctx_days = context["rates.day_runs"].column("day").to_pylist()
    bc = spark.sparkContext.broadcast(job)
    try:
        positions = read_table(spark, src, "positions")
        columns = needed_columns(position_columns(con), _rates.text("macros"),
                                 _rates.text("partials"))
        df = _flag_rows(positions, columns, ctx_days[0] if ctx_days else None, days[-1],
                        context["rates.day_tails"])
        parts = [r.asDict() for r in vehicle_groups(df, n).mapInArrow(
            kernel(bc, partials_kernel), PARTIAL_SCHEMA).collect()]
        conn = _connectivity_rows(spark, src, positions, days, rules)
        parts += [r.asDict() for r in conn.repartition(n, DAY_KEY).mapInArrow(
            kernel(bc, connectivity_kernel), PARTIAL_SCHEMA).collect()]
    finally:
        bc.unpersist()
    return SparkRatesRun(days, _gather(parts, "partials"), _gather(parts, "tails"),
                         _gather(parts, "drift"), _gather(parts, "connectivity"),
                         sum(int(r["positions"]) for r in parts),
                         sum(1 for r in parts if r["kind"] == "partials"),
                         time.perf_counter() - tic)


def _flag_rows(positions: Any, columns: list[str], ctx_day: date | None, last: date,
               tails: pa.Table) -> Any:
    """The positions a run's days read: GNSS time from the end of the context day (every
    earlier record when there is none) to the end of the last day, every record without a
    GNSS time, and the context day's tail records."""
    from pyspark.sql import functions as F

    t1 = Period(last, last).t1
    dated = (F.col("date") != UNDATED) & (F.col("date") <= last.isoformat())
    timed = dated & (F.col("device_time") < F.lit(t1))
    if ctx_day is not None:
        timed = timed & (F.col("date") > ctx_day.isoformat()) & (
            F.col("device_time") >= F.lit(Period(ctx_day, ctx_day).t1))
    undated = (F.col("date") == UNDATED) & F.col("device_time").isNull()
    df = positions.where(timed | undated).select(*columns)
    if ctx_day is not None and tails.num_rows:  # a few records per unit: a broadcast join
        seqs = positions.sparkSession.createDataFrame(
            tails.select(["pos_seq"]).to_pandas().astype("int64"))
        df = df.unionByName(positions.where((F.col("date") != UNDATED)
                                            & (F.col("date") <= ctx_day.isoformat()))
                            .join(F.broadcast(seqs), "pos_seq", "left_semi").select(*columns))
    return df


def _connectivity_rows(spark: Any, src: ExportSource, positions: Any, days: list[date],
                       rules: Rules) -> Any:
    """The positions and heartbeats ``day_connectivity`` reads for ``days``, tagged by kind
    (:data:`KIND`) and keyed (:data:`DAY_KEY`) by the Beijing day of their receive (else
    GNSS) time; the kernel applies the statement's own filters."""
    from pyspark.sql import functions as F

    first, last = Period(days[0], days[0]), Period(days[-1], days[-1])
    t_lo = first.t0 - timedelta(hours=float(rules.rates.lookback_hours))
    wanted = [d.isoformat() for d in days]

    def day_of(col: Any) -> Any:
        return F.date_format(F.from_utc_timestamp(col, TIMEZONE), "yyyy-MM-dd")

    heard = F.coalesce(F.col("recv_time"), F.col("device_time"))
    pos = (positions
           .where(F.col("date").isin(beijing_days(t_lo, last.t1 + timedelta(days=1))))
           .where(~F.col("is_backfill") & (F.col("device_time") >= F.lit(t_lo))
                  & (heard >= F.lit(first.t0)) & (heard < F.lit(last.t1)))
           .select("provider_id", "source_provider_id", "recv_time", "device_time",
                   "is_backfill", F.lit("p").alias(KIND), day_of(heard).alias(DAY_KEY)))
    beats = exported(spark, src, "heartbeats", lambda: read_table(spark, src, "heartbeats"))
    if beats is not None:
        beats = (beats.where(F.col("date").isin(wanted))
                 .where((F.col("recv_time") >= F.lit(first.t0))
                        & (F.col("recv_time") < F.lit(last.t1)))
                 .select("recv_time", "source_file_id", F.lit("h").alias(KIND),
                         day_of(F.col("recv_time")).alias(DAY_KEY)))
        pos = pos.unionByName(beats, allowMissingColumns=True)
    return pos.where(F.col(DAY_KEY).isin(wanted))


def _day_rows(con: duckdb.DuckDBPyConnection, run: SparkRatesRun, day: date
              ) -> dict[str, pa.Table]:
    """``partials_for``'s ``rows`` / ``tails`` / ``drift`` / ``connectivity`` of ``day``
    (zero rows of the same columns when no group returned any)."""
    out: dict[str, pa.Table] = {}
    for key, got, empty in (("rows", run.partials, "group_partials"),
                            ("tails", run.tails, "group_tails"),
                            ("drift", run.drift, "group_drift"),
                            ("connectivity", run.connectivity, "group_connectivity")):
        table: pa.Table = (got if got is not None else
                           arrow(con, _sql, "rates", empty, {"days": []}))
        out[key] = table.filter(pc.equal(table.column("day"), pa.scalar(day, pa.date32())))
    return out


def rates_spark(spark: Any, con: duckdb.DuckDBPyConnection, src: ExportSource,
                period: Period, rules: Rules | None = None, *, official: bool = True,
                groups: int | None = None, positions_here: bool = True,
                ) -> tuple[list[dict[str, Any]], list[SparkRatesRun]]:
    """:func:`hazrisk.rates.compute.compute_rates` with the day partials computed by Spark
    over the export: the stored rates as records, and the distributed passes made (none when
    every day's partials were current). ``positions_here=False``: ``con`` holds no positions
    (a results warehouse, :mod:`hazrisk.spark.inputs`), so which days have data or are stale
    is asked of the export (:func:`hazrisk.spark.days.position_days_spark`).

    The days recomputed are the DuckDB engine's (:func:`~hazrisk.rates.partials.rederive`
    over :func:`~hazrisk.rates.partials.missing_days`): the missing days, and the next
    computed day after a day whose tail changed; each round of them is one pass."""
    rules = rules or load_rules()
    refuse_purged(con, period.t0, f"rates {period.label}",
                  "rates.provider_rates / mart.provider_rates")
    passes: list[SparkRatesRun] = []

    def compute(days: list[date]) -> list[DayRun]:
        run = day_partials_spark(spark, con, src, days, rules, groups=groups)
        passes.append(run)
        return [partials_for(con, day, rules, batches=run.groups, **_day_rows(con, run, day))
                for day in days]

    with transaction(con):  # joins a caller's preview (transaction(con, keep=False))
        install(con, rules)
        data: list[date] = []
        stale: list[date] = []
        if not positions_here:
            from hazrisk.spark.days import position_days_spark

            found = position_days_spark(spark, con, src, period.end, rules,
                                        since=period.start)
            data, stale = found.data, found.stale
        rederive(con, missing_days(con, period.end, rules, since=period.start, data=data,
                                   stale=stale), rules, compute=compute)
        rows = aggregate(con, period, rules, official)
    return rows, passes
