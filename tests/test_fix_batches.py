"""hazrisk.fix_batches: whole-vehicle batches sorted in numpy give the rows of the sorted
statement, vehicle by vehicle in (time, pos_seq) order, in memory and through spill files;
ties on time broken by pos_seq; NULL strings kept, NULL booleans read as false."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from hazrisk.fix_batches import _order, unsorted, whole_vehicle_batches

SQL = """
SELECT p.vehicle_id, p.enterprise_id, p.t_us, p.lat_deg, p.acc_on, p.pos_seq
FROM fixes p
WHERE p.t_us >= $t0 AND p.t_us < $t1
ORDER BY p.vehicle_id, p.device_time, p.pos_seq;
"""


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    rng = np.random.default_rng(5)
    n = 20_000
    vehicles = np.asarray([f"V{k:04d}" for k in range(300)], dtype=object)
    v = vehicles[rng.integers(0, 300, n)]
    t = rng.integers(0, 5000, n) * 1_000_000  # many equal times within a vehicle
    ent = np.where(rng.random(n) < 0.05, None, np.asarray([f"E{k}" for k in range(7)],
                                                          dtype=object)[rng.integers(0, 7, n)])
    acc = pa.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5).tolist(),
                   pa.bool_())
    seq = rng.permutation(n).astype(np.int64)
    table = pa.table({"vehicle_id": v.tolist(), "enterprise_id": ent.tolist(), "t_us": t,
                      "device_time": t, "lat_deg": rng.random(n), "acc_on": acc,
                      "pos_seq": seq})
    c = duckdb.connect()
    c.register("_src", table)
    c.execute("CREATE TABLE fixes AS SELECT * FROM _src")
    return c


def _want(con: duckdb.DuckDBPyConnection) -> pa.Table:
    return con.sql(SQL, params={"t0": 0, "t1": 4_000_000_000}).to_arrow_table()


@pytest.mark.parametrize("per", [10**9, 3_500, 499])
def test_batches_equal_the_sorted_statement(con: duckdb.DuckDBPyConnection, per: int) -> None:
    want = _want(con)
    got = list(whole_vehicle_batches(con, SQL, {"t0": 0, "t1": 4_000_000_000}, per))
    if per >= want.num_rows:
        assert len(got) == 1
    else:
        assert len(got) >= want.num_rows // (2 * per)  # about per rows each
    seen: set[str] = set()
    rows: dict[str, list[tuple[object, ...]]] = {}
    for b in got:
        vs = b.column("vehicle_id").to_pylist()
        assert not (set(vs) & seen)  # whole vehicles: none continues in a later batch
        seen |= set(vs)
        assert vs == sorted(vs, key=vs.index)  # each vehicle's rows contiguous
        for r in b.to_pylist():
            rows.setdefault(r["vehicle_id"], []).append(
                (r["enterprise_id"], r["t_us"], r["lat_deg"], r["acc_on"], r["pos_seq"]))
    expect: dict[str, list[tuple[object, ...]]] = {}
    for r in want.to_pylist():
        expect.setdefault(r["vehicle_id"], []).append(
            (r["enterprise_id"], r["t_us"], r["lat_deg"], bool(r["acc_on"]), r["pos_seq"]))
    assert rows == expect
    assert any(e is None for v in rows.values() for e, *_ in v)  # NULL strings kept


def test_empty_read_and_the_order_clause(con: duckdb.DuckDBPyConnection) -> None:
    assert list(whole_vehicle_batches(con, SQL, {"t0": 0, "t1": 0}, 100)) == []
    assert unsorted(SQL).endswith("p.t_us < $t1")
    with pytest.raises(ValueError, match="does not end with"):
        unsorted("SELECT 1 FROM fixes p ORDER BY p.pos_seq")


def test_order_is_lexsort() -> None:
    rng = np.random.default_rng(1)
    v = rng.integers(0, 50, 20_000).astype(np.int32)
    t = rng.integers(0, 100, 20_000).astype(np.int64) * 1_000_000 + 1_790_000_000_000_000
    s = rng.permutation(20_000).astype(np.int64)
    assert _order(v, t, s).tolist() == np.lexsort((s, t, v)).tolist()
    v_null = v.copy()
    v_null[5] = -1  # a NULL code: lexsort itself
    assert _order(v_null, t, s).tolist() == np.lexsort((s, t, v_null)).tolist()
    t_wide = t.copy()
    t_wide[0] = 0  # a span beyond the key's 40 bits: lexsort itself
    assert _order(v, t_wide, s).tolist() == np.lexsort((s, t_wide, v)).tolist()


def _spills(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".hazrisk-fixes-" in p.name)


def test_spill_beside_a_file_database_and_removed(con: duckdb.DuckDBPyConnection,
                                                  tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as fc:
        fc.register("_rows", _want(con))
        fc.execute("CREATE TABLE fixes AS SELECT *, t_us AS device_time FROM _rows")
        seen = []
        n = 0
        for b in whole_vehicle_batches(fc, SQL, {"t0": 0, "t1": 4_000_000_000}, 2_000):
            seen.append(_spills(tmp_path))
            n += b.num_rows
        assert n == _want(con).num_rows
        # beside DuckDB's temp folder (w.duckdb.tmp), never inside it
        assert seen and all(len(s) == 1 and s[0].startswith("w.duckdb.tmp.") for s in seen)
        assert _spills(tmp_path) == [] and not (tmp_path / "w.duckdb.tmp").exists()


def test_two_reads_at_once_leave_nothing(con: duckdb.DuckDBPyConnection,
                                         tmp_path: Path) -> None:
    """Detection and the rates' drift spill at the same time (two threads)."""
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as fc:
        fc.register("_rows", _want(con))
        fc.execute("CREATE TABLE fixes AS SELECT *, t_us AS device_time FROM _rows")
        params = {"t0": 0, "t1": 4_000_000_000}
        first = whole_vehicle_batches(fc, SQL, params, 2_000)
        second = whole_vehicle_batches(fc.cursor(), SQL, params, 2_000)
        a, b = next(first), next(second)  # both spilled
        assert len(_spills(tmp_path)) == 2
        n = a.num_rows + sum(t.num_rows for t in first)
        assert len(_spills(tmp_path)) == 1
        n += b.num_rows + sum(t.num_rows for t in second)
        assert n == 2 * _want(con).num_rows
        assert _spills(tmp_path) == [] and not (tmp_path / "w.duckdb.tmp").exists()
