"""The portal's data: the published snapshot, read-only, cached, scoped by role.

Pages call ``data.<function>(viewer, ...)``; the functions live in one module per concept:

- :mod:`data.core` -- the snapshot path, the one cache (per snapshot version), the viewer of
  the logged-in user, periods and parties;
- :mod:`data.providers` -- ranking, rates, trends, the drill-down, device KPIs;
- :mod:`data.enterprises` -- league table, handling, history, violations and the enterprise's
  people (vehicles, drivers, drivers' monthly safety; personal data in clear only for the
  enterprise itself);
- :mod:`data.quality` -- rejected frames, deliveries, unknown terminals, registry rejects;
- :mod:`data.insurance` -- premium factors and model cards;
- :mod:`data.outlines` -- the city outlines of the violations map;
- :mod:`data.published_reports` -- the generated reports.

Each function takes the :class:`~hazrisk.portal.scope.Viewer` and returns only rows the role
may see, with identifiers masked outside its scope; asking for another party (a URL
parameter, a widget value) raises :class:`~hazrisk.portal.scope.NotAuthorised` before
anything is read.
"""

from data.core import (
    DEFAULT_SNAPSHOT,
    drillable_providers,
    info,
    insured,
    parties,
    period_end,
    rate_metrics,
    rate_periods,
    reports_dir,
    safety_periods,
    snapshot_path,
    viewer,
    visible_enterprises,
)
from data.enterprises import (
    People,
    enterprise_history,
    handling,
    league_table,
    people,
    rule_rates,
    violations,
)
from data.insurance import premium
from data.outlines import boundaries
from data.providers import (
    DRILL_LIMIT,
    device_kpis,
    failing_vehicles,
    provider_rates,
    ranking,
    rate_trends,
)
from data.published_reports import Report, reports
from data.quality import (
    files_left_alone,
    ingest_days,
    ingest_errors,
    quarantine_by,
    registry_rejects,
    unknown_terminals,
)

__all__ = [
    "DEFAULT_SNAPSHOT", "DRILL_LIMIT", "People", "Report", "boundaries", "device_kpis",
    "drillable_providers", "enterprise_history", "failing_vehicles", "files_left_alone",
    "handling", "info", "ingest_days", "ingest_errors", "insured", "league_table", "parties",
    "people", "period_end", "premium", "provider_rates", "quarantine_by", "ranking",
    "rate_metrics", "rate_periods", "rate_trends", "registry_rejects", "reports", "reports_dir",
    "rule_rates", "safety_periods", "snapshot_path", "unknown_terminals", "viewer",
    "violations", "visible_enterprises",
]
