"""Drill-down: the failing vehicles or records behind a rate, with the failing check named.

Vehicle-based metrics read the stored ``rates.vehicle_results`` of the period (computed first
when missing or computed under other rules); record-based metrics re-run
``rates.position_flags_between`` for the provider's vehicles only; device metrics read the
period's fault tickets and outages.

Each returned record: metric, party_id (provider or maker), vehicle_id ('?<terminal>' for an
unregistered terminal), label (plate; device model for makers), day, time, pos_seq, checks
(list of failing check names), detail (dict of the values checked), total (failing rows in
all, before ``limit``).
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from hazrisk.config import Rules, load_rules
from hazrisk.rates import _sql
from hazrisk.rates.compute import _params, ensure_rates
from hazrisk.rates.metrics import metric_registry
from hazrisk.rates.period import Period

Record = dict[str, Any]

#: Metric -> statement of sql/explain.sql.
_QUERY: dict[str, str] = {
    "vehicle_data_conformance": "vehicle",
    "terminal_domain_correctness": "vehicle",
    "image_upload_correctness": "vehicle",
    "operator_phone_verification": "vehicle",
    "network_entry": "vehicle",
    "online": "vehicle",
    "trajectory_completeness": "vehicle",
    "upload_interval_qualification": "interval",
    "data_qualification": "qualification",
    "trajectory_completeness_km": "segments",
    "drift_vehicles": "drift",
    "platform_connectivity": "connectivity",
    "repair_24h": "repair",
    "data_preservation": "preservation",
}


def explain(
    con: duckdb.DuckDBPyConnection,
    metric: str,
    period: Period,
    *,
    provider: str | None = None,
    maker: str | None = None,
    model: str | None = None,
    rules: Rules | None = None,
    limit: int = 100,
) -> list[Record]:
    """Failing vehicles/records of ``metric`` for ``provider`` (or device ``maker``)."""
    rules = rules or load_rules()
    m = metric_registry(rules)[metric]
    if m.party == "provider" and not provider:
        raise ValueError(f"{metric}: give the provider to explain")
    if m.party == "device_maker" and not maker:
        raise ValueError(f"{metric}: give the device maker to explain")
    ensure_rates(con, period, rules)
    params = _params(period, rules)
    params.update(metric=metric, provider=provider, maker=maker, model=model, limit=int(limit),
                  failing_hit=(m.direction == "lower"))
    name = _QUERY[metric]
    if name == "repair":
        _sql.run(con, "devices.sql", "tickets", params)
    rows = _sql.query(con, "explain.sql", name, params)
    out = []
    for r in rows:
        detail = r.get("detail")
        rec: Record = {"metric": metric, **r}
        rec["detail"] = json.loads(detail) if isinstance(detail, str) else detail
        rec["checks"] = list(r.get("checks") or [])
        out.append(rec)
    return out
