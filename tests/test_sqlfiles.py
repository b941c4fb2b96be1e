"""The one SQL path (hazrisk.sqlfiles): loading, binding, transactions, Arrow registration,
and a scan holding the package to it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from hazrisk.sqlfiles import (
    SqlFolder,
    bind,
    has_columns,
    has_relation,
    in_transaction,
    registered,
    set_timezone,
    split_script,
    transaction,
)

PACKAGE = Path(__file__).resolve().parents[1] / "hazrisk"

#: SQLite, not DuckDB: the report ledger's BEGIN IMMEDIATE lock.
SQLITE = {"reports/ledger.py"}


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE TABLE t (x INTEGER)")
    return c


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM t").fetchall()[0][0])


def test_transaction_commits(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        assert in_transaction(con)
    assert not in_transaction(con)
    assert _count(con) == 1


def test_transaction_rolls_back_on_error_and_reraises(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(KeyError), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        raise KeyError("boom")
    assert _count(con) == 0
    assert not in_transaction(con)
    with transaction(con):  # the connection is usable again
        con.execute("INSERT INTO t VALUES (2)")
    assert _count(con) == 1


def test_failed_statement_rolls_back_with_the_statement_error(
        con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.CatalogException), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        con.execute("SELECT * FROM no_such_table")  # aborts the DuckDB transaction
    assert _count(con) == 0


def test_preview_is_rolled_back(con: duckdb.DuckDBPyConnection) -> None:
    with transaction(con, keep=False):
        con.execute("INSERT INTO t VALUES (1)")
        assert _count(con) == 1
    assert _count(con) == 0


def test_nested_transaction_joins_the_outer_one(con: duckdb.DuckDBPyConnection) -> None:
    # a second BEGIN would abort DuckDB's open transaction; the inner block joins instead
    with transaction(con, keep=False):
        with transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
        assert in_transaction(con)
        assert _count(con) == 1
    assert _count(con) == 0  # the outermost block decided: preview, rolled back
    with pytest.raises(ValueError), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        with transaction(con):
            raise ValueError("inner failure")
    assert _count(con) == 0


def test_transactions_are_per_connection(tmp_path: Path) -> None:
    a = duckdb.connect(str(tmp_path / "w.duckdb"))
    b = a.cursor()  # another connection to the same database
    a.execute("CREATE TABLE t (x INTEGER)")
    with transaction(a):
        assert not in_transaction(b)
        with transaction(b):
            b.execute("INSERT INTO t VALUES (1)")
    assert int(a.execute("SELECT count(*) FROM t").fetchall()[0][0]) == 1


def test_registered_unregisters_also_on_error(con: duckdb.DuckDBPyConnection) -> None:
    with registered(con, "_in", pa.table({"x": [1, 2, 3]})):
        con.execute("INSERT INTO t SELECT x FROM _in")
    assert _count(con) == 3
    with pytest.raises(RuntimeError), registered(con, "_in", pa.table({"x": [4]})):
        raise RuntimeError("boom")
    with pytest.raises(duckdb.CatalogException):
        con.execute("SELECT * FROM _in")


def test_bind_passes_only_mentioned_parameters() -> None:
    assert bind("SELECT $a, $a + $b", {"a": 1, "b": 2, "c": 3}) == {"a": 1, "b": 2}
    assert bind("-- $c is only in a comment\nSELECT $a", {"a": 1, "c": 3}) == {"a": 1}
    with pytest.raises(KeyError, match=r"\['b'\]"):
        bind("SELECT $a, $b", {"a": 1})


def test_split_script() -> None:
    text = "-- head; comment\nCREATE TABLE a (x INT);\n\nINSERT INTO a VALUES ($v);\n"
    assert split_script(text) == ["CREATE TABLE a (x INT)", "INSERT INTO a VALUES ($v)"]


def test_named_statements_and_scripts(con: duckdb.DuckDBPyConnection) -> None:
    rates = SqlFolder("hazrisk.rates")
    assert "result" in rates.statements("compute")
    assert rates.statement("compute.sql", "result") == rates.statement("compute", "result")
    with pytest.raises(KeyError, match="no statement 'nope'"):
        rates.statement("compute", "nope")
    risk = SqlFolder("hazrisk.risk")
    con.execute("CREATE SCHEMA risk")
    con.execute("CREATE TABLE risk.premium_factors (model VARCHAR, year INTEGER)")
    con.execute("CREATE TABLE risk.predictions (model VARCHAR, year INTEGER)")
    con.execute("INSERT INTO risk.premium_factors VALUES ('m', 2025), ('m', 2026)")
    con.execute("INSERT INTO risk.predictions VALUES ('m', 2025), ('m', 2026)")
    # a multi-statement script with parameters in each statement binds every one
    risk.script(con, "delete_pricing", {"model": "m", "year": 2026})
    assert con.execute("SELECT year FROM risk.premium_factors").fetchall() == [(2025,)]
    assert con.execute("SELECT year FROM risk.predictions").fetchall() == [(2025,)]


def test_catalogue_probes_and_timezone(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE VIEW v AS SELECT 1 AS a, 2 AS b")
    assert has_relation(con, "main", "t") and has_relation(con, "main", "v")
    assert not has_relation(con, "main", "w")
    assert has_columns(con, "main", "v", ["a", "b"])
    assert not has_columns(con, "main", "v", ["a", "c"])
    with transaction(con):  # probes never abort an open transaction
        assert not has_relation(con, "nope", "nothing")
        con.execute("INSERT INTO t VALUES (1)")
    assert _count(con) == 1
    con.execute("SET TimeZone = 'UTC'")
    set_timezone(con)
    assert con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0] == "Asia/Shanghai"


def test_every_sql_folder_file_loads() -> None:
    folders = [SqlFolder(f"hazrisk.{p.parent.relative_to(PACKAGE).as_posix().replace('/', '.')}"
                         if p.parent != PACKAGE else "hazrisk")
               for p in PACKAGE.rglob("sql") if p.is_dir() and p.parent.name != "store"]
    folders += [SqlFolder("hazrisk.store"), SqlFolder("hazrisk.store", "sql/schema"),
                SqlFolder("hazrisk.store", "sql/views")]
    n = 0
    for folder in folders:
        for name in folder.names():
            assert folder.text(name).strip(), f"{folder}: {name}.sql is empty"
            folder.statements(name)  # named statements parse (no name twice)
            n += 1
    assert n > 100


# --- the scan: the package holds to the one path ------------------------------------------

_SQL_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|WITH|COPY|ATTACH|DETACH|SET|BEGIN|"
    r"COMMIT|ROLLBACK|CHECKPOINT|COMMENT|DESCRIBE)\b")


def _modules() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in SQLITE or rel.startswith("simulate/"):
            continue
        out.append((rel, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _called(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")


def test_no_loader_but_sqlfiles() -> None:
    """Only hazrisk/sqlfiles.py reads package files through importlib.resources (besides the
    mart comment catalogue, a TOML file), and nothing else splits ``-- name:`` statements."""
    offenders = []
    for rel, tree in _modules():
        if rel == "sqlfiles.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("files", "read_text") \
                    and isinstance(node.value, ast.Name) and node.value.id == "resources" \
                    and rel != "store/mart_docs.py":
                offenders.append(f"{rel}:{node.lineno}: resources.{node.attr}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.search(r"--\\s\*name:|--\s*name:", node.value):
                offenders.append(f"{rel}:{node.lineno}: a named-statement splitter")
    assert offenders == []


def _hand_written_pairs(rel: str, tree: ast.Module) -> list[str]:
    """Hand-written transaction statements and Arrow (un)registrations in one module.
    (spark/local.py registers the Spark rows a worker's view reads for the worker's
    lifetime: a registration without an end, not a pair.)"""
    offenders = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in ("register", "unregister") \
                and isinstance(node.func, ast.Attribute) and node.args \
                and isinstance(node.args[0], ast.Constant | ast.Name) \
                and ast.unparse(node.func.value) != "atexit" and rel != "cli.py" \
                and not (rel == "spark/local.py" and _called(node) == "register"):
            offenders.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:60]}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.match(
                r"^\s*(BEGIN|COMMIT|ROLLBACK)\b", node.value):
            offenders.append(f"{rel}:{node.lineno}: {node.value[:40]!r}")
    return offenders


def test_transactions_and_registrations_only_through_the_context_managers() -> None:
    """Every module of the package, the store's ingest writer included (its chunk
    transactions are :func:`transaction` blocks entered and left by writer-thread jobs)."""
    scanned = {rel for rel, _ in _modules()}
    assert {"store/ingest.py", "store/positions.py", "store/messages.py"} <= scanned
    offenders = [o for rel, tree in _modules() if rel != "sqlfiles.py"
                 for o in _hand_written_pairs(rel, tree)]
    assert offenders == []


def test_the_scan_finds_hand_written_pairs() -> None:
    """A writer job's ``con.execute("BEGIN TRANSACTION")`` or a register/unregister pair
    added to the store fails the scan."""
    code = (
        "import functools\n"
        "def job(con, writer, table):\n"
        "    writer.submit(functools.partial(con.execute, 'BEGIN TRANSACTION'))\n"
        "    con.register('_staged', table)\n"
        "    try:\n"
        "        con.execute('SELECT 1')\n"
        "    finally:\n"
        "        con.unregister('_staged')\n"
        "    con.execute('COMMIT')\n")
    found = _hand_written_pairs("store/ingest.py", ast.parse(code))
    assert sorted(int(f.split(":")[1]) for f in found) == [3, 4, 8, 9]


#: Where SQL text is still composed in Python, and why: identifiers (table, column and
#: catalog names from fixed whitelists or validated catalogues) cannot be bound as
#: parameters, so the statement is built around them. Everything else lives in .sql files.
COMPOSED = {
    "store/resolve.py": "key tables filled from a relation named by the caller (checked)",
    "store/retention.py": "per-table counts/deletes over its whitelist and the hold predicate",
    "store/export.py": "COPY per exported table (whitelist) with masked column lists",
    "store/publish.py": "one CREATE TABLE per validated mart relation name",
    "store/mart_docs.py": "COMMENT ON per relation and column (DuckDB binds no COMMENT)",
    "snapshot/core.py": "one view per validated published table name",
    "safety/records.py": "the legal-hold predicate retention adds to its delete",
    "spark/local.py": "a worker's relation replaced by Spark rows (catalog identifiers)",
    "spark/ratejob.py": "the broadcast relations read whole by their fixed names",
    "safety/rule_counts.py": "per-rule count columns added by name from the rule registry",
}


def test_inline_sql_only_where_identifiers_are_composed() -> None:
    """A string constant that is a SQL statement appears only in the modules of
    :data:`COMPOSED` (and only as a composed statement there); every fixed statement is in a
    ``.sql`` file."""
    offenders = []
    composing = set()
    for rel, tree in _modules():
        if rel in COMPOSED:
            in_fstring = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
                          for v in n.values}
            if any(isinstance(n, ast.JoinedStr) or (isinstance(n, ast.Constant)
                   and isinstance(n.value, str) and "{" in n.value
                   and _SQL_START.match(n.value)) for n in ast.walk(tree)):
                composing.add(rel)
            # a fixed statement (no placeholder, not part of a composed one) belongs in .sql
            offenders += [f"{rel}:{n.lineno}: {n.value[:50]!r}" for n in ast.walk(tree)
                          if isinstance(n, ast.Constant) and isinstance(n.value, str)
                          and id(n) not in in_fstring and "{" not in n.value
                          and _SQL_START.match(n.value) and " " in n.value.strip()]
            continue
        if rel == "sqlfiles.py":  # the transaction statements themselves
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and _SQL_START.match(node.value) and " " in node.value.strip():
                offenders.append(f"{rel}:{node.lineno}: {node.value[:50]!r}")
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values
                               if isinstance(v, ast.Constant) and isinstance(v.value, str))
                if _SQL_START.match(text):
                    offenders.append(f"{rel}:{node.lineno}: f{text[:50]!r}")
    assert offenders == []
    assert composing == set(COMPOSED), "a COMPOSED entry that composes nothing is stale"


def _skeleton(node: ast.JoinedStr) -> str:
    """An f-string's text with every interpolation written ``{}``."""
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


