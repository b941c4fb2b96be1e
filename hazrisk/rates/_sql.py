"""SQL files of ``hazrisk/rates/sql``: loaded with importlib.resources, run with bound parameters.

A file is either a script (DDL, no parameters; run whole) or a set of named statements, each
introduced by a line ``-- name: <name>``. Parameters are DuckDB ``$name`` placeholders bound
from a dict; a statement receives only the parameters it mentions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import duckdb

_NAME = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def sql_text(file: str) -> str:
    """Text of ``hazrisk/rates/sql/<file>``."""
    return resources.files("hazrisk.rates").joinpath("sql", file).read_text(encoding="utf-8")


@cache
def statements(file: str) -> dict[str, str]:
    """The named statements of a file, by name."""
    text = sql_text(file)
    parts = _NAME.split(text)
    out: dict[str, str] = {}
    for i in range(1, len(parts), 2):
        body = parts[i + 1].strip().rstrip(";").strip()
        if parts[i] in out:
            raise ValueError(f"sql/{file}: statement {parts[i]!r} defined twice")
        out[parts[i]] = body
    return out


def bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of ``params`` that ``sql`` mentions (missing ones raise ``KeyError``)."""
    names = set(_PARAM.findall(sql))
    missing = names - set(params)
    if missing:
        raise KeyError(f"SQL parameters not supplied: {sorted(missing)}")
    return {k: params[k] for k in names}


def run(
    con: duckdb.DuckDBPyConnection, file: str, name: str, params: Mapping[str, Any] | None = None
) -> None:
    """Execute one named statement (no result expected)."""
    sql = statements(file)[name]
    con.execute(sql, bind(sql, params or {}))


def query(
    con: duckdb.DuckDBPyConnection, file: str, name: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Execute one named statement and return its rows as dictionaries."""
    sql = statements(file)[name]
    cur = con.execute(sql, bind(sql, params or {}))
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def script(con: duckdb.DuckDBPyConnection, file: str) -> None:
    """Run a whole DDL script (no parameters)."""
    con.execute(sql_text(file))
