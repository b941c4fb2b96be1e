"""The drift verdicts of the rates' days (漂移, :mod:`hazrisk.drift`), stored for the SQL.

The rates' per-position flags (``rates.position_flags_units``) read drift from
``rates.drift_fixes``: one row per drift fix (with its reason) of each Beijing day computed.
:func:`store_drift` fills the days of a range: the qualified fixes are streamed in (vehicle,
GNSS time, ``pos_seq``) order, cut into batches of whole vehicles (bounded memory), judged per
vehicle-day by :func:`hazrisk.drift.drift_flags` (the definition detection uses too; batches of
``[daily] detect_batch_positions`` fixes sorted in numpy, :mod:`hazrisk.fix_batches`, as
detection's), and the
days' rows replaced. The day partials (:func:`hazrisk.rates.partials.partials_for`) call it for
their day, :func:`hazrisk.rates.compute.vehicle_day_partials` (also on Spark executors, over
their group's positions) for its period, so ``hazrisk rates`` works alone on a warehouse.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pyarrow as pa

from hazrisk.config import Rules
from hazrisk.drift import DriftRules, drift_flags, unit_days
from hazrisk.fix_batches import whole_vehicle_batches
from hazrisk.sqlfiles import SqlFolder, bind, registered

_sql = SqlFolder("hazrisk.rates")


def _found(table: pa.Table, r: DriftRules) -> pa.Table:
    """(pos_seq, t_us, spike) of the drift fixes of one batch of whole vehicles."""
    vid = table.column("vehicle_id").dictionary_encode().combine_chunks().indices
    codes = np.asarray(vid.to_numpy(zero_copy_only=False), np.int64)
    t_us = np.asarray(table.column("t_us").to_numpy(zero_copy_only=False), np.int64)
    t = t_us / 1e6
    lat = np.asarray(table.column("lat_deg").to_numpy(zero_copy_only=False), np.float64)
    lon = np.asarray(table.column("lon_deg").to_numpy(zero_copy_only=False), np.float64)
    drift, spike = drift_flags(unit_days(codes, t), t, lat, lon, r)
    seq = np.asarray(table.column("pos_seq").to_numpy(zero_copy_only=False), np.int64)
    return pa.table({"pos_seq": seq[drift], "t_us": t_us[drift], "spike": spike[drift]})


def store_drift(con: duckdb.DuckDBPyConnection, first: date, last: date, t0: datetime | str,
                t1: datetime | str, rules: Rules, *, batch_positions: int | None = None) -> int:
    """Replace the drift rows of the Beijing days ``first`` .. ``last`` (the instants ``t0`` ..
    ``t1``, exclusive) with the verdicts over the fixes ``con`` holds; the drift fixes found.
    Runs in the caller's transaction."""
    r = DriftRules.from_rules(rules)
    # numpy over whole vehicles, like detection: its batch size bounds the arrays
    per = int(batch_positions or rules.daily.detect_batch_positions)
    sql = _sql.statement("drift.sql", "qualified_fixes")
    found = [_found(batch, r) for batch in whole_vehicle_batches(
        con, sql, bind(sql, {"t0": t0, "t1": t1}), per)]
    _sql.run(con, "drift.sql", "delete_days", {"d0": first.isoformat(), "d1": last.isoformat()})
    rows = pa.concat_tables(found) if found else pa.table(
        {"pos_seq": pa.array([], pa.int64()), "t_us": pa.array([], pa.int64()),
         "spike": pa.array([], pa.bool_())})
    if rows.num_rows:
        with registered(con, "_rates_drift_found", rows):
            _sql.run(con, "drift.sql", "insert")
    return rows.num_rows


def store_drift_rows(con: duckdb.DuckDBPyConnection, day: date, rows: pa.Table) -> None:
    """Replace the drift rows of ``day`` with the day's of ``rows`` (``rates.drift_fixes``
    rows computed elsewhere by :func:`store_drift`: the Spark engine's vehicle groups). Runs
    in the caller's transaction."""
    _sql.run(con, "drift.sql", "delete_days", {"d0": day.isoformat(), "d1": day.isoformat()})
    with registered(con, "_rates_day_rows", rows):
        _sql.run(con, "drift.sql", "insert_rows", {"day": day.isoformat()})
