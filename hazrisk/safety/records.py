"""Records that must survive retention: legal holds (封存) and the purge guard.

道路运输车辆动态监督管理办法 keeps dynamic monitoring data at least 6 months and violation
records with their handling at least 3 years (conf ``[retention]``); after an accident the
vehicle's dynamic data is sealed (封存) until the investigation releases it (research §3).

* :func:`set_hold` / :func:`release_hold` / :func:`list_holds` manage ``safety.legal_holds``
  (a vehicle or an enterprise, and a period of Beijing days). ``hazrisk retain`` asks
  :func:`held_predicate` for each table it trims and keeps the rows under an active hold.
* :func:`refuse_purged` stops a recomputation (``hazrisk detect``, ``hazrisk rates``,
  ``hazrisk devices``) over days whose positions retention has removed: recomputing from what
  is left would replace the kept violations, histories and stored rates by near-empty ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from hazrisk.cliutil import EXIT_FAILED, CliError
from hazrisk.localtime import BEIJING
from hazrisk.sqlfiles import SqlFolder

_sql = SqlFolder("hazrisk.safety")

#: The retained table whose trimming makes a range un-recomputable (positions feed every
#: detector and rate; the other dynamic tables are trimmed with the same cutoff).
POSITIONS_TABLE = "store.positions"


class HoldError(ValueError):
    """A hold that cannot be set or released as asked."""


class PurgedRangeError(CliError, ValueError):
    """A recomputation over days whose positions retention has removed (a one-line refusal,
    exit code 1, when it reaches the command line)."""

    def __init__(self, message: str) -> None:
        CliError.__init__(self, message, EXIT_FAILED)


def ensure_holds(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``safety.legal_holds`` and its views if missing (idempotent)."""
    _sql.script(con, "holds")


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=BEIJING)


def set_hold(con: duckdb.DuckDBPyConnection, *, start: date, end: date, reason: str,
             vehicle: str | None = None, enterprise: str | None = None,
             by: str | None = None) -> int:
    """Hold a vehicle's (or an enterprise's) data of Beijing days ``start``..``end``
    (inclusive) from retention; returns the hold id."""
    if (vehicle is None) == (enterprise is None):
        raise HoldError("a hold names exactly one of a vehicle or an enterprise")
    if end < start:
        raise HoldError(f"hold ends ({end}) before it starts ({start})")
    if not reason or not reason.strip():
        raise HoldError("a hold needs a reason (e.g. the accident reference)")
    ensure_holds(con)
    if vehicle is not None:
        known = _sql.run(con, "legal_holds", "vehicle_known",
                         {"vehicle": vehicle}).fetchall()[0][0]
        what = f"vehicle {vehicle}"
    else:
        known = _sql.run(con, "legal_holds", "enterprise_known",
                         {"enterprise": enterprise}).fetchall()[0][0]
        what = f"enterprise {enterprise}"
    if not known:
        raise HoldError(f"{what} is not in the registry")
    rows = _sql.run(con, "legal_holds", "insert_hold", {
        "vehicle": vehicle, "enterprise": enterprise, "start": _midnight(start),
        "end": _midnight(end + timedelta(days=1)), "reason": reason.strip(), "by": by,
        "now": datetime.now(UTC)}).fetchall()
    return int(rows[0][0])


def release_hold(con: duckdb.DuckDBPyConnection, hold_id: int, *, reason: str,
                 by: str | None = None) -> None:
    """Release an active hold (the row stays, with who released it, when and why)."""
    ensure_holds(con)
    rows = _sql.run(con, "legal_holds", "hold_released_at", {"hold": hold_id}).fetchall()
    if not rows:
        raise HoldError(f"no hold {hold_id}")
    if rows[0][0] is not None:
        raise HoldError(f"hold {hold_id} was already released at {rows[0][0]:%Y-%m-%d %H:%M}")
    if not reason or not reason.strip():
        raise HoldError("a release needs a reason (e.g. the investigation's closing reference)")
    _sql.run(con, "legal_holds", "release_hold",
             {"now": datetime.now(UTC), "by": by, "reason": reason.strip(), "hold": hold_id})


