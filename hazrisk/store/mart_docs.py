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
from typing import Any

import duckdb

CATALOGUE = ("sql", "mart_comments.toml")


@dataclass(frozen=True)
class Relation:
    name: str
    comment: str
    columns: dict[str, str] = field(default_factory=dict)


@cache
def _data() -> dict[str, Any]:
    text = resources.files("hazrisk.store").joinpath(*CATALOGUE).read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_catalogue() -> dict[str, Relation]:
    """The catalogue, by relation name (without the ``mart.`` schema)."""
    return {name: Relation(name, str(sec["comment"]),
                           {str(k): str(v) for k, v in sec.get("columns", {}).items()})
            for name, sec in _data().items() if name not in ("_common", "_suffixes")}


def column_text(relation: str, column: str) -> str | None:
    """The meaning of ``mart.<relation>.<column>``: the relation's own entry, else the shared
    one, else a ``<base><suffix>`` reading; ``None`` when the catalogue has none."""
    own = load_catalogue().get(relation)
    common = {str(k): str(v) for k, v in _data().get("_common", {}).get("columns", {}).items()}

    def base(col: str) -> str | None:
        return (own.columns.get(col) if own else None) or common.get(col)

    text = base(column)
    if text is None:
        for suffix, extra in _data().get("_suffixes", {}).items():
            if column.endswith(suffix) and (b := base(column[: -len(suffix)])):
                return f"{b} {extra}"
    return text


def _literal(text: str) -> str:
    """A SQL string literal (quotes doubled, control characters as spaces)."""
    clean = "".join(" " if ord(ch) < 0x20 else ch for ch in text)
    return "'" + clean.replace("'", "''") + "'"


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
        for column in sorted(have.get(name, ())):
            text = column_text(name, column)
            if text is not None:
                con.execute(f"COMMENT ON COLUMN {target}.{_ident(column)} IS {_literal(text)}")
                n += 1
    return n


def copy_comments(con: duckdb.DuckDBPyConnection, source: str, catalog: str) -> int:
    """Copy the comments the ``source`` catalog's mart relations carry (areas that write
    ``COMMENT ON`` next to their views) onto the same-named tables of ``catalog``; the
    catalogue is applied after, where it has an entry. Returns the number copied."""
    rels = con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE database_name = $c AND "
        "schema_name = 'mart' AND comment IS NOT NULL UNION ALL SELECT view_name, comment "
        "FROM duckdb_views() WHERE database_name = $c AND schema_name = 'mart' AND "
        "comment IS NOT NULL", {"c": source}).fetchall()
    cols = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = $c "
        "AND schema_name = 'mart' AND comment IS NOT NULL", {"c": source}).fetchall()
    have = {(t, c) for t, c in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = $c "
        "AND schema_name = 'mart'", {"c": catalog}).fetchall()}
    tables = {t for t, _ in have}
    n = 0
    for name, text in rels:
        if name in tables:
            con.execute(f"COMMENT ON TABLE {_ident(catalog)}.mart.{_ident(name)} IS "
                        f"{_literal(str(text))}")
            n += 1
    for name, column, text in cols:
        if (name, column) in have:
            con.execute(f"COMMENT ON COLUMN {_ident(catalog)}.mart.{_ident(name)}."
                        f"{_ident(column)} IS {_literal(str(text))}")
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


MARK_BEGIN = "<!-- mart: generated by `python -m hazrisk.store.mart_docs`; do not edit -->"
MARK_END = "<!-- mart: end -->"


def schema_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """The "Mart" section of SCHEMA.md: every mart relation of ``con`` with its columns,
    types and meanings from the catalogue."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = 'mart' ORDER BY table_name, column_index").fetchall()
    rel_comments = dict(con.execute(
        "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'mart' UNION ALL "
        "SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'mart'").fetchall())
    cat = load_catalogue()
    lines = [MARK_BEGIN, "## Mart (published) — 发布数据", "",
             "Every `mart.*` relation is copied by `hazrisk publish` into the read-only snapshot "
             "(and Parquet). Each table and column carries the text below as its DuckDB "
             "`COMMENT` (`SELECT comment FROM duckdb_columns()`); the texts live in "
             "`hazrisk/store/sql/mart_comments.toml`, or in `COMMENT ON` statements beside an "
             "area's views. Times are `TIMESTAMPTZ` (the snapshot opened with "
             "`hazrisk.store.open_published` and the Parquet files show them in Beijing time, "
             "+08:00); `day` columns are Beijing days. Personal data is masked.", ""]
    current = None
    for table, column, dtype, comment in rows + [("", "", "", None)]:
        if table != current:
            if current is not None:
                lines.append("")
            if not table:
                break
            current = table
            lines += [f"### `mart.{table}`", "", str(rel_comments.get(table) or "(no comment)"),
                      "", "| column | type | meaning |", "|---|---|---|"]
        text = str(comment or "").replace("|", "/").replace("\n", " ")
        lines.append(f"| {column} | {dtype} | {text} |")
    published = cat["_published"]
    lines += ["### `mart._published` (written by publish)", "", published.comment, "",
              "| column | meaning |", "|---|---|"]
    lines += [f"| {c} | {t} |" for c, t in published.columns.items()]
    lines += ["", MARK_END]
    return "\n".join(lines)


def full_mart(path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """An empty warehouse (in memory by default) with every area's mart views, for docs and
    tests."""
    from hazrisk.rates.compute import install
    from hazrisk.safety.tables import create_mart_views, ensure_schema
    from hazrisk.store.connect import connect

    con = connect(path)
    install(con)
    ensure_schema(con)
    create_mart_views(con)
    apply_comments(con)
    return con


def write_schema_md(path: str | None = None) -> bool:
    """Rewrite the generated section of SCHEMA.md; True when it changed."""
    from pathlib import Path

    target = Path(path) if path else Path(__file__).with_name("SCHEMA.md")
    text = target.read_text(encoding="utf-8")
    con = full_mart()
    try:
        section = schema_markdown(con)
    finally:
        con.close()
    if MARK_BEGIN in text:
        head = text[: text.index(MARK_BEGIN)]
        tail = text[text.index(MARK_END) + len(MARK_END):]
    else:
        head, tail = text.rstrip("\n") + "\n\n", "\n"
    new = head + section + tail
    if new != text:
        target.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.stdout.write("SCHEMA.md " + ("updated" if write_schema_md() else "unchanged") + "\n")
