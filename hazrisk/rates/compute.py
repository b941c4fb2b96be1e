"""Compute the provider rates and device KPIs of a period inside the warehouse.

Everything runs as DuckDB SQL over whole tables (``hazrisk/rates/sql/*.sql``); Python only binds
parameters and moves the registry/config into the database:

1. :func:`install` creates schema ``rates`` (tables, macros, the reusable
   ``rates.position_flags`` view) and the ``mart`` views, and writes ``rates.params`` (the
   thresholds, from the rules) and ``rates.metrics`` (the registry).
2. :func:`compute_rates` runs one pass of ``rates.position_flags_between`` over the period's
   positions (aggregated per provider x vehicle x Beijing day), the vehicle-level checks and
   the provider aggregation, and replaces the period's rows in ``rates.provider_rates``,
   ``rates.vehicle_results``, ``rates.vehicle_days`` and ``rates.periods``.
3. :func:`compute_devices` derives the device-maker KPIs from the fault tickets and the stored
   vehicle-days (computing the rates first when needed) into ``rates.device_kpis``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.cliutil import EXIT_FAILED, CliError
from hazrisk.config import Rules, load_rules
from hazrisk.period import Period
from hazrisk.rates.metrics import MetricRegistry, metric_registry
from hazrisk.rates.partials import ensure_partials
from hazrisk.safety.records import purge_cutoff, refuse_purged
from hazrisk.sqlfiles import SqlFolder, has_relation, registered, transaction
from hazrisk.store.mart_docs import apply_comments

Record = dict[str, Any]

_sql = SqlFolder("hazrisk.rates")

#: Reserved bits of the status / alarm words by protocol version (JT/T 808-2019 tables 24 and
#: 25; 2013: alarm bits 15-17 and status bit 22 not yet defined). Same values as
#: hazrisk.jt808.flags (a test pins them), kept here so rates do not import the codec.
STATUS_RESERVED_2013 = 0xFFC0_00C0
STATUS_RESERVED_2019 = 0xFF80_00C0
ALARM_RESERVED_2013 = 0x0003_8000
ALARM_RESERVED_2019 = 0


def rules_sha256(rules: Rules) -> str:
    """Fingerprint of the rules values (results computed under other rules are stale)."""
    text = json.dumps(rules.as_dict(), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def param_values(rules: Rules) -> dict[str, Any]:
    """The ``rates.params`` row: thresholds from the rules, reserved-bit masks from JT/T 808."""
    v, r = rules.validity, rules.rates
    return {
        "moving_max_s": rules.upload_interval.moving_max_s,
        "parked_max_s": rules.upload_interval.parked_max_s,
        "interval_state": r.interval_state,
        "gap_km": rules.completeness.gap_km,
        "gap_s": rules.completeness.gap_s,
        "implied_speed_kmh": rules.drift.implied_speed_kmh,
        "spike_km": rules.drift.spike_km,
        "neighbour_km": rules.drift.neighbour_km,
        "lon_min": v.lon_min,
        "lon_max": v.lon_max,
        "lat_min": v.lat_min,
        "lat_max": v.lat_max,
        "gps_speed_max_kmh": v.gps_speed_max_kmh,
        "tacho_speed_max_kmh": v.tacho_speed_max_kmh,
        "heading_max_deg": v.heading_max_deg,
        "altitude_min_m": v.altitude_min_m,
        "altitude_max_m": v.altitude_max_m,
        "time_max_future_s": v.time_max_future_s,
        "status_reserved_2013": STATUS_RESERVED_2013,
        "status_reserved_2019": STATUS_RESERVED_2019,
        "alarm_reserved_2013": ALARM_RESERVED_2013,
        "alarm_reserved_2019": ALARM_RESERVED_2019,
        "plate_pattern": r.plate_pattern,
        "plate_colors": [int(c) for c in r.plate_colors],
        "vin_pattern": r.vin_pattern,
        "image_slots": list(r.image_slots),
        "image_magic": [str(m).lower() for m in r.image_magic],
        "phone_pattern": rules.phone.pattern,
        "phone_max_age_days": rules.phone.max_verification_age_days,
        "domain_max_age_days": rules.domain.max_answer_age_days,
        "network_basis": r.network_basis,
        "repair_within_s": rules.device.repair_within_s,
        "repair_target": rules.device.repair_target,
        "preservation_target": rules.device.preservation_target,
        "silent_fault_s": rules.device.silent_fault_s,
        "silent_moved_km": rules.device.silent_moved_km,
        "provider_pass_score": rules.verdict.provider_pass_score,
        "outage_factor": r.outage_factor,
        "outage_parked_below_kmh": r.outage_parked_below_kmh,
        "ci_z": r.ci_z,
        "lookback_hours": float(r.lookback_hours),
    }


def _check_rules(rules: Rules) -> None:
    if rules.rates.network_basis not in ("entered", "registered"):
        raise ValueError(f"[rates] network_basis must be 'entered' or 'registered', "
                         f"not {rules.rates.network_basis!r}")
    if rules.rates.interval_state not in ("previous", "current"):
        raise ValueError(f"[rates] interval_state must be 'previous' or 'current', "
                         f"not {rules.rates.interval_state!r}")


def _metrics_table(registry: MetricRegistry) -> pa.Table:
    rows = []
    for ord_, m in enumerate(registry.values()):
        d = m.as_dict()
        d["ord"] = ord_
        rows.append(d)
    schema = pa.schema([
        ("id", pa.string()), ("ord", pa.int32()), ("number", pa.string()),
        ("party", pa.string()), ("name_zh", pa.string()), ("name_en", pa.string()),
        ("unit", pa.string()), ("numerator", pa.string()), ("denominator", pa.string()),
        ("definition", pa.string()), ("direction", pa.string()), ("floor", pa.float64()),
        ("weight", pa.float64()), ("national_weight", pa.float64()), ("interval", pa.string()),
        ("source", pa.string()), ("floor_source", pa.string()), ("weight_source", pa.string()),
        ("national_weight_source", pa.string()), ("target", pa.float64()),
        ("target_source", pa.string()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def install(con: duckdb.DuckDBPyConnection, rules: Rules | None = None) -> None:
    """Create/refresh schema ``rates``, its macros and views, and the ``mart`` views.

    Writes ``rates.params`` and ``rates.metrics`` from ``rules`` (defaults when ``None``), so
    ``rates.position_flags`` uses those thresholds. Needs the warehouse schema
    (:func:`hazrisk.store.connect.connect`). Runs in the caller's transaction if one is open.
    """
    rules = rules or load_rules()
    _check_rules(rules)
    _sql.script(con, "schema.sql")
    _sql.run(con, "compute.sql", "params", param_values(rules))
    table = _metrics_table(metric_registry(rules))
    with registered(con, "_rates_metrics_in", table):
        _sql.run(con, "compute.sql", "store_metrics")
    weights = pa.table({
        "metric": list(rules.rate_enterprise_weights),
        "weight": [float(rules.rate_enterprise_weights[k]) for k in rules.rate_enterprise_weights],
        "source": [rules.source(f"rate_enterprise_weights.{k}")
                   for k in rules.rate_enterprise_weights]})
    with registered(con, "_rates_ent_weights_in", weights):
        _sql.run(con, "compute.sql", "store_enterprise_weights")
    _sql.script(con, "macros.sql")
    _sql.script(con, "mart.sql")
    apply_comments(con)  # the replaced mart views' meanings, from the one catalogue


def _params(period: Period, rules: Rules) -> dict[str, Any]:
    p: dict[str, Any] = period.sql_params(float(rules.rates.lookback_hours))
    # the drill-downs' context: predecessors count back to lookback_hours before the start of
    # the period's first month (a record's verdict depends on its month only, as the partials')
    first = Period.month(period.start.year, period.start.month)
    p["t_lo"] = first.sql_params(float(rules.rates.lookback_hours))["t_lo"]
    p.update(
        minutes=period.minutes,
        kind=period.kind,
        prev_period=period.previous().label,
        rules_sha256=rules_sha256(rules),
    )
    return p


class EmptyPeriodError(CliError, ValueError):
    """A period without a single position record: nothing to evaluate or rank (a one-line
    refusal, exit code 1, on the command line)."""

    def __init__(self, message: str) -> None:
        CliError.__init__(self, message, EXIT_FAILED)


def _coverage(con: duckdb.DuckDBPyConnection, period: Period,
              params: dict[str, Any]) -> dict[str, Any]:
    """The data's coverage of ``period`` (from the staged vehicle-days) as SQL parameters:
    ``$cov_start``/``$cov_end`` (first/last Beijing day with data), ``$t_ref`` (the end of the
    last day with data: registry evidence is judged as of then), ``$covered_minutes`` (the
    minutes from the first to the last day with data), ``$covered_days``, ``$data_coverage``
    (covered days / days of the period). Raises :class:`EmptyPeriodError` when there is none.
    """
    (row,) = _sql.query(con, "compute.sql", "coverage", params)
    if not row["covered_days"]:
        raise EmptyPeriodError(
            f"{period.label}: no position records in the period; nothing to evaluate, and an "
            f"empty period is not ranked (nothing stored)")
    first, last = row["first_day"], row["last_day"]
    span = (last - first).days + 1
    t_ref = min(period.t1, Period(last, last).t1)
    return {
        "cov_start": first.isoformat(), "cov_end": last.isoformat(),
        "t_ref": t_ref.isoformat(), "covered_minutes": span * 1440,
        "covered_days": int(row["covered_days"]),
        "data_coverage": int(row["covered_days"]) / period.days,
    }


def compute_rates(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    rules: Rules | None = None,
    *,
    provider: str | None = None,
    official: bool = True,
) -> list[Record]:
    """Compute and store every provider rate of ``period``; the stored rows as records.

    All providers are always computed (the ranking needs them); ``provider`` filters the
    returned records only. Records: period, provider_id, metric, name_zh, name_en, number,
    unit, numerator, denominator, rate, ci_low, ci_high, n_eff, score, national_score.
    ``official`` marks the period for publication (``mart.*``); ``False`` stores working data
    for the drill-down only. A preview stores nothing: run it in a transaction the caller
    rolls back (``hazrisk rates --no-store``).

    The period's days get their partials first (:func:`hazrisk.rates.partials.ensure_partials`;
    :func:`hazrisk.spark.rates.rates_spark` computes them on Spark, then :func:`aggregate`).
    """
    rules = rules or load_rules()
    refuse_purged(con, period.t0, f"rates {period.label}",
                  "rates.provider_rates / mart.provider_rates")
    return _evaluate(con, period, rules, provider, official, partials=True)


def aggregate(con: duckdb.DuckDBPyConnection, period: Period, rules: Rules | None = None,
              official: bool = True) -> list[Record]:
    """Compute and store every provider's rates of ``period`` from the stored day partials
    only (:mod:`hazrisk.rates.partials`; days without partials count as days without data).

    The month-end evaluation: no position is read. :func:`compute_rates` is this after
    computing the partials of the days that lack current ones.
    """
    return _evaluate(con, period, rules or load_rules(), None, official, partials=False)


def _evaluate(con: duckdb.DuckDBPyConnection, period: Period, rules: Rules,
              provider: str | None, official: bool, *, partials: bool) -> list[Record]:
    with transaction(con):  # joins a caller's preview (transaction(con, keep=False))
        install(con, rules)
        if partials:
            ensure_partials(con, period.end, rules, since=period.start)
        _aggregate(con, period, rules, official)
    return stored_rates(con, period, provider=provider)


def _aggregate(con: duckdb.DuckDBPyConnection, period: Period, rules: Rules,
               official: bool) -> None:
    """The period's rates from the day partials, stored (inside the caller's transaction)."""
    params = _params(period, rules)
    params["official"] = bool(official)
    _sql.run(con, "compute.sql", "vehicle_days", params)
    params.update(_coverage(con, period, params))
    for name in ("entered", "connectivity", "vehicle_results",
                 "provider_rates", "store_delete", "store_rates",
                 "store_vehicle_results_delete", "store_vehicle_results",
                 "store_vehicle_days_delete", "store_vehicle_days", "store_entries",
                 "store_period",
                 "verdicts", "store_verdicts_delete", "store_verdicts"):
        _sql.run(con, "compute.sql", name, params)
    for name in ("scores", "store_delete", "store"):
        _sql.run(con, "enterprise.sql", name, params)
    _sql.run(con, "compute.sql", "drop_working_tables")


def stored_rates(
    con: duckdb.DuckDBPyConnection, period: Period, *, provider: str | None = None
) -> list[Record]:
    """The stored provider rates of ``period`` (empty when never computed)."""
    rows = _sql.query(con, "compute.sql", "result", {"period": period.label})
    return [r for r in rows if provider is None or r["provider_id"] == provider]


def is_current(con: duckdb.DuckDBPyConnection, period: Period, rules: Rules) -> bool:
    """True when ``period`` was computed under the same rules (rates tables exist)."""
    if not has_table(con, "rates", "periods"):  # probed, not tried: a failed statement
        return False                            # would abort an open transaction
    rows = _sql.query(con, "compute.sql", "period_rules_sha256", {"period": period.label})
    return bool(rows) and rows[0]["rules_sha256"] == rules_sha256(rules)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True when ``schema.table`` exists (a table or a view)."""
    return has_relation(con, schema, table)


