"""The Parquet export (``hazrisk export --unmasked``) as Spark reads it.

Positions are read from ``EXPORT/positions/date=<Beijing day>/provider=<id>/*.parquet`` (files
ordered by vehicle and time inside each day, :mod:`hazrisk.store.export`): only the days a
run needs (partition pruning) and only the columns its SQL mentions (column pruning), then
partitioned by vehicle (:func:`vehicle_groups`) so that every record of a vehicle lands in
one group.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from hazrisk.cliutil import EXIT_USAGE, CliError
from hazrisk.localtime import BEIJING
from hazrisk.store.export import UNDATED

MARKER = "_hazrisk_export"


@dataclass(frozen=True)
class ExportSource:
    """A checked export folder (local path or a URI Spark can read: hdfs://, s3a://, oss://)."""

    root: str

    def table(self, name: str) -> str:
        return self.root.rstrip("/") + "/" + name


def open_export(path: str | os.PathLike[str]) -> ExportSource:
    """Check an export for the Spark engine. A local folder must be a hazrisk export written
    with ``--unmasked`` (terminal numbers link records, texts and handling); a URI is taken as
    given (the cluster's storage; see the README's "Running on a cluster")."""
    text = str(path)
    if "://" in text and not text.startswith("file://"):
        return ExportSource(text)
    local = Path(text.removeprefix("file://"))
    if not local.is_dir():
        raise CliError(f"{local}: no such export folder (write one with `hazrisk export "
                       "--unmasked --out DIR`)", EXIT_USAGE)
    marker = local / MARKER
    if not marker.exists():
        raise CliError(f"{local}: not a hazrisk export (no {MARKER})", EXIT_USAGE)
    if "UNMASKED" not in marker.read_text(encoding="utf-8"):
        raise CliError(f"{local}: a masked export; the spark engine needs terminal numbers in "
                       "clear (`hazrisk export --unmasked`, kept where only the platform reads "
                       "it)", EXIT_USAGE)
    if not (local / "positions").is_dir():
        raise CliError(f"{local}: the export holds no positions", EXIT_USAGE)
    return ExportSource(str(local.resolve()))


def beijing_days(t0: datetime, t1: datetime) -> list[str]:
    """The ``date=`` partitions holding device times in [t0, t1) (Beijing days, ISO)."""
    first = t0.astimezone(BEIJING).date()
    last = (t1 - timedelta(microseconds=1)).astimezone(BEIJING).date()
    return [(first + timedelta(days=k)).isoformat() for k in range((last - first).days + 1)]


def read_table(spark: Any, src: ExportSource, name: str) -> Any:
    """An exported table as a Spark DataFrame (``date`` / ``provider`` partition columns as
    strings; filters on them prune folders)."""
    return spark.read.option("basePath", src.table(name)).parquet(src.table(name))


def exported(spark: Any, src: ExportSource, name: str, read: Callable[[], Any]) -> Any:
    """``read()`` (a DataFrame of the export's ``name``), or None when the export has no such
    table (``hazrisk export`` writes no folder for an empty telematics table)."""
    if "://" not in src.root:
        return read() if Path(src.table(name)).exists() else None
    try:
        return read()
    except Exception as exc:  # pyspark's AnalysisException: the path does not exist
        if "PATH_NOT_FOUND" in str(exc):
            return None
        raise


def read_positions(spark: Any, src: ExportSource, columns: list[str], t0: datetime,
                   t1: datetime, *, undated: bool = False) -> Any:
    """Positions with device time in [t0, t1) (and, ``undated``, every record without one),
    only ``columns``."""
    from pyspark.sql import functions as F

    days = beijing_days(t0, t1) + ([UNDATED] if undated else [])
    df = read_table(spark, src, "positions").where(F.col("date").isin(days))
    timed = (F.col("device_time") >= F.lit(t0)) & (F.col("device_time") < F.lit(t1))
    df = df.where(timed | F.col("device_time").isNull() if undated else timed)
    return df.select(*columns)


def position_columns(con: Any) -> list[str]:
    """The columns of the warehouse's ``core.positions`` (what ``hazrisk export`` writes)."""
    from hazrisk.sqlfiles import SqlFolder

    return [str(c) for (c,) in SqlFolder("hazrisk.store").run(
        con, "export", "columns", {"schema": "core", "table": "positions"}).fetchall()]


def vehicle_groups(df: Any, groups: int, *, registered_only: bool = False) -> Any:
    """``df`` in ``groups`` partitions by vehicle (Spark's hash partitioning): every record of
    a vehicle in one partition, and every record without a vehicle (unregistered terminals,
    whose unit is the terminal) in one partition too (they share the NULL key);
    ``registered_only`` drops those. One shuffle, no sort: the kernels order the rows."""
    from pyspark.sql import functions as F

    if registered_only:
        df = df.where(F.col("vehicle_id").isNotNull())
    return df.repartition(groups, "vehicle_id")


def arrow_partition(batches: Iterator[Any]) -> pa.Table | None:
    """A partition's Arrow batches (``mapInArrow``) as one table; None when it is empty."""
    got = list(batches)
    return pa.Table.from_batches(got) if got else None


def default_groups(spark: Any) -> int:
    """Vehicle groups per run: a few per core (work spreads, each group stays large enough
    to amortise a task's start)."""
    return max(2, 2 * int(spark.sparkContext.defaultParallelism))

