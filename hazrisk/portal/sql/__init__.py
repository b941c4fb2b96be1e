"""The portal's own queries (``*.sql`` here, parameters bound): the insurer scope and the
priced years of the premium factors.

Every figure the portal shows comes from :mod:`hazrisk.snapshot`; the portal itself only
needs to know which enterprises an insurer insures and which year is the latest priced.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import duckdb

#: The snapshot relation (and columns) each query needs.
_SOURCES = {"insured_policies": "policies", "insured_factors": "premium_factors"}


@cache
def _sql(name: str) -> str:
    return resources.files("hazrisk.portal.sql").joinpath(f"{name}.sql").read_text("utf-8")


def _has_columns(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> bool:
    rows = con.execute(
        "SELECT count(DISTINCT column_name) FROM duckdb_columns() WHERE schema_name = 'mart' "
        "AND table_name = $t AND list_contains($cols, column_name)",
        {"t": table, "cols": list(columns)}).fetchall()
    return int(rows[0][0]) == len(columns)


def insured_enterprises(con: duckdb.DuckDBPyConnection, insurer: str) -> list[str]:
    """Enterprise ids the snapshot links to ``insurer`` (policies, else premium factors)."""
    found: set[str] = set()
    for name, table in _SOURCES.items():
        if _has_columns(con, table, ("insurer_id", "enterprise_id")):
            found.update(r[0] for r in con.execute(_sql(name), {"insurer": insurer}).fetchall())
    return sorted(found)


def premium_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Priced years with enterprise factors in ``mart.premium_factors``, oldest first."""
    return [int(r[0]) for r in con.execute(_sql("premium_years")).fetchall()]