def _stored(con: duckdb.DuckDBPyConnection, period: Period) -> bool:
    """True when results of ``period`` are stored (checked without failing a transaction)."""
    if not has_table(con, "rates", "periods"):
        return False
    return bool(_sql.query(con, "compute.sql", "period_stored", {"period": period.label})[0]["n"])


def ensure_rates(
    con: duckdb.DuckDBPyConnection, period: Period, rules: Rules | None = None
) -> None:
    """Compute the period's rates unless they are stored under the same rules (as working
    data: not official, so not published)."""
    rules = rules or load_rules()
    purge = purge_cutoff(con)
    kept = purge is not None and period.t0 < purge.cutoff and _stored(con, period)
    if kept or is_current(con, period, rules):  # kept: results of purged days stay as stored
        install(con, rules)  # refresh macros/params for the drill-down queries
    else:
        compute_rates(con, period, rules, official=False)


def compute_devices(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    rules: Rules | None = None,
    *,
    maker: str | None = None,
    official: bool = True,
) -> list[Record]:
    """Compute and store the device-maker KPIs of ``period``; the stored rows as records.

    Records: period, maker_id, device_model ('*' = all models), metric, name_zh, name_en,
    number, unit, numerator, denominator, rate, ci_low, ci_high. ``official`` marks the
    period's KPIs for publication (the provider rates it needed are stored as working data
    unless they were official already).
    """
    rules = rules or load_rules()
    refuse_purged(con, period.t0, f"devices {period.label}",
                  "rates.device_kpis / mart.device_kpis")
    ensure_rates(con, period, rules)
    params = _params(period, rules)
    steps = ("tickets", "outages", "kpis", "store_delete", "store", "verdicts",
             "store_verdicts_delete", "store_verdicts", "untracked", "store_untracked_delete",
             "store_untracked")
    with transaction(con):
        for name in steps + (("store_official",) if official else ()):
            _sql.run(con, "devices.sql", name, params)
    rows = _sql.query(con, "devices.sql", "result", {"period": period.label})
    return [r for r in rows if maker is None or r["maker_id"] == maker]


def ranking(con: duckdb.DuckDBPyConnection, period: Period) -> list[Record]:
    """Ranking rows of the stored ``period`` (composite score, rank, change against the
    previous official period); ``mart.provider_ranking`` holds the official periods' rows."""
    return _sql.query(con, "compute.sql", "ranking", {"period": period.label})
