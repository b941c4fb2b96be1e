"""Scheduled, parameterised notebook reports with lineage (``hazrisk report ...``).

- :mod:`~hazrisk.period`: the one period type (months, quarters, weeks, years, ranges) and
  when a period is due.
- :mod:`~hazrisk.reports.schedule`: ``conf/reports.toml``.
- :mod:`~hazrisk.reports.ledger`: the run ledger (exactly-once, failures retried).
- :mod:`~hazrisk.reports.runner`: papermill execution, HTML without code, ``lineage.json``.
- :mod:`~hazrisk.reports.due`: ``report due`` / ``report list``.

Importing this package loads neither papermill nor matplotlib.
"""
