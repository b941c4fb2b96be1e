"""The one SQL path (``hazrisk.sqlfiles``): ``.sql`` files, bound parameters, transactions and Arrow registration.

Every area keeps its SQL in a ``sql/`` folder beside its modules and reads it through one
:class:`SqlFolder` (``SqlFolder("hazrisk.rates")`` reads ``hazrisk/rates/sql/*.sql``,
``SqlFolder("hazrisk.store", "sql/views")`` a sub-folder). A file is either a script (run
whole) or a set of named statements, each introduced by a line ``-- name: <name>``.
Parameters are DuckDB ``$name`` placeholders bound from a mapping; a statement receives only
the parameters it mentions, never formatted into the text.

Two context managers replace hand-written pairs:

- :func:`transaction` -- ``BEGIN`` ... ``COMMIT``, ``ROLLBACK`` on any exception (or always,
  for a preview: ``transaction(con, keep=False)``). A transaction opened inside another one on
  the same connection joins it: DuckDB aborts an open transaction when a second ``BEGIN`` is
  tried, so the open transaction is known here, not probed.
- :func:`registered` -- an Arrow table, pandas frame or record batch reader visible to SQL under
  a name for the block, unregistered afterwards even when the block fails.

>>> import duckdb, pyarrow as pa
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE t (x INTEGER)")
>>> with transaction(con), registered(con, "_in", pa.table({"x": [1, 2]})):
...     _ = con.execute("INSERT INTO t SELECT x FROM _in")
>>> con.execute("SELECT sum(x) FROM t").fetchone()[0]
3
>>> with transaction(con, keep=False):
...     _ = con.execute("DELETE FROM t")
>>> con.execute("SELECT count(*) FROM t").fetchone()[0]
2
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from functools import cache
from importlib import resources
from typing import Any

import duckdb

_NAME = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT_LINE = re.compile(r"^\s*--.*$", re.MULTILINE)


@cache
def _text(package: str, folder: str, name: str) -> str:
    path = resources.files(package).joinpath(*folder.split("/"), f"{name}.sql")
    return path.read_text(encoding="utf-8")


@cache
def _statements(package: str, folder: str, name: str) -> dict[str, str]:
    parts = _NAME.split(_text(package, folder, name))
    out: dict[str, str] = {}
    for i in range(1, len(parts), 2):
        if parts[i] in out:
            raise ValueError(f"{package}/{folder}/{name}.sql: statement {parts[i]!r} "
                             "defined twice")
        out[parts[i]] = parts[i + 1].strip().rstrip(";").strip()
    return out


def bind(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The subset of ``params`` that ``sql`` mentions (a missing one raises ``KeyError``).

    >>> bind("SELECT $a + 1", {"a": 1, "b": 2})
    {'a': 1}
    """
    names = set(_PARAM.findall(_COMMENT_LINE.sub("", sql)))
    missing = names - set(params or {})
    if missing:
        raise KeyError(f"SQL parameters not supplied: {sorted(missing)}")
    return {k: (params or {})[k] for k in names}


def split_script(text: str) -> list[str]:
    """The statements of a script, comments removed (a statement ends with ``;`` at a line end).

    >>> split_script("-- x\\nSELECT 1;\\nSELECT $a;\\n")
    ['SELECT 1', 'SELECT $a']
    """
    out = []
    for stmt in re.split(r";\s*$", _COMMENT_LINE.sub("", text), flags=re.MULTILINE):
        body = stmt.strip()
        if body:
            out.append(body)
    return out


