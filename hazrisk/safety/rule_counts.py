"""Per-rule count columns, generated from the rule registry (:data:`hazrisk.safety.params.VIOLATION_RULES`).

Two grains:

- **per rule** (``safety.vehicle_days``): one column per trajectory rule (``n_speeding``,
  ``n_fatigue_continuous`` ...) and one per alarm system (``n_adas``, ``n_dsm``: their rules are
  named per alarm type);
- **per group** (``safety.enterprise_months``, ``safety.vehicle_months``, the league table):
  one column per rule group, named after the group's rule when it has one (``n_off_route``,
  ``n_offline_displacement``), after the group when it has several (``n_fatigue``).

The SQL files hold markers (``/*@rule_counts:<kind>*/``) that :func:`render` replaces with the
generated expressions; the rule ids are bound parameters (``$rc_<i>``), only the column names
(checked identifiers from the registry) are written into the text. Adding a rule to ``VIOLATION_RULES``
adds its columns everywhere (:func:`schema_sql` adds them to existing tables).

>>> [c.name for c in group_columns()][:3]
['n_speeding', 'n_fatigue', 'n_night_ban']
>>> render("SELECT /*@rule_counts:group_names*/ FROM t")[0][:40]
'SELECT n_speeding, n_fatigue, n_night_ban'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hazrisk.safety.params import VIOLATION_RULES

#: Alarm systems whose rules are named per alarm type (hazrisk.safety.params.alarm_rule).
ALARM_SYSTEMS: tuple[str, ...] = ("adas", "dsm")

_IDENT = re.compile(r"^n_[a-z0-9_]+$")
_MARKER = re.compile(r"/\*@rule_counts:([a-z_]+)\*/")


@dataclass(frozen=True)
class CountColumn:
    """A count column: its name, the violation field it filters on and the values counted."""

    name: str
    field: str  # rule_id | rule_group
    values: tuple[str, ...]


def _column(name: str, field: str, values: tuple[str, ...]) -> CountColumn:
    if not _IDENT.match(name):
        raise ValueError(f"rule count column {name!r} is not an identifier n_[a-z0-9_]+")
    return CountColumn(name, field, values)


@cache
def rule_columns() -> tuple[CountColumn, ...]:
    """Per rule: each trajectory rule, then each alarm system."""
    cols = [_column(f"n_{r.rule_id}", "rule_id", (r.rule_id,)) for r in VIOLATION_RULES.values()]
    cols += [_column(f"n_{s}", "rule_group", (s,)) for s in ALARM_SYSTEMS]
    return tuple(cols)


@cache
def group_columns() -> tuple[CountColumn, ...]:
    """Per rule group, in the registry's order, then each alarm system."""
    groups: dict[str, list[str]] = {}
    for r in VIOLATION_RULES.values():
        groups.setdefault(r.group, []).append(r.rule_id)
    cols = [_column(f"n_{ids[0]}" if len(ids) == 1 else f"n_{g}", "rule_group", (g,))
            for g, ids in groups.items()]
    cols += [_column(f"n_{s}", "rule_group", (s,)) for s in ALARM_SYSTEMS]
    return tuple(cols)


def _params(cols: tuple[CountColumn, ...], offset: int) -> dict[str, str]:
    return {f"rc_{offset + i}": c.values[0] for i, c in enumerate(cols)}


def _filters(cols: tuple[CountColumn, ...], offset: int) -> str:
    return ",\n".join(f"count(*) FILTER (WHERE {c.field} = $rc_{offset + i}) AS {c.name}"
                      for i, c in enumerate(cols))


def _day_to_group_sums() -> str:
    """Group columns as sums of the per-rule vehicle-day columns (vehicle months)."""
    out = []
    for g in group_columns():
        parts = [r.name for r in rule_columns()
                 if (r.field == "rule_group" and r.values == g.values)
                 or (r.field == "rule_id" and VIOLATION_RULES[r.values[0]].group == g.values[0])]
        out.append(f"sum({' + '.join(parts)}) AS {g.name}")
    return ",\n".join(out)


def _expand(kind: str) -> tuple[str, dict[str, str]]:
    rc, gc = rule_columns(), group_columns()
    if kind == "rule_filters":
        return _filters(rc, 0), _params(rc, 0)
    if kind == "group_filters":
        return _filters(gc, 100), _params(gc, 100)
    if kind == "rule_coalesced":
        return ", ".join(f"coalesce({c.name}, 0) AS {c.name}" for c in rc), {}
    if kind == "group_coalesced":
        return ", ".join(f"coalesce(v.{c.name}, 0) AS {c.name}" for c in gc), {}
    if kind == "group_names":
        return ", ".join(c.name for c in gc), {}
    if kind == "group_sums_from_days":
        return _day_to_group_sums(), {}
    raise ValueError(f"unknown rule count marker {kind!r}")


def render(sql: str) -> tuple[str, dict[str, str]]:
    """``sql`` with its ``/*@rule_counts:<kind>*/`` markers expanded, and the parameters the
    expansions bind (the rule ids and groups)."""
    params: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        text, p = _expand(m.group(1))
        params.update(p)
        return text

    return _MARKER.sub(sub, sql), params


def schema_sql() -> list[str]:
    """``ALTER TABLE … ADD COLUMN IF NOT EXISTS`` for every generated column (a rule added to
    the registry gets its columns in existing warehouses; 0 for the days before it)."""
    out = [f"ALTER TABLE safety.vehicle_days ADD COLUMN IF NOT EXISTS {c.name} INTEGER DEFAULT 0"
           for c in rule_columns()]
    out += [f"ALTER TABLE safety.enterprise_months ADD COLUMN IF NOT EXISTS {c.name} INTEGER "
            "DEFAULT 0" for c in group_columns()]
    # archive rows carry no count of a rule the archive file does not know: NULL
    out += [f"ALTER TABLE safety.vehicle_months ADD COLUMN IF NOT EXISTS {c.name} INTEGER"
            for c in group_columns()]
    return out
