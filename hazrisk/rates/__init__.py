"""Provider evaluation: the seven technical rates, national indicators, composite score and
ranking, and device-maker KPIs — computed in DuckDB SQL over whole warehouse tables.

>>> from hazrisk.rates import Period, metric_registry
>>> metric_registry()["data_qualification"].name_zh
'数据合格率'
>>> Period.parse("2026-10").label
'2026-10'

Typical use (``hazrisk rates --db FILE --period 2026-10``)::

    con = hazrisk.store.connect.connect("warehouse.duckdb")
    rows = compute_rates(con, Period.parse("2026-10"))     # also stored in rates.provider_rates
    failing = explain(con, "data_qualification", Period.parse("2026-10"), provider="P01")

See ``hazrisk/rates/README.md`` for the definitions, conventions and the reusable
``rates.position_flags`` view.
"""

from __future__ import annotations

from hazrisk.period import Period, PeriodError
from hazrisk.rates.compute import (
    aggregate,
    compute_devices,
    compute_rates,
    ensure_rates,
    install,
    ranking,
    stored_rates,
)
from hazrisk.rates.explain import explain
from hazrisk.rates.metrics import (
    DEVICE_METRICS,
    PROVIDER_METRICS,
    Metric,
    MetricRegistry,
    metric_registry,
)
from hazrisk.rates.partials import partials_for
from hazrisk.rates.wilson import wilson_interval

__all__ = [
    "DEVICE_METRICS",
    "PROVIDER_METRICS",
    "Metric",
    "MetricRegistry",
    "Period",
    "PeriodError",
    "aggregate",
    "compute_devices",
    "compute_rates",
    "ensure_rates",
    "explain",
    "install",
    "metric_registry",
    "partials_for",
    "ranking",
    "stored_rates",
    "wilson_interval",
]