class SqlFolder:
    """The ``.sql`` files of one package folder (``<package>/sql`` unless ``folder`` says).

    ``name`` arguments are file names without ``.sql`` (a trailing ``.sql`` is accepted).
    Texts are read once (cached).
    """

    def __init__(self, package: str, folder: str = "sql") -> None:
        self.package = package
        self.folder = folder

    def __repr__(self) -> str:
        return f"SqlFolder({self.package!r}, {self.folder!r})"

    def names(self) -> list[str]:
        """The ``.sql`` files of the folder (names without ``.sql``), sorted."""
        base = resources.files(self.package).joinpath(*self.folder.split("/"))
        return sorted(e.name.removesuffix(".sql") for e in base.iterdir()
                      if e.name.endswith(".sql"))

    def text(self, name: str) -> str:
        """The whole text of ``<name>.sql``."""
        return _text(self.package, self.folder, name.removesuffix(".sql"))

    def statements(self, name: str) -> dict[str, str]:
        """The named statements (``-- name: x``) of ``<name>.sql``, by name."""
        return _statements(self.package, self.folder, name.removesuffix(".sql"))

    def statement(self, file: str, name: str) -> str:
        """One named statement of ``<file>.sql``."""
        try:
            return self.statements(file)[name]
        except KeyError:
            raise KeyError(f"{self.package}/{self.folder}/{file.removesuffix('.sql')}.sql "
                           f"has no statement {name!r}") from None

    def run(self, con: duckdb.DuckDBPyConnection, file: str, name: str,
            params: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Execute one named statement with the parameters it mentions; the cursor."""
        sql = self.statement(file, name)
        return con.execute(sql, bind(sql, params))

    def query(self, con: duckdb.DuckDBPyConnection, file: str, name: str,
              params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Execute one named statement; its rows as dictionaries."""
        return rows(self.run(con, file, name, params))

    def execute(self, con: duckdb.DuckDBPyConnection, name: str,
                params: Mapping[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
        """Execute the whole of ``<name>.sql`` as one statement (or a parameterless script)."""
        sql = self.text(name)
        return con.execute(sql, bind(sql, params))

    def script(self, con: duckdb.DuckDBPyConnection, name: str,
               params: Mapping[str, Any] | None = None) -> None:
        """Run a whole script: as one string when it has no parameters, else statement by
        statement, each with the parameters it mentions (DuckDB binds parameters only in the
        last statement of a multi-statement string)."""
        text = self.text(name)
        if not bind(text, params):
            con.execute(text)
            return
        for stmt in split_script(text):
            con.execute(stmt, bind(stmt, params))


def rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The remaining rows of an executed statement as dictionaries."""
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


# Connections with a transaction opened by :func:`transaction` (weak: a closed, collected
# connection leaves nothing behind).
_OPEN: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, int] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """True inside a :func:`transaction` block on ``con``."""
    with _LOCK:
        return con in _OPEN


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, *, keep: bool = True
                ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: committed at the end (``keep=False``: rolled back,
    a preview that writes nothing), rolled back when the block raises.

    Inside another :func:`transaction` on the same connection the block joins the open one
    (no second ``BEGIN``): the outermost block decides. Inside a transaction DuckDB aborts on
    any failed statement, so code there probes (a catalogue query) instead of trying.
    """
    with _LOCK:
        depth = _OPEN.get(con, 0)
        _OPEN[con] = depth + 1
    if depth:
        try:
            yield con
        finally:
            with _LOCK:
                _OPEN[con] = depth
        return
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            _rollback_quietly(con)
            raise
        if keep:
            try:
                con.execute("COMMIT")
            except BaseException:
                _rollback_quietly(con)
                raise
        else:
            con.execute("ROLLBACK")
    finally:
        with _LOCK:
            _OPEN.pop(con, None)


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure; the failure, not a rollback error, is what the caller sees
    (DuckDB may already have ended a transaction whose COMMIT failed)."""
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: Any
               ) -> Iterator[duckdb.DuckDBPyConnection]:
    """``table`` (Arrow table, record batch reader or pandas frame) visible to SQL as
    ``name`` for the block; unregistered afterwards, also when the block fails. ``name`` is
    a fixed identifier of the calling module, never input."""
    con.register(name, table)
    try:
        yield con
    finally:
        con.unregister(name)


def has_relation(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when ``schema.name`` exists as a table or a view (probed through the catalogue,
    so it is safe inside a transaction)."""
    return bool(SQL.query(con, "catalogue", "has_relation",
                          {"schema": schema, "name": name})[0]["present"])


def has_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                columns: tuple[str, ...] | list[str]) -> bool:
    """True when ``schema.table`` exists with every one of ``columns``."""
    found = SQL.query(con, "catalogue", "column_count",
                      {"schema": schema, "name": table, "columns": list(columns)})
    return int(found[0]["n"]) == len(set(columns))


def set_timezone(con: duckdb.DuckDBPyConnection) -> None:
    """Set the session zone to Beijing time, the one zone of conf ``[period] timezone``
    (:data:`hazrisk.localtime.TIMEZONE`): days and ``CAST(t AS DATE)`` are Beijing days."""
    from hazrisk.localtime import TIMEZONE

    SQL.run(con, "catalogue", "set_timezone", {"timezone": TIMEZONE})


#: The package-wide statements (``hazrisk/sql/catalogue.sql``: catalogue probes).
SQL = SqlFolder("hazrisk")
