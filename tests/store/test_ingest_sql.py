"""The ingest statements live in ``hazrisk/store/sql/ingest/*.sql`` and agree with the code."""

from __future__ import annotations

import re
from pathlib import Path

from hazrisk.sqlfiles import SqlFolder
from hazrisk.store import dedup, file_chunks, ingest, positions


def test_positions_insert_lists_the_fact_columns_in_table_order() -> None:
    for name in ("insert_positions",):
        sql = positions.SQL[name]
        target = re.search(r"INSERT INTO store\.positions \((.*?)\)", sql, re.S)
        select = re.search(r"SELECT(.*?)FROM _staged_positions", sql, re.S)
        assert target is not None and select is not None
        cols = [c.strip() for c in target.group(1).split(",")]
        assert tuple(cols) == positions.FACT_COLUMNS
        assert [c.strip() for c in select.group(1).split(",")] == [f"s.{c}" for c in cols]


def test_every_statement_is_used_by_its_module() -> None:
    folder = SqlFolder("hazrisk.store", "sql/ingest")
    for modules, file in (((positions,), "positions"), ((dedup,), "dedup"),
                          ((ingest, file_chunks), "files")):
        source = "".join(Path(m.__file__ or "").read_text(encoding="utf-8") for m in modules)
        for name in folder.statements(file):
            assert f'SQL["{name}"]' in source, (file, name)
