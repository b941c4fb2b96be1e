"""The PUBLISHED snapshot (what the portal, notebooks and insurers read) masks every personal
value of the registry: person and owner names, phones, ID numbers and terminal SIM numbers.

Read from the snapshot file `hazrisk publish` wrote for the committed sample, compared with the
raw registry CSVs: each personal column of ``mart.vehicles`` / ``mart.drivers`` /
``mart.enterprises`` holds exactly the masked raw value, and no text cell of any snapshot table
contains a raw phone, ID or SIM number or equals a raw person name."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from conftest import Published

from hazrisk.store import mask_pii

#: (snapshot table, key column, registry CSV, {personal column: mask kind})
PERSONAL = (
    ("vehicles", "vehicle_id", "vehicles.csv",
     {"owner_name": "name", "operator_phone": "phone", "terminal_phone": "phone"}),
    ("drivers", "driver_id", "drivers.csv",
     {"name": "name", "id_number": "id", "phone": "phone"}),
    ("enterprises", "enterprise_id", "enterprises.csv",
     {"safety_manager": "name", "safety_manager_phone": "phone"}),
)


def _registry(sample_dir: Path, name: str) -> list[dict[str, str]]:
    with open(sample_dir / "registry" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def snapshot(published: Published):
    con = duckdb.connect(str(published.snapshot), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("table,key,source,columns", PERSONAL, ids=[p[0] for p in PERSONAL])
def test_personal_columns_are_published_masked(snapshot: duckdb.DuckDBPyConnection,
                                               sample_dir: Path, table: str, key: str,
                                               source: str, columns: dict[str, str]) -> None:
    raw = {r[key]: r for r in _registry(sample_dir, source)}
    cols = ", ".join(columns)
    rows = snapshot.execute(f"SELECT {key}, {cols} FROM mart.{table}").fetchall()
    assert len(rows) == len(raw) > 0
    for row in rows:
        src = raw[row[0]]
        for value, (col, kind) in zip(row[1:], columns.items(), strict=True):
            want = mask_pii(src[col] or None, kind)
            assert value == want, (table, row[0], col)
            if src[col] and len(src[col]) > 1:
                assert value != src[col], (table, row[0], col)


def test_no_raw_personal_value_anywhere_in_the_snapshot(snapshot: duckdb.DuckDBPyConnection,
                                                        sample_dir: Path) -> None:
    vehicles = _registry(sample_dir, "vehicles.csv")
    drivers = _registry(sample_dir, "drivers.csv")
    enterprises = _registry(sample_dir, "enterprises.csv")
    verifications = _registry(sample_dir, "phone_verifications.csv")
    numbers = {v for v in (
        [r["terminal_phone"] for r in vehicles] + [r["operator_phone"] for r in vehicles]
        + [r["id_number"] for r in drivers] + [r["phone"] for r in drivers]
        + [r["safety_manager_phone"] for r in enterprises]
        + [r["operator_phone"] for r in verifications]) if len(v) >= 8}
    # terminal SIMs are also written without their leading zeros (core.terminal_key)
    numbers |= {r["terminal_phone"].lstrip("0") for r in vehicles
                if len(r["terminal_phone"].lstrip("0")) >= 8}
    names = {r["name"] for r in drivers} | {r["safety_manager"] for r in enterprises}
    names.discard("")
    assert len(numbers) > 100 and len(names) > 50
    text_columns = snapshot.execute("""
        SELECT table_name, column_name FROM duckdb_columns()
        WHERE schema_name = 'mart' AND data_type = 'VARCHAR'
    """).fetchall()
    assert any(t == "vehicles" for t, _ in text_columns)
    snapshot.execute("CREATE TEMP TABLE _numbers (v VARCHAR)")
    snapshot.executemany("INSERT INTO _numbers VALUES ($v)", [{"v": v} for v in numbers])
    snapshot.execute("CREATE TEMP TABLE _names (v VARCHAR)")
    snapshot.executemany("INSERT INTO _names VALUES ($v)", [{"v": v} for v in names])
    leaks = []
    for table, column in text_columns:
        hits = snapshot.execute(f"""
            SELECT any_value(c) FROM (SELECT DISTINCT "{column}" AS c FROM mart."{table}") t
            WHERE EXISTS (SELECT 1 FROM _numbers n WHERE contains(t.c, n.v))
               OR t.c IN (SELECT v FROM _names)
        """).fetchall()
        if hits[0][0] is not None:
            leaks.append((f"mart.{table}.{column}", hits[0][0]))
    assert leaks == []
