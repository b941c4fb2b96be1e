"""Hand-made scenarios pinning two warehouse rules at their edges (issue 15, tests that can fail):

- the duplicate key is (terminal, device time, latitude, longitude): fixes differing only in
  longitude (or only in latitude) are different positions, in one chunk as across files;
- a terminal's assignment is half-open ``[valid_from, valid_to + 1 day)`` in Beijing time: a fix
  exactly at the end instant, with no later assignment, belongs to no vehicle; a fix exactly at
  the start instant belongs to it. Both resolution paths are pinned: positions ingested before
  the registry (SQL re-resolution on import) and after it (the in-memory assigner).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from store_testkit import BJ, PHONE_A, T0, VEHICLE_HEADER, Stream, db, loc, vehicle_row, write_csv

from hazrisk.store.ingest import ingest_paths
from hazrisk.store.registry_import import import_registry

__all__ = ["db"]  # the fixture


def _stored(con: duckdb.DuckDBPyConnection) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for a, b in con.execute(
        "SELECT lat_deg, lon_deg FROM core.positions ORDER BY lat_deg, lon_deg").fetchall()]


def test_fixes_differing_only_in_longitude_are_both_kept(db: duckdb.DuckDBPyConnection,
                                                         tmp_path: Path) -> None:
    s = Stream()
    s.msg(0x0200, loc(T0, 30.1, 120.2))
    s.msg(0x0200, loc(T0, 30.1, 120.3))    # same terminal, time, latitude: another position
    f = ingest_paths(db, [s.write(tmp_path / "a.bin")]).files[0]
    assert (f.positions, f.duplicates) == (2, 0)
    assert _stored(db) == [(30.1, 120.2), (30.1, 120.3)]


def test_in_chunk_duplicates_are_matched_on_all_four_keys(db: duckdb.DuckDBPyConnection,
                                                          tmp_path: Path) -> None:
    """Each of three positions sent twice in one file, the three differing in one coordinate
    only: exactly the three second copies are dropped."""
    s = Stream()
    for lat, lon in ((30.1, 120.2), (30.1, 120.2), (30.1, 120.3), (30.1, 120.3),
                     (30.2, 120.2), (30.2, 120.2)):
        s.msg(0x0200, loc(T0, lat, lon))
    f = ingest_paths(db, [s.write(tmp_path / "a.bin")]).files[0]
    assert (f.positions, f.duplicates) == (6, 3)
    assert _stored(db) == [(30.1, 120.2), (30.1, 120.3), (30.2, 120.2)]


def test_fix_differing_only_in_longitude_from_a_stored_one_is_kept(
        db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    a = Stream()
    a.msg(0x0200, loc(T0, 30.1, 120.2))
    b = Stream()
    b.msg(0x0200, loc(T0, 30.1, 120.3))
    b.msg(0x0200, loc(T0, 30.1, 120.2))    # this one is the stored position again
    ingest_paths(db, [a.write(tmp_path / "a.bin")])
    f = ingest_paths(db, [b.write(tmp_path / "b.bin")]).files[0]
    assert (f.positions, f.duplicates) == (2, 1)
    assert _stored(db) == [(30.1, 120.2), (30.1, 120.3)]


# --------------------------------------------------------------------------------------------
# Terminal -> vehicle assignment: half-open validity
# --------------------------------------------------------------------------------------------

START = datetime(2026, 10, 1, 0, 0, 0, tzinfo=BJ)   # valid_from 2026-10-01, 00:00 Beijing
END = datetime(2026, 10, 3, 0, 0, 0, tzinfo=BJ)     # valid_to 2026-10-02 inclusive -> 10-03 00:00
EDGES = (START - timedelta(seconds=1), START, END - timedelta(seconds=1), END)
WANT = [(EDGES[0], None), (EDGES[1], "V00001"), (EDGES[2], "V00001"), (EDGES[3], None)]


def _registry(tmp_path: Path) -> None:
    write_csv(tmp_path / "reg" / "vehicles.csv", VEHICLE_HEADER, [
        vehicle_row("V00001", PHONE_A, valid_from="2026-10-01", valid_to="2026-10-02")])


def _fixes(path: Path) -> Path:
    s = Stream()
    for i, t in enumerate(EDGES):
        s.msg(0x0200, loc(t, 30.1 + i * 0.01), t=t)
    return s.write(path)


def _vehicles(con: duckdb.DuckDBPyConnection) -> list[tuple[datetime, str | None]]:
    return [(t.astimezone(BJ), v) for t, v in con.execute(
        "SELECT device_time, vehicle_id FROM core.positions ORDER BY device_time").fetchall()]


def test_assignment_is_half_open_when_registry_comes_first(db: duckdb.DuckDBPyConnection,
                                                           tmp_path: Path) -> None:
    _registry(tmp_path)
    import_registry(db, tmp_path / "reg")
    ingest_paths(db, [_fixes(tmp_path / "d.bin")])      # resolved on the way in
    assert _vehicles(db) == WANT


def test_assignment_is_half_open_when_dumps_come_first(db: duckdb.DuckDBPyConnection,
                                                       tmp_path: Path) -> None:
    ingest_paths(db, [_fixes(tmp_path / "d.bin")])
    _registry(tmp_path)
    import_registry(db, tmp_path / "reg")               # re-resolves the stored positions
    assert _vehicles(db) == WANT
    ((end,),) = db.execute("SELECT valid_to_ts FROM core.terminal_assignments").fetchall()
    assert end == END
