"""The Beijing days ``hazrisk detect`` covers when no period is given: the days with data.

One rule for both engines (``sql/data_range.sql``): the positions of registered vehicles with
a device time are counted per Beijing day (``day_counts``), and the range runs from the first
to the last day holding at least ``min_share`` of the median day's count (``data_range``: a
stray fix with a broken clock does not stretch it). ``min_share`` is the rules file's
``[safety] data_day_min_share`` (default 1 %, its justification there), read by
:class:`hazrisk.safety.params.SafetyParams` like every detection threshold. The DuckDB engine
counts the warehouse's positions (:func:`day_counts`); the Spark engine runs the same
statement on the executors over slices of the export's positions and sums them
(:func:`hazrisk.spark.detect.export_day_counts`): the counts of slices add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import duckdb

from hazrisk.sqlfiles import SqlFolder

_sql = SqlFolder("hazrisk.safety")


def day_counts(con: duckdb.DuckDBPyConnection) -> dict[date, int]:
    """Positions of registered vehicles with a device time per Beijing day, of ``con``'s
    ``core.positions``."""
    return {r["day"]: int(r["n"]) for r in _sql.query(con, "data_range", "day_counts")}


def data_range(con: duckdb.DuckDBPyConnection, counts: Mapping[date, int] | None = None, *,
               min_share: float) -> tuple[date, date] | None:
    """(first day, last day) with data, both inclusive, from ``counts`` (default: the
    warehouse's :func:`day_counts`); None when no day has data.

    Parameters
    ----------
    con
        Any connection (the rule runs as SQL there); its positions are counted when
        ``counts`` is None.
    counts
        Positions per Beijing day (the Spark engine's, counted over the export).
    min_share
        A day has data when it holds at least this share of the median day's positions:
        :attr:`SafetyParams.data_day_min_share <hazrisk.safety.params.SafetyParams>`.
    """
    if counts is None:
        counts = day_counts(con)
    days = sorted(counts)
    (row,) = _sql.query(con, "data_range", "data_range", {
        "days": days, "counts": [counts[d] for d in days], "min_share": min_share})
    if row["d0"] is None:
        return None
    return row["d0"], row["d1"]
