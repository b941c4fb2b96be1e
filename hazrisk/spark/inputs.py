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

The copies are **incremental**: ``hazrisk export`` describes its content piece by piece in
``meta/digests.parquet`` (rows and an order-independent digest per telematics table and dump
file, and per registry / meta file; :mod:`hazrisk.store.export`), and ``spark.copied_digests``
records the pieces each relation holds. A refresh deletes the rows of the dump files whose
digest changed or that the export no longer holds (retention, a registry import resolving
alarms anew) and reads from the export only the changed and new files' rows
(``source_file_id IN (...)``: Parquet's row-group statistics skip the rest); a registry or
meta table is copied whole when its digest changed. The relation then holds what a full copy
would. A relation whose recorded digests do not account for its rows (an export without
digests, a file an earlier version filled) is copied whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.cliutil import EXIT_USAGE, CliError, open_warehouse
from hazrisk.spark.local import LocalWarehouse, put_relation
from hazrisk.spark.source import ExportSource, exported, read_table
from hazrisk.sqlfiles import SqlFolder, has_relation, registered
from hazrisk.store.export import DIGESTS, META, REGISTRY

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
    copies = has_relation(con, "spark", "copied_inputs")
    if copies:  # tables and columns a later version added
        _sql.script(con, "inputs")
    return Output(con, p, copies)


def refresh_inputs(spark: Any, out: Output, src: ExportSource) -> dict[str, int]:
    """Bring a results warehouse's copies of :data:`INPUTS` up to the export (in the caller's
    transaction; only what changed: see the module's text); nothing for a source warehouse.
    Rows read from the export per relation."""
    if not out.copies:
        return {}
    wh = LocalWarehouse(out.con)
    digests = _digests(spark, src)
    recorded = {r["relation"]: r for r in _sql.query(out.con, "copies", "recorded")}
    copied = {}
    for table, relation in INPUTS:
        piece = table.removesuffix(".parquet")
        want = None if digests is None else digests.filter(pc.equal(digests["table"], piece))
        before = recorded.get(relation)
        have = _pieces(out.con, relation, before)
        rows, held = _refresh(spark, wh, src, table, relation, want, have,
                              0 if before is None else int(before["rows"]))
        copied[relation] = rows
        _sql.run(out.con, "copies", "forget_digests", {"relation": relation})
        if want is not None:
            with registered(out.con, "_digests", want):
                _sql.run(out.con, "copies", "record_digests", {"relation": relation})
        _sql.run(out.con, "copies", "record", {"relation": relation, "export": src.root,
                                               "rows": held, "copied": rows})
    return copied


Pieces = dict[int | None, tuple[int, str | None]]


def _pieces(con: duckdb.DuckDBPyConnection, relation: str,
            recorded: dict[str, Any] | None) -> Pieces | None:
    """The pieces ``relation`` holds by its recorded digests (source file -> rows, digest);
    None when they do not account for its rows (never recorded: copy it whole)."""
    if recorded is None or recorded["rows"] != recorded["described"]:
        return None
    return {r["source_file_id"]: (int(r["rows"]), r["digest"])
            for r in _sql.query(con, "copies", "digests", {"relation": relation})}


def _refresh(spark: Any, wh: LocalWarehouse, src: ExportSource, table: str, relation: str,
             want: pa.Table | None, have: Pieces | None, held: int) -> tuple[int, int]:
    """Bring one relation (holding ``held`` rows) up to the export's ``table``: rows read
    from the export, rows it holds then."""
    new: Pieces | None = None if want is None else {
        f: (int(n), d) for f, n, d in zip(want["source_file_id"].to_pylist(),
                                          want["rows"].to_pylist(),
                                          want["digest"].to_pylist(), strict=True)}
    if new is not None and have is not None:
        if new == have:
            return 0, held
        if None not in new and None not in have:  # a telematics table: by dump file
            changed = sorted(int(f) for f in new if have.get(f) != new[f] and f is not None)
            gone = sorted(int(f) for f in have if f not in new and f is not None)
            if changed or gone:
                ((deleted,),) = _sql.run(wh.con, "copies", "forget_" + relation.split(".")[1],
                                         {"files": changed + gone}).fetchall()
                held -= int(deleted)
            rows = _read(spark, src, table, changed) if changed else None
            if rows is None:
                return 0, held
            put_relation(wh, relation, rows, append=True)
            return rows.num_rows, held + rows.num_rows
    rows = _read(spark, src, table)
    if rows is None:  # the export writes no folder for an empty telematics table
        rows = NO_ROWS
    put_relation(wh, relation, rows)
    return rows.num_rows, rows.num_rows


def _digests(spark: Any, src: ExportSource) -> pa.Table | None:
    """The export's ``meta/digests.parquet`` (None: an export written before it existed)."""
    df = exported(spark, src, DIGESTS, lambda: spark.read.parquet(src.table(DIGESTS)))
    return None if df is None else df.toArrow()


def has_driver_reports(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse holds 0x0702 driver-identity reports (a results warehouse copies
    them from an unmasked export only): without them no violation gets its driver on duty."""
    return bool(_sql.query(con, "copies", "driver_reports")[0]["n"])


def _read(spark: Any, src: ExportSource, table: str,
          files: list[int] | None = None) -> pa.Table | None:
    """An exported table as Arrow, or only the rows of the dump files ``files`` (None when
    the export has no such table)."""
    if table.endswith(".parquet"):
        df = exported(spark, src, table, lambda: spark.read.parquet(src.table(table)))
    else:
        df = exported(spark, src, table, lambda: read_table(spark, src, table))
    if df is not None and files is not None:
        from pyspark.sql import functions as F

        df = df.where(F.col("source_file_id").isin(files))
    return None if df is None else df.drop("date", "provider").toArrow()
