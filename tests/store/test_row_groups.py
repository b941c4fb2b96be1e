"""A file's rows appended in whole row groups (``hazrisk/store/row_groups.py``): the carry
itself, and an ingest storing exactly the same rows whatever the row-group size held back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from store_testkit import PHONE_A, PHONE_B, T0, Stream, loc, mixed_stream
from test_safety_events import safety_stream

from hazrisk.store import row_groups
from hazrisk.store.connect import connect
from hazrisk.store.ingest import ingest_paths
from hazrisk.store.row_groups import RowGroupCarry


def _t(*values: int) -> pa.Table:
    return pa.table({"x": pa.array(values, pa.int64())})


def test_split_appends_whole_groups_and_holds_the_rest() -> None:
    c = RowGroupCarry(4)
    assert c.split("a", _t(1, 2, 3)).num_rows == 0  # less than a group: all held
    now = c.split("a", _t(4, 5, 6, 7, 8, 9))
    assert now.column("x").to_pylist() == [1, 2, 3, 4, 5, 6, 7, 8]  # two groups, in order
    assert now.column(0).num_chunks == 1  # one batch: DuckDB fills whole groups
    assert c.get("a").column("x").to_pylist() == [9]
    assert c.split("b", _t(1, 2, 3, 4)).num_rows == 4  # exactly a group: nothing held
    assert c.get("b") is None
    assert [(n, t.column("x").to_pylist()) for n, t in c.drain()] == [("a", [9])]
    assert c.drain() == [] and c.get("a") is None


def test_split_counts_only_the_rows_kept() -> None:
    """The positions' duplicates (``_append`` false) are filtered by the insert: only the
    kept rows fill a group; the cut falls just after the last kept row of the last group."""
    c = RowGroupCarry(2)
    table = pa.table({"x": [1, 2, 3, 4, 5], "_append": [True, False, True, True, False]})
    now = c.split("p", table, counted="_append")
    assert now.column("x").to_pylist() == [1, 2, 3]  # kept 1 and 3: one group
    assert c.get("p").column("x").to_pylist() == [4, 5]
    assert c.split("p", pa.table({"x": [6], "_append": [False]}),
                   counted="_append").num_rows == 0  # still one kept row: held
    now = c.split("p", pa.table({"x": [7], "_append": [True]}), counted="_append")
    assert now.column("x").to_pylist() == [4, 5, 6, 7]  # kept 4 and 7: a group, all of it


def test_split_of_tables_whose_schemas_differ() -> None:
    c = RowGroupCarry(10)
    c.split("r", pa.table({"x": pa.array([None, None], pa.null())}))
    now = c.split("r", pa.table({"x": pa.array(["a"] * 9)}))  # null column, then typed
    assert now.column("x").to_pylist() == [None, None] + ["a"] * 8
    assert now.schema.field("x").type == pa.string()
    c2 = RowGroupCarry(10)
    c2.split("r", pa.table({"x": pa.array([1, 2])}))
    first = c2.split("r", pa.table({"x": pa.array(["a", "b"])}))  # no common type
    assert first.column("x").to_pylist() == [1, 2]  # the held rows first, on their own
    assert c2.get("r").column("x").to_pylist() == ["a", "b"]
    with pytest.raises(ValueError):
        RowGroupCarry(0)


def _tricky_stream() -> Stream:
    """Duplicates far apart in the file (kept copy and its duplicate in different chunks),
    alarm bits first seen on a duplicate, active-safety items on duplicates, backfill, and
    the mixed traffic of every record table, for two terminals."""
    s = mixed_stream(n=40)
    for k, item in enumerate(safety_stream().items):
        s.items.append(item)
        if k % 3 == 0:  # a resent frame of a safety position: its items attach once
            s.items.append(item)
    for i in range(30):
        t = T0 + timedelta(minutes=30, seconds=20 * i)
        s.msg(0x0200, loc(t, 30.3 + i * 1e-3, 120.4), PHONE_B, t=t)
        s.msg(0x0002, {}, PHONE_B, t=t)
    for i in range(0, 30, 4):  # resent much later, one with an alarm bit of its own
        t = T0 + timedelta(minutes=30, seconds=20 * i)
        s.msg(0x0200, loc(t, 30.3 + i * 1e-3, 120.4, alarm=0b100 if i == 8 else 0), PHONE_B,
              t=t + timedelta(hours=1))
    s.msg(0x0200, loc(T0, 30.1, 120.2, alarm=0b1000), PHONE_A, t=T0 + timedelta(hours=2))
    return s


TABLES = ("core.positions", "core.heartbeats", "raw.messages", "core.alarms",
          "core.safety_events", "quarantine.frames_rejected", "core.registrations",
          "core.authentications")


def _contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    out = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    out["meta"] = con.execute(
        "SELECT * EXCLUDE (finished_at, started_at, duration_s) FROM meta.ingested_files "
        "ORDER BY ALL").fetchall()
    return out


@pytest.mark.parametrize("fmt", ["raw", "hexlog"])
def test_same_rows_whatever_is_held(tmp_path: Path, fmt: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny chunks, and row groups of 1 (nothing held: every chunk appends all it has), 3,
    37 and 10**9 (everything held to the file's last transaction): the same rows in every
    table, the same counts, the same duplicates dropped and alarms and events attached to
    the kept copies (held or stored when the duplicate comes)."""
    path = _tricky_stream().write(tmp_path / f"d.{'bin' if fmt == 'raw' else 'log'}", fmt)
    second = mixed_stream(phone=PHONE_B, n=25).write(tmp_path / "e.bin")  # duplicates of d
    got = {}
    for rows in (1, 3, 37, 10**9):
        monkeypatch.setattr(row_groups, "ROW_GROUP_ROWS", rows)
        con = connect(tmp_path / f"w{rows}.duckdb")
        rep = ingest_paths(con, [path, second], chunk_bytes=300)
        assert all(f.error is None for f in rep.files)
        got[rows] = (_contents(con), [(f.positions, f.positions_stored, f.alarms,
                                       f.safety_events) for f in rep.files])
        con.close()
    base_rows, base_counts = got[1]
    assert base_counts[0][0] > base_counts[0][1] > 0  # the file has duplicates
    assert base_rows["core.safety_events"] and base_rows["core.alarms"]
    for rows in (3, 37, 10**9):
        assert got[rows][1] == base_counts, rows
        for table, want in base_rows.items():
            assert got[rows][0][table] == want, (rows, table)
