"""Enterprise safety histories: violation detectors, handling linkage and history tables.

>>> from hazrisk.store.connect import connect
>>> from hazrisk.safety import detect
>>> report = detect(connect("warehouse.duckdb"), date(2026, 10, 1), date(2026, 11, 1))  # doctest: +SKIP

Tables (schema ``safety``): ``violations`` (one row per event with evidence and handling),
``vehicle_days``, ``enterprise_months``, ``enterprise_month_rules``, ``runs``; published as
``mart.violations``, ``mart.enterprise_safety``, ``mart.enterprise_safety_rules`` and
``mart.safety_vehicle_days``. Detector definitions and the gap policy: ``README.md`` here.
"""

from hazrisk.safety.params import (
    VIOLATION_RULES,
    SafetyParams,
    ViolationRule,
    alarm_rule,
    rule_info,
)
from hazrisk.safety.pipeline import DetectReport, detect
from hazrisk.safety.tables import aggregate_months

__all__ = ["VIOLATION_RULES", "DetectReport", "SafetyParams", "ViolationRule",
           "aggregate_months", "alarm_rule", "detect", "rule_info"]