#: A composed column list in an INSERT: the columns of a fixed Python table, or of the rows
#: a registered relation carries, spelled out in Python. ``INSERT INTO t BY NAME SELECT * FROM
#: rows`` takes them from the rows, so the statement is fixed text and belongs in a .sql file
#: (store/messages.py composed one per message table until sql/messages.sql).
_COMPOSED_COLUMNS = re.compile(r"INSERT\s+(OR\s+\w+\s+)?INTO\s+\S+\s*\(\s*\{\}", re.IGNORECASE)


def test_no_composed_column_lists() -> None:
    offenders = [f"{rel}:{node.lineno}: f{_skeleton(node)[:60]!r}"
                 for rel, tree in _modules() for node in ast.walk(tree)
                 if isinstance(node, ast.JoinedStr) and _COMPOSED_COLUMNS.search(_skeleton(node))]
    assert offenders == []


def test_the_column_list_scan_catches_the_old_message_writer() -> None:
    old = ast.parse('con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _sink_rows")')
    fstrings = [n for n in ast.walk(old) if isinstance(n, ast.JoinedStr)]
    assert _COMPOSED_COLUMNS.search(_skeleton(fstrings[0]))
    fixed = "INSERT INTO store.heartbeats BY NAME SELECT * FROM _sink_rows"
    assert not _COMPOSED_COLUMNS.search(fixed)


def test_the_message_writer_has_one_statement_per_table() -> None:
    from hazrisk.store.messages import TABLES

    statements = SqlFolder("hazrisk.store").statements("messages")
    assert set(statements) == {t.removeprefix("store.") for t in TABLES}
    for name, sql in statements.items():
        assert sql == f"INSERT INTO store.{name} BY NAME SELECT * FROM _sink_rows"
