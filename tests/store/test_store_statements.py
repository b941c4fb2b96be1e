"""The per-table statements of the store's fixed lists (identifiers cannot be bound, so each
table of a list has its own named statement in a ``.sql`` file): every entry has its
statement, naming its table, and the lists cover what the schema holds."""

from __future__ import annotations

import re

from hazrisk.sqlfiles import SqlFolder
from hazrisk.store.connect import STORE_TABLES, connect
from hazrisk.store.registry_specs import SPECS

_sql = SqlFolder("hazrisk.store")


def test_every_registry_file_kind_has_its_clear_and_insert() -> None:
    """registry_import replaces a file kind's rows by ``clear_<kind>`` / ``insert_<kind>``;
    a fence file deletes the fences of its own kind only."""
    for spec in SPECS:
        clear = _sql.statement("registry_import", f"clear_{spec.kind}")
        insert = _sql.statement("registry_import", f"insert_{spec.kind}")
        where = " WHERE kind = $kind" if spec.discriminator else ""
        assert clear == f"DELETE FROM {spec.table}{where}", spec.kind
        assert insert == f"INSERT INTO {spec.table} BY NAME SELECT * FROM _registry_staged"
    tables = {n for n, sql in _sql.statements("registry_import").items()
              if re.match(r"^(DELETE FROM|INSERT INTO) core\.", sql)}
    assert tables == {f"{op}_{s.kind}" for s in SPECS for op in ("clear", "insert")}


def test_every_stored_table_has_its_forget_statement() -> None:
    """STORE_TABLES is every table of the store with a source_file_id (a crashed ingest's
    rows are deleted from all of them), each with ``forget_file_<name>``."""
    con = connect(":memory:")
    try:
        found = {f"store.{t}" for (t,) in con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'store' "
            "AND column_name = 'source_file_id'").fetchall()}
    finally:
        con.close()
    assert found == set(STORE_TABLES)
    for table in STORE_TABLES:
        sql = _sql.statement("connect", "forget_file_" + table.removeprefix("store."))
        assert sql == f"DELETE FROM {table} WHERE source_file_id = $f"