def list_holds(con: duckdb.DuckDBPyConnection, *, active_only: bool = False
               ) -> list[dict[str, Any]]:
    """The holds (newest first); ``first_day``/``last_day`` are the Beijing days held."""
    ensure_holds(con)
    return _sql.query(con, "legal_holds", "list_holds",
                      {"active_only": active_only})


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    schema, name = table.split(".")
    return {c for (c,) in _sql.run(con, "legal_holds", "columns",
                                   {"schema": schema, "table": name}).fetchall()}


def held_predicate(con: duckdb.DuckDBPyConnection, table: str, time_sql: str) -> str | None:
    """SQL over alias ``t`` that is true for the rows of ``table`` under an active hold, or
    ``None`` when no hold is active or the table cannot be attributed to a vehicle.

    A row is attributed through its terminal (``term_key`` or ``terminal_phone``: held while
    the terminal was assigned to the held vehicle / a vehicle of the held enterprise) or its
    ``vehicle_id``; its time is ``time_sql`` (retention's expression). ``table`` and
    ``time_sql`` are retention's fixed whitelist strings, never user input.
    """
    if "released_at" not in _columns(con, "safety.legal_holds"):  # no holds table (yet)
        return None
    active = _sql.run(con, "legal_holds", "active_holds").fetchall()
    if not active[0][0]:
        return None
    cols = _columns(con, table)
    within = f"({time_sql}) >= h.start_time AND ({time_sql}) < h.end_time"
    parts = []
    if "term_key" in cols:
        parts.append(
            "EXISTS (SELECT 1 FROM safety.held_terminals h JOIN store.terminals k "
            "ON h.terminal_key = core.terminal_key(k.terminal_phone) "
            f"WHERE k.term_key = t.term_key AND {within})")
    if "terminal_phone" in cols:
        parts.append(
            "EXISTS (SELECT 1 FROM safety.held_terminals h "
            f"WHERE h.terminal_key = core.terminal_key(t.terminal_phone) AND {within})")
    if "vehicle_id" in cols:
        parts.append(
            "EXISTS (SELECT 1 FROM safety.held_vehicles h "
            f"WHERE h.vehicle_id = t.vehicle_id AND {within})")
    return " OR ".join(parts) if parts else None


@dataclass(frozen=True)
class Purge:
    """The latest retention cut of the positions: rows before ``cutoff`` are gone."""

    cutoff: datetime
    as_of: date
    run_at: datetime

    @property
    def first_day(self) -> date:
        """The first Beijing day whose positions are all kept."""
        return self.cutoff.astimezone(BEIJING).date()


def purge_cutoff(con: duckdb.DuckDBPyConnection) -> Purge | None:
    """The newest cutoff at which ``hazrisk retain`` deleted positions, or ``None``."""
    if "cutoff" not in _columns(con, "meta.retention_runs"):
        return None
    rows = _sql.run(con, "legal_holds", "latest_purge", {"table": POSITIONS_TABLE}).fetchall()
    if not rows:
        return None
    return Purge(rows[0][0], rows[0][1], rows[0][2])


def refuse_purged(con: duckdb.DuckDBPyConnection, first_instant: datetime, what: str,
                  kept: str) -> None:
    """Raise :class:`PurgedRangeError` when a range starting at ``first_instant`` reaches back
    before the latest retention cutoff of the positions.

    ``what`` names the recomputation (``"detect 2026-03-01..2026-03-31"``), ``kept`` where the
    results computed before the purge stay readable.
    """
    purge = purge_cutoff(con)
    if purge is None or first_instant >= purge.cutoff:
        return
    raise PurgedRangeError(
        f"{what}: positions before {purge.first_day} were removed by `hazrisk retain --as-of "
        f"{purge.as_of}` (run {purge.run_at.astimezone(BEIJING):%Y-%m-%d %H:%M}); "
        f"recomputing would replace the kept results with ones from the data left, so it is "
        f"refused. The results computed before retention are kept in {kept}; recompute from "
        f"{purge.first_day} on.")
