"""The portal's own queries (``*.sql`` here, parameters bound): the insurer scope and the
priced years of the premium factors.

Every figure the portal shows comes from :mod:`hazrisk.snapshot`; the portal itself only
needs to know which enterprises an insurer insures and which year is the latest priced.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb


@cache
def _sql(name: str) -> str:
    return resources.files("hazrisk.portal.sql").joinpath(f"{name}.sql").read_text("utf-8")


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
    rows = con.execute(_sql("insured_enterprises"), {"insurer": insurer}).fetchall()
    return Insured(int(rows[0][1]) if rows else None, tuple(str(r[0]) for r in rows))


def premium_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Priced years with enterprise factors in ``mart.premium_factors``, oldest first."""
    return [int(r[0]) for r in con.execute(_sql("premium_years")).fetchall()]
