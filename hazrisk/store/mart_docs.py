"""What each published table and column means, in Chinese and English: one catalogue.

``hazrisk/store/sql/mart_comments.toml`` holds, per mart relation, a ``comment`` and a
``columns`` table (``column = "中文 / English"``). It is the one place these meanings are
written:

- :func:`apply_comments` puts them on the warehouse's ``mart.*`` views as DuckDB
  ``COMMENT``\\ s (every read-write connect, after the views are created) and on the
  snapshot's tables (``hazrisk publish``), so ``duckdb_columns().comment`` explains every
  published column;
- :func:`schema_markdown` renders them into ``hazrisk/store/SCHEMA.md`` (section "Mart"),
  which a test keeps equal to the catalogue;
- :func:`missing_comments` lists the mart relations and columns the catalogue does not cover
  (a test fails on any, so an area that adds a mart view adds its comments).

DuckDB cannot bind a parameter in ``COMMENT ON``; the texts come from the package's own
catalogue (never from input) and are quoted by :func:`_literal`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import duckdb

CATALOGUE = ("sql", "mart_comments.toml")


@dataclass(frozen=True)
class Relation:
    name: str
    comment: str
    columns: dict[str, str] = field(default_factory=dict)


@cache
def load_catalogue() -> dict[str, Relation]:
    """The catalogue, by relation name (without the ``mart.`` schema)."""
    text = resources.files("hazrisk.store").joinpath(*CATALOGUE).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {name: Relation(name, str(sec["comment"]),
                           {str(k): str(v) for k, v in sec.get("columns", {}).items()})
            for name, sec in data.items()}


def _literal(text: str) -> str:
    if any(ord(ch) < 0x20 for ch in text):
        raise ValueError(f"comment with a control character: {text!r}")
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def apply_comments(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> int:
    """Comment every ``mart`` relation of ``catalog`` (default: the current database) and its
    columns from the catalogue; returns the number of comments set."""
    if catalog is None:
        (catalog,) = con.execute("SELECT current_database()").fetchall()[0]
    cat = load_catalogue()
    rels = con.execute(
        "SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE database_name = $c "
        "AND schema_name = 'mart' UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() "
        "WHERE database_name = $c AND schema_name = 'mart'", {"c": catalog}).fetchall()
    cols = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = $c "
        "AND schema_name = 'mart'", {"c": catalog}).fetchall()
    have: dict[str, set[str]] = {}
    for table, column in cols:
        have.setdefault(table, set()).add(column)
    n = 0
    for name, kind in rels:
        rel = cat.get(name)
        if rel is None:
            continue
        target = f"{_ident(catalog)}.mart.{_ident(name)}"
        con.execute(f"COMMENT ON {kind} {target} IS {_literal(rel.comment)}")
        n += 1
        for column, text in rel.columns.items():
            if column in have.get(name, ()):
                con.execute(f"COMMENT ON COLUMN {target}.{_ident(column)} IS {_literal(text)}")
                n += 1
    return n


def missing_comments(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    """``mart.<relation>`` and ``mart.<relation>.<column>`` without a comment."""
    if catalog is None:
        (catalog,) = con.execute("SELECT current_database()").fetchall()[0]
    rows = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = $c AND schema_name = 'mart' ORDER BY table_name, column_index",
        {"c": catalog}).fetchall()
    rel_comments = dict(con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = $c "
        "AND schema_name = 'mart' UNION ALL SELECT view_name, comment FROM duckdb_views() "
        "WHERE database_name = $c AND schema_name = 'mart'", {"c": catalog}).fetchall())
    out = [f"mart.{t}" for t, c in sorted(rel_comments.items()) if not c]
    out += [f"mart.{t}.{col}" for t, col, c in rows if not c]
    return out


def stale_entries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Catalogue entries naming a relation or column the warehouse's mart does not have."""
    cols = con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                       "WHERE schema_name = 'mart'").fetchall()
    have: dict[str, set[str]] = {}
    for table, column in cols:
        have.setdefault(table, set()).add(column)
    out = []
    for name, rel in load_catalogue().items():
        if name == "_published":
            continue  # made by publish, not a warehouse view
        if name not in have:
            out.append(f"mart.{name}")
            continue
        out += [f"mart.{name}.{c}" for c in rel.columns if c not in have[name]]
    return out


def schema_markdown() -> str:
    """The "Mart" section of SCHEMA.md, rendered from the catalogue."""
    lines = ["## Mart (published; generated from `hazrisk/store/sql/mart_comments.toml`)", "",
             "Every `mart.*` relation is copied by `hazrisk publish` into the read-only snapshot "
             "(and Parquet); each table and column carries this text as its DuckDB `COMMENT`. "
             "Regenerate with `python -m hazrisk.store.mart_docs > /dev/null --write`.", ""]
    for name, rel in sorted(load_catalogue().items()):
        lines += [f"### `mart.{name}` — {rel.comment}", "", "| column | meaning |", "|---|---|"]
        lines += [f"| {col} | {text.replace('|', '/')} |" for col, text in rel.columns.items()]
        lines.append("")
    return "\n".join(lines)
