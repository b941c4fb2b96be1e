"""The portal's own queries (``*.sql`` here, parameters bound): the insurer scope and the
priced years of the premium factors.

Every figure the portal shows comes from :mod:`hazrisk.snapshot`; the portal itself only
needs to know which enterprises an insurer insures and which year is the latest priced.
"""

from __future__ import annotations

import duckdb

from hazrisk.sqlfiles import SqlFolder, has_columns

#: The snapshot relation (and columns) each query needs.
_SOURCES = {"insured_policies": "policies", "insured_factors": "premium_factors"}


_sql = SqlFolder("hazrisk.portal")


def insured_enterprises(con: duckdb.DuckDBPyConnection, insurer: str) -> list[str]:
    """Enterprise ids the snapshot links to ``insurer`` (policies, else premium factors)."""
    found: set[str] = set()
    for name, table in _SOURCES.items():
        if has_columns(con, "mart", table, ("insurer_id", "enterprise_id")):
            found.update(r[0] for r in _sql.execute(con, name, {"insurer": insurer}).fetchall())
    return sorted(found)


def premium_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Priced years with enterprise factors in ``mart.premium_factors``, oldest first."""
    return [int(r[0]) for r in _sql.execute(con, "premium_years").fetchall()]
