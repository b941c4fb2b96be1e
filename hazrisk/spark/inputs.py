"""The output warehouse of a Spark run, and the small inputs it takes from the export.

``--db OUT`` with ``--engine spark`` names where the results are stored. It is either

- **the warehouse the export was written from** (an existing file): its small tables are the
  export's and are read in place, as before; or
- **a results warehouse**: a file that does not exist yet (created, with the warehouse
  schema) or one an earlier Spark run created. A cluster then needs only the Parquet export:
  every run first replaces the results warehouse's copies of the export's small inputs
  (:data:`INPUTS`: the registries, ``meta/`` and the small telematics tables the driver's SQL
  reads) with the export's rows, read by Spark (any URI it reads). Its ``core.positions``
  stays empty: positions are read by the executors only, and what the driver would have
  found in them comes from them or from the export's layout (which days have data, which
  are stale: :func:`hazrisk.spark.rates.position_days_spark`; the vehicle-days' position
  counts and power pulls: :mod:`hazrisk.spark.detect`).

``spark.copied_inputs`` (one row per copied relation: export, rows, time) marks a results
warehouse; a file without it is never written into except for results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.cliutil import EXIT_USAGE, CliError, open_warehouse
from hazrisk.spark.local import LocalWarehouse, put_relation
from hazrisk.spark.source import ExportSource, exported, read_table
from hazrisk.sqlfiles import SqlFolder, has_relation
from hazrisk.store.export import META, REGISTRY

_sql = SqlFolder("hazrisk.spark")

#: The export's small inputs a results warehouse holds copies of: (export table, relation).
#: Telematics views (``core.heartbeats`` ...) show the rows of ``store.*`` whose file is in
#: ``meta.ingested_files``, so the copies go to ``store.*``.
INPUTS: tuple[tuple[str, str], ...] = (
    *((f"registry/{name}.parquet", f"core.{name}") for name in REGISTRY),
    *((f"meta/{name}.parquet", f"meta.{name}") for name in META),
    ("heartbeats", "store.heartbeats"),
    ("param_answers", "store.param_answers"),
    ("alarms", "store.alarms"),                # detect: tampering alarm bits
    ("safety_events", "store.safety_events"),  # detect: ADAS / DSM alarm events
    ("text_messages", "store.text_messages"),  # detect: reminders sent (handling)
    ("driver_reports", "store.raw_messages"),  # detect: drivers on duty (0x0702; unmasked)
)


#: Zero rows (every column of the relation NULL-filled: nothing is inserted).
NO_ROWS = pa.table({"_no_rows": pa.array([], pa.int8())})


@dataclass
class Output:
    """The warehouse a Spark run stores its results in."""

    con: duckdb.DuckDBPyConnection
    path: Path
    copies: bool  # a results warehouse: small inputs copied from the export, no positions


def open_output(path: str | None) -> Output:
    """Open ``--db`` for a Spark run: an existing warehouse, or a new results warehouse."""
    from hazrisk.store.connect import StoreError, connect

    if not path:
        raise CliError("--db FILE is required (with --engine spark: the warehouse results "
                       "are stored in; a new file becomes a results warehouse)", EXIT_USAGE)
    p = Path(path)
    if not p.exists():
        try:
            con = connect(str(p))
        except (duckdb.Error, StoreError, OSError) as exc:
            raise CliError(f"{p}: cannot create the results warehouse "
                           f"({str(exc).strip().splitlines()[0]})", EXIT_USAGE) from None
        _sql.script(con, "inputs")
        return Output(con, p, True)
    con = open_warehouse(str(p))
    return Output(con, p, has_relation(con, "spark", "copied_inputs"))


def refresh_inputs(spark: Any, out: Output, src: ExportSource) -> dict[str, int]:
    """Replace a results warehouse's copies of :data:`INPUTS` with the export's rows (in the
    caller's transaction); nothing for a source warehouse. Rows copied per relation."""
    if not out.copies:
        return {}
    wh = LocalWarehouse(out.con)
    copied = {}
    for table, relation in INPUTS:
        rows = _read(spark, src, table)
        if rows is None:  # the export writes no folder for an empty telematics table
            rows = NO_ROWS
        put_relation(wh, relation, rows)
        copied[relation] = rows.num_rows
        _sql.run(out.con, "copies", "record",
                 {"relation": relation, "export": src.root, "rows": copied[relation]})
    return copied


def has_driver_reports(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse holds 0x0702 driver-identity reports (a results warehouse copies
    them from an unmasked export only): without them no violation gets its driver on duty."""
    return bool(_sql.query(con, "copies", "driver_reports")[0]["n"])


def _read(spark: Any, src: ExportSource, table: str) -> pa.Table | None:
    """An exported table as Arrow (None when the export has no such table)."""
    if table.endswith(".parquet"):
        df = exported(spark, src, table, lambda: spark.read.parquet(src.table(table)))
    else:
        df = exported(spark, src, table, lambda: read_table(spark, src, table))
    return None if df is None else df.drop("date", "provider").toArrow()
