"""Migrations 050/051: a warehouse whose positions still carry vehicle/enterprise/provider columns
is moved to one ``assign_key`` per row without changing what ``core.positions`` shows; the
resolution after a registry change and the ingest path agree with it."""

from __future__ import annotations

from pathlib import Path

import duckdb
from store_testkit import PHONE_A, VEHICLE_HEADER, mixed_stream, vehicle_row, write_csv

from hazrisk.store.connect import connect, schema_files
from hazrisk.store.ingest import ingest_paths
from hazrisk.store.registry_import import import_registry

_OLD_ROWS = [  # pos_seq, vehicle, enterprise, provider (NULLs: an unknown terminal)
    (1, "V1", "E1", "P1"), (2, "V1", "E1", "P1"), (3, "V2", "E1", "P2"),
    (4, None, None, None), (5, "V3", None, "P1"),
]


def _old_warehouse(path: Path) -> None:
    """The schema as it was before 050 (files 000-049), with positions in it."""
    con = duckdb.connect(str(path))
    for f in schema_files():
        if f.version >= 50:
            continue
        con.execute(f.text)
        con.execute(
            "INSERT INTO meta.schema_migrations (version, name, sha256) VALUES ($v, $n, $s)",
            {"v": f.version, "n": f.name, "s": f.sha256})
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'store' "
        "AND table_name = 'positions'").fetchall()}
    assert {"vehicle_id", "enterprise_id", "provider_id"} <= cols and "assign_key" not in cols
    for seq, v, e, p in _OLD_ROWS:
        con.execute(
            "INSERT INTO store.positions (pos_seq, terminal_phone, vehicle_id, enterprise_id, "
            "provider_id, device_time, lat_deg, lon_deg, alarm, status, is_backfill, msg_id, "
            "pos_index, quality_flags, source_file_id, source_offset) VALUES ($s, '013900000001',"
            " $v, $e, $p, TIMESTAMPTZ '2026-10-01 08:00:00+08' + to_seconds($s), 30.0, 120.0, "
            "0, 3, false, 512, 0, 0, 1, $s)", {"s": seq, "v": v, "e": e, "p": p})
    con.close()


def test_old_positions_keep_their_resolution(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _old_warehouse(db)
    con = connect(db)  # applies 050
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'store' "
        "AND table_name = 'positions'").fetchall()]
    assert "assign_key" in cols
    assert not {"vehicle_id", "enterprise_id", "provider_id"} & set(cols)
    got = con.execute(
        "SELECT p.pos_seq, k.vehicle_id, k.enterprise_id, k.provider_id FROM store.positions p "
        "LEFT JOIN store.assign_keys k USING (assign_key) ORDER BY p.pos_seq").fetchall()
    assert got == _OLD_ROWS
    # 051: the phone moved to store.terminals the same way
    assert con.execute("SELECT DISTINCT t.terminal_phone FROM store.positions p "
                       "JOIN store.terminals t USING (term_key)").fetchall() == [("013900000001",)]
    # one key per distinct triple, none for the unknown terminal
    assert con.execute("SELECT count(*) FROM store.assign_keys").fetchall() == [(3,)]
    assert con.execute("SELECT assign_key FROM store.positions WHERE pos_seq = 4"
                       ).fetchall() == [(None,)]
    con.close()
    con = connect(db)  # applied once
    assert con.execute("SELECT count(*) FROM meta.schema_migrations WHERE version = 50"
                       ).fetchall() == [(1,)]
    con.close()


def test_keys_are_stable_across_registry_changes(tmp_path: Path) -> None:
    """A re-import moving a terminal to another vehicle gives a new key; old keys keep their
    meaning (append-only), and core.positions follows the registry."""
    con = connect(tmp_path / "w.duckdb")
    reg = tmp_path / "reg"
    write_csv(reg / "vehicles.csv", VEHICLE_HEADER, [vehicle_row("V00001", PHONE_A)])
    import_registry(con, reg)
    dump = mixed_stream().write(tmp_path / "dumps" / "P01" / "2026-10-01.bin")
    ingest_paths(con, [dump])
    before = dict(con.execute("SELECT assign_key, vehicle_id FROM store.assign_keys").fetchall())
    assert set(before.values()) == {"V00001"}
    assert con.execute("SELECT DISTINCT vehicle_id FROM core.positions").fetchall() == [("V00001",)]
    write_csv(reg / "vehicles.csv", VEHICLE_HEADER, [vehicle_row("V00009", PHONE_A)])
    import_registry(con, reg)
    after = dict(con.execute("SELECT assign_key, vehicle_id FROM store.assign_keys").fetchall())
    assert {k: v for k, v in after.items() if k in before} == before
    assert "V00009" in after.values()
    assert con.execute("SELECT DISTINCT vehicle_id FROM core.positions").fetchall() == [("V00009",)]
    con.close()
