"""Enterprise safety histories: violation detectors, handling linkage and history tables.

>>> from hazrisk.store.connect import connect
>>> from hazrisk.safety import detect
>>> report = detect(connect("warehouse.duckdb"), date(2026, 10, 1), date(2026, 11, 1))  # doctest: +SKIP

Tables (schema ``safety``): ``violations`` (one row per event with evidence and handling),
``vehicle_days``, ``enterprise_months``, ``enterprise_month_rules``, ``runs``; published as
``mart.violations``, ``mart.enterprise_safety``, ``mart.enterprise_safety_rules`` and
``mart.safety_vehicle_days``. Detector definitions and the gap policy: ``README.md`` here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hazrisk.kernels import lazy_attributes
from hazrisk.safety.params import (
    VIOLATION_RULES,
    SafetyParams,
    ViolationRule,
    alarm_rule,
    rule_info,
)
from hazrisk.safety.tables import aggregate_months

__all__ = ["VIOLATION_RULES", "DetectReport", "SafetyParams", "ViolationRule",
           "aggregate_months", "alarm_rule", "detect", "rule_info"]

# The detection pipeline (detectors, geometry, fix batches) is imported when first asked for,
# as hazrisk.jt808 does its columnar path: a process that only reads the safety tables
# (hazrisk safety, history import, snapshot, portal) does not import it. Its compiled kernels
# (Numba: ~0.4 s to import, more to load) are imported only where first called, in any case.
_LAZY = {
    "DetectReport": "hazrisk.safety.pipeline",
    "detect": "hazrisk.safety.pipeline",
}

if TYPE_CHECKING:
    from hazrisk.safety.pipeline import DetectReport, detect

__getattr__ = lazy_attributes(__name__, _LAZY)
