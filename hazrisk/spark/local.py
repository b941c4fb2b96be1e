"""Executor side: an in-process DuckDB warehouse that runs the project's own kernels.

Each Python worker of a Spark executor keeps one in-memory warehouse (the project's schema,
:func:`hazrisk.store.connect.connect`), created on its first task and reused for the next
ones (Spark reuses Python workers); the rates macros are installed once per rules. A group's
rows (an Arrow table from Spark) are put in place of a warehouse relation with
:func:`put_relation` — a view casting every column back to the warehouse's own type, so the
project's SQL reads them exactly as it reads the warehouse — and results travel back to the
driver as Arrow IPC bytes (:func:`to_ipc` / :func:`from_ipc`), DuckDB types kept
(:func:`lossless`: HUGEINT sums stay HUGEINT).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.sqlfiles import SqlFolder, bind, registered
from hazrisk.store.connect import connect

_sql = SqlFolder("hazrisk.spark")

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


@dataclass
class LocalWarehouse:
    """One worker's in-memory warehouse and what has been loaded into it."""

    con: duckdb.DuckDBPyConnection
    types: dict[str, dict[str, str]] = field(default_factory=dict)
    loaded: dict[str, object] = field(default_factory=dict)  # relation -> token of its rows

    def columns(self, relation: str) -> dict[str, str]:
        """The warehouse's own columns of ``relation`` and their DuckDB types (as created by
        the schema, before any :func:`put_relation`)."""
        if relation not in self.types:
            schema, name = _split(relation)
            rows = _sql.run(self.con, "local", "columns",
                            {"schema": schema, "name": name}).fetchall()
            if not rows:
                raise ValueError(f"{relation}: not a relation of the warehouse schema")
            self.types[relation] = {str(c): str(t) for c, t in rows}
        return self.types[relation]


_WORKER: LocalWarehouse | None = None


def local_warehouse() -> LocalWarehouse:
    """This worker's in-memory warehouse (created on first use, one thread: Spark runs one
    task per core)."""
    global _WORKER
    if _WORKER is None:
        con = connect(":memory:", threads=1)
        _WORKER = LocalWarehouse(con)
    return _WORKER


def _split(relation: str) -> tuple[str, str]:
    if not _IDENT.match(relation):
        raise ValueError(f"{relation!r}: expected schema.name")
    schema, name = relation.split(".")
    return schema, name


def put_relation(wh: LocalWarehouse, relation: str, rows: pa.Table,
                 token: object | None = None, *, append: bool = False) -> None:
    """Make ``relation`` (a view or table of the warehouse schema) read ``rows``.

    Columns of ``rows`` that the relation has are cast to the relation's types; columns the
    relation has and ``rows`` lacks (pruned because no kernel reads them) are NULL. ``token``:
    skip the work when the same rows were loaded before (broadcast tables, once per worker).
    ``append``: a base table keeps its rows and gets ``rows`` besides.
    """
    if token is not None and wh.loaded.get(relation) == token:
        return
    cols = wh.columns(relation)
    schema, name = _split(relation)
    source = f"_spark_{schema}_{name}"
    present = set(rows.column_names)
    select = ", ".join(  # identifiers from the warehouse catalog, not from input
        (f'CAST("{c}" AS {t}) AS "{c}"' if c in present else f'CAST(NULL AS {t}) AS "{c}"')
        for c, t in cols.items())
    kind = _sql.run(wh.con, "local", "relation_kind", {"schema": schema, "name": name}).fetchall()
    if kind and kind[0][0] == "VIEW":
        wh.con.register(source, rows)  # kept: the view reads it for the worker's lifetime
        wh.con.execute(f"CREATE OR REPLACE VIEW {relation} AS SELECT {select} FROM {source}")
    else:  # a base table (meta.ingested_files): replace its rows
        with registered(wh.con, source, rows):
            if not append:
                wh.con.execute(f"DELETE FROM {relation}")
            wh.con.execute(f"INSERT INTO {relation} SELECT {select} FROM {source}")
    wh.loaded[relation] = token


@contextmanager
def lossless(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Arrow results of the block keep DuckDB's types (HUGEINT sums stay HUGEINT through the
    IPC bytes; the driver's DuckDB reads them back as such). Only around partial results:
    it also turns booleans into ``bool8``, which the numpy kernels do not take."""
    _sql.run(con, "local", "lossless_on")
    try:
        yield
    finally:
        _sql.run(con, "local", "lossless_off")


def arrow(con: duckdb.DuckDBPyConnection, folder: SqlFolder, file: str, name: str,
          params: Mapping[str, Any] | None = None) -> pa.Table:
    """A named statement's result as an Arrow table (through a relation: no extra copy)."""
    sql = folder.statement(file, name)
    return con.sql(sql, params=bind(sql, params)).to_arrow_table()


def needed_columns(available: list[str], *sql_texts: str) -> list[str]:
    """The columns of ``available`` that the given SQL texts mention (a superset of what the
    kernels read: every other column is pruned before it leaves the Parquet files)."""
    text = "\n".join(sql_texts)
    return [c for c in available if re.search(rf"\b{re.escape(c)}\b", text)]


def to_ipc(table: pa.Table) -> bytes:
    """An Arrow table as IPC stream bytes (how partial results go back to the driver)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def from_ipc(data: bytes) -> pa.Table:
    """The table :func:`to_ipc` wrote."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()
