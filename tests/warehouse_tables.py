"""Test support: where the rows of a documented relation are stored (for builders that write
rows directly instead of ingesting dumps)."""

from __future__ import annotations

import duckdb

from hazrisk.sqlfiles import has_relation


def storage_table(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """The base table that holds the rows of ``relation``: ``schema.name`` itself when it is
    a table, else ``store.name`` (the ``core``/``raw``/``quarantine`` telematics relations are
    views over it showing committed files only)."""
    schema, name = relation.split(".")
    for sch in (schema, "store"):
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s "
                       "AND table_name = $n", {"s": sch, "n": name}).fetchall()[0][0]:
            return f"{sch}.{name}"
    if has_relation(con, schema, name):
        raise LookupError(f"{relation} is a view over no store.{name} table")
    raise LookupError(f"no base table holds {relation}")
