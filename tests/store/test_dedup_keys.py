"""The numpy duplicate check against stored positions (``dedup.store_mask``) agrees with
the SQL definition: a row is a duplicate when a stored position has the same terminal, device
time, latitude and longitude (SQL equality: NULL matches nothing, -0.0 equals 0.0)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.store import connect
from hazrisk.store.dedup import store_mask
from hazrisk.store.positions import order_and_clusters, stage_table, with_term_keys
from hazrisk.store.resolve import insert_keyed_positions

T0 = datetime(2026, 10, 1, tzinfo=UTC)
_TS = pa.timestamp("us", tz="UTC")


def _rows(rng: np.random.Generator, n: int) -> dict[str, list[object]]:
    phones = [f"0139{k:08d}" for k in rng.integers(0, 6, n)]
    # two time spans a day apart (live and backfill), few distinct values so keys collide
    times: list[datetime | None] = [
        T0 - timedelta(days=int(d)) + timedelta(seconds=int(s))
        for d, s in zip(rng.integers(0, 2, n), rng.integers(0, 5, n), strict=True)]
    lat: list[float | None] = [float(v) for v in rng.choice([30.0, 30.5, 0.0, -0.0], n)]
    lon: list[float | None] = [float(v) for v in rng.choice([120.0, 120.25], n)]
    for i in rng.choice(n, max(n // 20, 1), replace=False).tolist():
        times[i] = None
    for i in rng.choice(n, max(n // 20, 1), replace=False).tolist():
        lat[i] = None
    return {"terminal_phone": phones, "device_time": times, "lat_deg": lat, "lon_deg": lon}


def test_store_mask_matches_sql_semantics() -> None:
    rng = np.random.default_rng(5)
    con = connect(":memory:")
    stored = _rows(rng, 300)
    con.register("_s", pa.table({
        **stored, "device_time": pa.array(stored["device_time"], _TS)}))
    con.execute("""
        CREATE TEMP TABLE _stored AS
        SELECT row_number() OVER () AS pos_seq, terminal_phone, device_time, lat_deg, lon_deg,
            0::UINTEGER AS alarm, 0::UINTEGER AS status, false AS is_backfill, 512 AS msg_id,
            0 AS pos_index, 0::UTINYINT AS quality_flags, 1 AS source_file_id,
            0 AS source_offset, NULL::VARCHAR AS vehicle_id, NULL::VARCHAR AS enterprise_id,
            NULL::VARCHAR AS provider_id
        FROM _s
    """)
    insert_keyed_positions(con, "_stored")
    con.unregister("_s")
    new = _rows(rng, 400)
    keep = rng.random(400) < 0.9
    staged = pa.table({
        "terminal_phone": pc.dictionary_encode(pa.array(new["terminal_phone"])),
        "device_time": pa.array(new["device_time"], _TS),
        "lat_deg": pa.array(new["lat_deg"], pa.float64()),
        "lon_deg": pa.array(new["lon_deg"], pa.float64()),
        "_keep": pa.array(keep | pc.is_null(pa.array(new["device_time"], _TS)).to_numpy(
            zero_copy_only=False)),
    })
    staged = with_term_keys(con, staged)
    got = store_mask(con, staged, order_and_clusters(staged)[1])
    con.register("_n", staged.append_column("i", pa.array(np.arange(400))))
    want_rows = con.execute("""
        SELECT i FROM _n s
        WHERE s.device_time IS NULL
           OR (s._keep AND NOT EXISTS (
               SELECT 1 FROM store.positions p JOIN store.terminals t USING (term_key)
               WHERE t.terminal_phone = s.terminal_phone AND p.device_time = s.device_time
                 AND p.lat_deg = s.lat_deg AND p.lon_deg = s.lon_deg))
    """).fetchall()
    want = np.zeros(400, bool)
    want[[r[0] for r in want_rows]] = True
    assert got.sum() < 400 and (~got).sum() > 50  # the check does drop rows here
    assert np.array_equal(got, want)


def test_staged_rows_come_in_append_order() -> None:
    """stage_table returns the chunk's rows in append order (device time, ties in row order,
    untimed rows last; sorted where the file is decoded, so the writer does not), the same
    rows as sorting the unsorted chunk from scratch; spans: live and backfill, a day apart."""
    rng = np.random.default_rng(9)
    rows = _rows(rng, 500)
    n = 500
    times = pa.array(rows["device_time"], _TS)
    times = pc.if_else(pa.array(np.arange(n) % 97 == 5), pa.scalar(None, _TS), times)
    table = pa.table({
        "phone": pa.array(rows["terminal_phone"]),
        "device_time": times,
        "lat_deg": pa.array(rows["lat_deg"], pa.float64()),
        "lon_deg": pa.array(rows["lon_deg"], pa.float64()),
        "offset": pa.array(np.arange(n, dtype=np.int64) * 40),
        "alarm": pa.array(np.zeros(n, np.uint32)), "status": pa.array(np.full(n, 3, np.uint32)),
        "is_backfill": pa.array(np.zeros(n, bool)), "msg_id": pa.array(np.full(n, 512, np.int32)),
        "pos_index": pa.array(np.zeros(n, np.int32)),
    })
    staged = stage_table(table, file_id=1, first_row=0)
    order, clusters = order_and_clusters(staged)
    assert np.array_equal(order, np.arange(n))  # already in order: the writer takes as is
    seq = staged.column("pos_seq").to_numpy() - (1 << 36)
    assert not np.array_equal(seq, np.arange(n))  # the chunk came out of order
    t = pc.fill_null(table.column("device_time").cast(pa.int64()), 0).to_numpy()
    valid = pc.is_valid(table.column("device_time")).to_numpy(zero_copy_only=False)
    timed = np.flatnonzero(valid)
    want = np.concatenate([timed[np.argsort(t[timed], kind="stable")], np.flatnonzero(~valid)])
    assert np.array_equal(seq, want)
    assert staged.column("source_offset").to_numpy().tolist() == (want * 40).tolist()
    assert len(clusters) == 2
