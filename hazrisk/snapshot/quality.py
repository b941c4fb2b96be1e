"""Data quality from the snapshot: quarantine, deliveries, unknown terminals, rejects, leftovers.

Dates are the dump files' dates (``dumps/<provider>/<YYYY-MM-DD>.*``) for the quarantine and
deliveries, Beijing days of the data for unknown terminals.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hazrisk.period import Period
from hazrisk.snapshot.core import period_params, query

_BY = {"reason": ["reason"], "provider": ["source_provider_id"], "day": ["source_date"]}


def quarantine(con: duckdb.DuckDBPyConnection, period: str | Period) -> pd.DataFrame:
    """Rejected frames per gateway, file date and reason."""
    return query(con, "quarantine", _days(period))


def quarantine_by(con: duckdb.DuckDBPyConnection, period: str | Period,
                  by: str = "reason") -> pd.DataFrame:
    """Rejected frames summed by ``reason``, ``provider`` or ``day`` (frames, descending)."""
    if by not in _BY:
        raise ValueError(f"by must be one of {sorted(_BY)}, not {by!r}")
    df = quarantine(con, period)
    keys = _BY[by]
    if df.empty:
        return pd.DataFrame(columns=[*keys, "frames"])
    out: pd.DataFrame = df.groupby(keys, as_index=False)[["frames"]].sum()
    return out.sort_values(["frames", *keys], ascending=[False] + [True] * len(keys),
                           ignore_index=True)


def ingest_days(con: duckdb.DuckDBPyConnection, period: str | Period) -> pd.DataFrame:
    """Files, frames, rejects and garbage each gateway delivered per day."""
    return query(con, "ingest_days", _days(period))


def missing_deliveries(con: duckdb.DuckDBPyConnection, period: str | Period) -> pd.DataFrame:
    """Provider x day of the period without any dump file from its gateway."""
    return query(con, "missing_deliveries", _days(period))


def unknown_terminals(con: duckdb.DuckDBPyConnection, period: str | Period) -> pd.DataFrame:
    """Terminals with data but no registry match (numbers masked)."""
    return query(con, "unknown_terminals", _days(period))


def registry_rejects(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Registry rows rejected (or with a value set to NULL) by the current imports."""
    return query(con, "registry_rejects")


def files_left_alone(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Files ingest or registry import found but did not take, with the reason."""
    return query(con, "files_left_alone")


def ingest_errors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Dump files whose ingest failed (the error as recorded)."""
    return query(con, "ingest_errors")


def _days(period: str | Period) -> dict[str, object]:
    p = period_params(period)
    return {"d0": p["d0"], "d1": p["d1"]}
