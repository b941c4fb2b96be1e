"""Open a published snapshot (``hazrisk publish`` output) for reading, and what it holds.

:func:`open_snapshot` returns an in-memory DuckDB connection with the snapshot attached
read-only as ``snap``. Its own catalog mirrors the snapshot under the names the warehouse
queries use (``mart.*`` for every published table; ``safety.vehicle_days``,
``safety.violations``, ``core.enterprises`` and the ``safety`` macros), so that the league
table and the enterprise history run the very SQL of ``hazrisk safety`` and give the same
figures. Nothing is written to the snapshot (the file is opened read-only).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from hazrisk.period import Period, PeriodError
from hazrisk.sqlfiles import SqlFolder, set_timezone

_sql = SqlFolder("hazrisk.snapshot")

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

#: Warehouse names the shared safety queries read -> the published table behind each.
_ALIASES = {
    ("safety", "vehicle_days"): "safety_vehicle_days",
    ("safety", "violations"): "violations",
    ("safety", "enterprise_months"): "enterprise_safety",
    ("safety", "enterprise_month_rules"): "enterprise_safety_rules",
    ("core", "enterprises"): "enterprises",
}


class SnapshotError(RuntimeError):
    """The file is missing, not a DuckDB file, or not a published snapshot."""


def open_snapshot(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A connection reading the snapshot at ``path`` (read-only; see the module docstring).

    Raises
    ------
    SnapshotError
        When ``path`` does not exist or is not a snapshot written by ``hazrisk publish``.
    """
    p = Path(path)
    if not p.is_file():
        raise SnapshotError(f"{p}: no published snapshot (run `hazrisk publish`)")
    con = duckdb.connect()
    try:
        set_timezone(con)
        try:
            _sql.run(con, "catalogue", "attach", {"path": str(p)})
        except duckdb.Error as exc:
            raise SnapshotError(f"{p}: cannot open as DuckDB ({exc})") from exc
        names = [r[0] for r in _sql.run(con, "catalogue", "published_tables").fetchall()]
        if "_published" not in names:
            raise SnapshotError(f"{p}: not a published snapshot (no mart._published); "
                                "give the file `hazrisk publish --out` wrote")
        # DDL over identifiers (validated names of the snapshot's own catalogue), the one
        # place SQL text is composed: identifiers cannot be bound as parameters
        for schema in ("mart", "safety", "core"):
            con.execute(f"CREATE SCHEMA {schema}")
        for name in names:
            if _IDENT.match(name):  # validated identifiers from the snapshot's own catalog
                con.execute(f'CREATE VIEW mart."{name}" AS SELECT * FROM snap.mart."{name}"')
        for (schema, view), table in _ALIASES.items():
            if table in names:
                con.execute(f"CREATE VIEW {schema}.{view} AS SELECT * FROM snap.mart.{table}")
        SqlFolder("hazrisk.safety").script(con, "macros")
    except BaseException:
        con.close()
        raise
    return con


def fingerprint(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the snapshot file (what a report's lineage records)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the snapshot publishes ``mart.<name>`` (e.g. ``premium_factors``)."""
    rows = _sql.run(con, "catalogue", "has_table", {"name": name}).fetchall()
    return bool(rows[0][0])


def info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """When and from what the snapshot was published, and its tables with row counts."""
    import json

    at, src, tables = _sql.run(con, "catalogue", "info").fetchall()[0]
    return {"published_at": at, "source_db": src, "tables": json.loads(tables)}


def tables(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every published table with its columns and types (the consultant's catalogue)."""
    return query(con, "tables")


def periods(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The periods with results: ``period, kind, period_start, period_end, source``
    (``provider_rates`` / ``enterprise_safety``; a source not published is left out)."""
    parts = [query(con, f"periods_{part}") for part, table in
             (("rates", "provider_rates"), ("safety", "enterprise_safety"))
             if has_table(con, table)]
    if not parts:
        return pd.DataFrame(columns=["period", "kind", "period_start", "period_end", "source"])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["source", "period_start", "period"], ignore_index=True)


def coverage(con: duckdb.DuckDBPyConnection, period: str | Period) -> dict[str, int]:
    """Rows the snapshot holds for ``period``: ``rates`` (computed for exactly this period),
    ``safety`` (vehicle-days), ``ingest`` (dump files dated in it)."""
    row = query(con, "coverage", period_params(period)).iloc[0]
    return {k: int(row[k]) for k in ("rates", "safety", "ingest")}


def as_period(period: str | Period) -> Period:
    """A :class:`~hazrisk.period.Period` from its label (``2026-10``, ``A..B``)."""
    if isinstance(period, Period):
        return period
    try:
        return Period.parse(str(period))
    except PeriodError as exc:
        raise ValueError(str(exc)) from None


def query(con: duckdb.DuckDBPyConnection, name: str,
          params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` with bound parameters; a DataFrame."""
    return _sql.execute(con, name, params).df()


def period_params(period: str | Period) -> dict[str, Any]:
    """``$period`` (label), ``$d0`` (first day) and ``$d1`` (day after the last)."""
    from datetime import timedelta

    p = as_period(period)
    return {"period": p.label, "d0": p.start, "d1": p.end + timedelta(days=1)}
