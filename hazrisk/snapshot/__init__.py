"""Read API over the published snapshot (``hazrisk publish`` output) for notebooks and the app.

>>> con = open_snapshot("data/local/demo/published.duckdb")            # doctest: +SKIP
>>> provider_rates(con, "2026-10")                                      # doctest: +SKIP

Pure functions: each takes the connection of :func:`open_snapshot` and returns a pandas
DataFrame. Rates are fractions; figures equal ``hazrisk rates`` / ``hazrisk safety`` for the
same period (tested). SQL lives in ``hazrisk/snapshot/sql/``, parameters bound.
"""

from hazrisk.snapshot.core import (
    SnapshotError,
    as_period,
    coverage,
    fingerprint,
    has_table,
    info,
    open_snapshot,
    periods,
    tables,
)
from hazrisk.snapshot.enterprises import (
    city_summary,
    driver_safety,
    enterprise_history,
    handling,
    league_table,
    rule_rates,
    violations_geo,
)
from hazrisk.snapshot.providers import (
    device_kpis,
    floors_failed,
    provider_rates,
    ranking,
    rate_trends,
    worst_vehicles,
)
from hazrisk.snapshot.quality import (
    files_left_alone,
    ingest_days,
    ingest_errors,
    missing_deliveries,
    quarantine,
    quarantine_by,
    registry_rejects,
    unknown_terminals,
)
from hazrisk.snapshot.risk import card_metrics, model_cards, premium_factors

__all__ = [
    "SnapshotError", "as_period", "card_metrics", "city_summary", "coverage", "device_kpis", "driver_safety", "enterprise_history", "files_left_alone",
    "fingerprint", "floors_failed", "handling", "has_table", "info", "ingest_days",
    "ingest_errors", "league_table", "model_cards", "premium_factors", "missing_deliveries", "open_snapshot", "periods", "provider_rates", "quarantine",
    "quarantine_by", "ranking", "rate_trends", "registry_rejects", "rule_rates", "tables",
    "unknown_terminals", "violations_geo", "worst_vehicles",
]
