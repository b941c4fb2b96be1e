"""SQL of the safety area: ``hazrisk/safety/sql/<name>.sql``, read through the package's one
SQL path (:class:`hazrisk.sqlfiles.SqlFolder`) and rendered here.

Parameters are bound by name (``$name``); the text is never formatted, except the per-rule
count columns (``/*@rule_counts:<kind>*/`` markers), generated from the rule registry by
:mod:`hazrisk.safety.rule_counts` with the rule ids bound as ``$rc_<i>``: run such a file with
:func:`bound` parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from hazrisk.safety.rule_counts import render
from hazrisk.sqlfiles import SqlFolder

_FOLDER = SqlFolder("hazrisk.safety")

_RC = re.compile(r"\$(rc_\d+)\b")


@cache
def _read(name: str) -> tuple[str, dict[str, str]]:
    return render(_FOLDER.text(name))


def read_sql(name: str) -> str:
    """Text of ``hazrisk/safety/sql/<name>.sql`` (rule count markers expanded)."""
    return _read(name)[0]


def bound(name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``params`` plus the rule ids the file's generated count columns bind."""
    text, rules = _read(name)
    used = set(_RC.findall(text))
    return {**(params or {}), **{k: v for k, v in rules.items() if k in used}}
