"""The portal's own queries (``*.sql`` here, parameters bound): the insurer scope and the
priced years of the premium factors.

Every figure the portal shows comes from :mod:`hazrisk.snapshot`; the portal itself only
needs to know which enterprises an insurer insures and which year is the latest priced.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from hazrisk.sqlfiles import SqlFolder

_sql = SqlFolder("hazrisk.portal")


@dataclass(frozen=True)
class Insured:
    """An insurer's scope: the enterprises its policies of policy ``year`` name."""

    year: int | None
    enterprises: tuple[str, ...]


def insured_enterprises(con: duckdb.DuckDBPyConnection, insurer: str) -> Insured:
    """The enterprises ``insurer`` holds policies of in the latest policy year of the published
    book (``mart.insured_enterprises``); none when the snapshot does not publish the book."""
    from hazrisk.snapshot import has_table

    if not has_table(con, "insured_enterprises"):
        return Insured(None, ())
    rows = _sql.execute(con, "insured_enterprises", {"insurer": insurer}).fetchall()
    return Insured(int(rows[0][1]) if rows else None, tuple(str(r[0]) for r in rows))


def premium_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Priced years with enterprise factors in ``mart.premium_factors``, oldest first."""
    return [int(r[0]) for r in _sql.execute(con, "premium_years").fetchall()]
