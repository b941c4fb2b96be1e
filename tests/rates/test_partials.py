"""Vehicle-day partials: any period's rates aggregate from days computed one at a time, equal
to one pass over the whole period (hand-built scenarios crossing midnight, the month start and
the period end; the committed sample for the month and its sub-ranges); a late file re-derives
only the days it touches; vehicle batches change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pytest
from rates_builders import LAT0, OCT, World, at, north

from hazrisk.rates import Period, aggregate, compute_rates, install
from hazrisk.rates.partials import ensure_partials, partials_for
from hazrisk.store.connect import connect

#: The reference: one pass of the flags over the whole period (every earlier record as
#: context, all vehicles at once), aggregated per provider x unit x day as the partials are.
WHOLE_PERIOD = """
SELECT * FROM rates.vehicle_day_sums(CAST('-infinity' AS TIMESTAMPTZ), CAST($t0 AS TIMESTAMPTZ),
                                     CAST($t1 AS TIMESTAMPTZ), 1, 0, CAST(NULL AS DATE))
"""
FIGURES = ("records", "qualified", "interval_records", "interval_ok", "drift_points", "segments",
           "incomplete_segments", "outages", "points_expected", "points_recovered")


def _rows(con: duckdb.DuckDBPyConnection, sql: str,
          params: dict[str, Any]) -> dict[tuple[str, str, date], dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description or []]
    out = {}
    for row in cur.fetchall():
        r = dict(zip(cols, row, strict=True))
        out[(r["provider_id"], r["unit_id"], r["day"])] = r
    return out


def assert_partials_equal_whole(con: duckdb.DuckDBPyConnection, period: Period) -> int:
    """The stored partials of ``period``'s days equal one whole-period pass; rows compared."""
    p = {"t0": period.t0.isoformat(), "t1": period.t1.isoformat()}
    whole = _rows(con, WHOLE_PERIOD, p)
    parts = _rows(con, "SELECT * FROM rates.day_partials WHERE day BETWEEN $a AND $b",
                  {"a": period.start, "b": period.end})
    assert parts.keys() == whole.keys(), period.label
    for key, w in whole.items():
        got = parts[key]
        assert {f: got[f] for f in FIGURES} == {f: w[f] for f in FIGURES}, (period.label, key)
        for f in ("km_total", "km_complete"):
            assert got[f] == pytest.approx(w[f], rel=1e-12, abs=1e-9), (period.label, key, f)
    return len(whole)


def same_records(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """Equal rows; floats equal to 1e-12 relative (km sums may add in another order)."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for k in x:
            if isinstance(x[k], float) and isinstance(y[k], float):
                assert x[k] == pytest.approx(y[k], rel=1e-12), (x, k)
            else:
                assert x[k] == y[k], (x, k)
    return True


def _midnight_world(w: World) -> None:
    """Tracks crossing midnight, the month start and the period end."""
    w.provider("P1")
    for v in "ABCDEFG":
        w.vehicle(v, "P1")
    # A: driving across midnight 10-03 -> 10-04 (the segment is cut at midnight)
    for k, s in enumerate((0, 30, 60, 90, 120)):
        w.pos("A", at("2026-10-03 23:59:00", s), north(LAT0, 0.4 * k), speed=48.0, acc=True)
    # B: a spike at 23:59:50 whose next neighbour is the next day's first record
    w.pos("B", "2026-10-05 23:59:20", LAT0, speed=10.0, acc=True)
    w.pos("B", "2026-10-05 23:59:50", north(LAT0, 5.0), speed=10.0, acc=True)
    w.pos("B", "2026-10-06 00:00:20", north(LAT0, 0.05), speed=10.0, acc=True)
    # C: a 50 h silence over two midnights with a backfilled point inside (an outage)
    w.pos("C", "2026-10-07 22:00:00", speed=30.0, acc=True)
    w.pos("C", "2026-10-08 12:00:00", north(LAT0, 10.0), speed=30.0, acc=True, backfill=True)
    w.pos("C", "2026-10-10 00:00:00", north(LAT0, 20.0), speed=30.0, acc=True)
    # D: across the month start within 24 h (keeps its predecessor); E: older than that
    w.pos("D", "2026-09-30 23:30:00", speed=20.0, acc=True)
    w.pos("D", "2026-10-01 00:10:00", north(LAT0, 1.0), speed=20.0, acc=True)
    w.pos("E", "2026-09-29 10:00:00")
    w.pos("E", "2026-10-01 09:00:00", north(LAT0, 1.0))
    # F: the period end (10-31 23:59 -> 11-01 00:01), then a silence into the next month
    w.pos("F", "2026-10-31 23:59:00", speed=40.0, acc=True)
    w.pos("F", "2026-11-01 00:01:00", north(LAT0, 1.4), speed=40.0, acc=True)
    w.pos("F", "2026-11-03 08:00:00", north(LAT0, 1.4))
    # G: a drift jump at 23:58 back at 00:02, and days without data in between (10-12..10-19)
    w.pos("G", "2026-10-11 23:56:00", speed=30.0, acc=True)
    w.pos("G", "2026-10-11 23:58:00", north(LAT0, 40.0), speed=30.0, acc=True)
    w.pos("G", "2026-10-12 00:02:00", north(LAT0, 2.0), speed=30.0, acc=True)
    w.pos("G", "2026-10-20 08:00:00", north(LAT0, 2.0))
    w.resolve()


def test_partials_equal_whole_period_across_midnight(world: World) -> None:
    w = world
    _midnight_world(w)
    compute_rates(w.con, OCT)
    compute_rates(w.con, Period.parse("2026-11"))
    n = 0
    for period in (OCT, Period.parse("2026-11"), Period.parse("2026-09"),
                   Period.between("2026-10-03", "2026-10-04"), Period.between("2026-10-08", "2026-10-10"),
                   Period.between("2026-10-04", "2026-10-04"), Period.between("2026-10-06", "2026-10-06"),
                   Period.between("2026-10-12", "2026-10-20"),
                   Period.between("2026-10-25", "2026-11-05")):
        n += assert_partials_equal_whole(w.con, period)
    assert n > 20
    vd = {(r[0], r[1]): r[2:] for r in w.con.execute(
        "SELECT unit_id, day, interval_ok, interval_records, outages, points_recovered, "
        "drift_points, segments FROM rates.day_partials").fetchall()}
    # the 50 h outage is found across two midnights: the backfilled point on 10-08 lies in it,
    # the closing record on 10-10 closes it (its predecessor is 2 days old: rate 5 fails)
    assert vd[("C", date(2026, 10, 8))][2:4] == (1, 1)
    assert vd[("C", date(2026, 10, 10))][0:3] == (0, 1, 1)
    # D keeps its predecessor across the month start (the 40 min gap fails rate 5), E not
    assert vd[("D", date(2026, 10, 1))][0:2] == (0, 1)
    assert vd[("E", date(2026, 10, 1))][0:2] == (1, 1)
    # A: 5 fixes, 4 steps, the one across midnight is no segment (a day's own trajectory)
    assert vd[("A", date(2026, 10, 3))][5] + vd[("A", date(2026, 10, 4))][5] == 3
    # B's jump at 23:59:50 and G's at 23:58 drift (implied speed), judged on their own day
    assert vd[("B", date(2026, 10, 5))][4] == 1
    assert vd[("G", date(2026, 10, 11))][4] == 1
    # the whole October from partials equals the same period computed afresh
    before = aggregate(w.con, OCT)
    w.con.execute("DELETE FROM rates.day_partials; DELETE FROM rates.day_runs; "
                  "DELETE FROM rates.day_tails; DELETE FROM rates.day_connectivity")
    assert same_records(compute_rates(w.con, OCT), before)


def test_late_file_rederives_only_its_days(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    w.vehicle("B", "P1")
    for d in range(1, 7):
        w.pos("A", f"2026-10-0{d} 10:00:00", speed=20.0, acc=True)
        w.pos("A", f"2026-10-0{d} 10:00:30", north(LAT0, 0.2), speed=20.0, acc=True)
        for k in range(5):  # five fixes a day: a day's tail is its own records
            w.pos("B", at(f"2026-10-0{d} 11:00:00", 60 * k))
    w.resolve()
    compute_rates(w.con, OCT)
    runs = dict(w.con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
    stamps = dict(w.con.execute("SELECT day, max(computed_at) FROM rates.day_partials "
                                "GROUP BY day").fetchall())
    assert sorted(runs) == [date(2026, 10, d) for d in range(1, 7)]
    # a late file for 10-03: B's record at 23:00 becomes B's last record of the day (its tail)
    w.file(500, "P1", "2026-10-03")  # ingested later: a newer file id
    w.pos("B", "2026-10-03 23:00:00", source_file_id=500)
    w.resolve()
    rows = compute_rates(w.con, OCT)
    after = dict(w.con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
    changed = sorted(d for d in runs if after[d] != runs[d])
    # 10-03 and, its tail having changed, 10-04 (whose first record of B looks back to it)
    assert changed == [date(2026, 10, 3), date(2026, 10, 4)]
    stamps_after = dict(w.con.execute("SELECT day, max(computed_at) FROM rates.day_partials "
                                      "GROUP BY day").fetchall())
    assert all(stamps_after[d] == stamps[d] for d in runs if d not in changed)
    assert_partials_equal_whole(w.con, OCT)
    qual = {r["metric"]: r for r in rows if r["provider_id"] == "P1"}["data_qualification"]
    assert (qual["numerator"], qual["denominator"]) == (43, 43)
    # nothing new: nothing recomputed
    compute_rates(w.con, OCT)
    assert dict(w.con.execute("SELECT day, run_id FROM rates.day_runs").fetchall()) == after


def test_vehicle_batches_change_nothing(world: World) -> None:
    w = world
    _midnight_world(w)
    install(w.con)
    for d in range(7):
        partials_for(w.con, date(2026, 10, 3) + timedelta(days=d), batches=1)
    one = w.con.execute("SELECT * EXCLUDE (run_id, computed_at) FROM rates.day_partials "
                        "ORDER BY ALL").fetchall()
    for d in range(7):
        partials_for(w.con, date(2026, 10, 3) + timedelta(days=d), batches=3)
    three = w.con.execute("SELECT * EXCLUDE (run_id, computed_at) FROM rates.day_partials "
                          "ORDER BY ALL").fetchall()
    assert one == three and len(one) > 5


@pytest.mark.slow
def test_sample_partials_equal_whole_period(sample_warehouse: Any, tmp_path: Any) -> None:
    """On the committed sample: the month and every sub-range of its days."""
    import shutil

    db = tmp_path / "w.duckdb"
    shutil.copy(sample_warehouse.db, db)
    con = connect(str(db))
    try:
        period = sample_warehouse.period
        month = Period.month(period.start.year, period.start.month)
        rows = compute_rates(con, month)
        n = assert_partials_equal_whole(con, month)
        assert n > 100
        days = [period.start + timedelta(days=k) for k in range(period.days)]
        for a in days:
            for b in days:
                if a <= b:
                    assert_partials_equal_whole(con, Period.between(a, b))
        # a sub-range aggregated from the partials equals the same range computed afresh
        sub = Period.between(days[0], days[1])
        first = aggregate(con, sub)
        con.execute("DELETE FROM rates.day_runs; DELETE FROM rates.day_partials; "
                    "DELETE FROM rates.day_tails; DELETE FROM rates.day_connectivity")
        assert same_records(compute_rates(con, sub), first)
        assert same_records(rows, compute_rates(con, month))  # day 3 recomputed, 1-2 kept
        assert not ensure_partials(con, month.end)  # all current: nothing recomputed
    finally:
        con.close()


def test_registry_import_rederives_the_period_asked_for(world: World) -> None:
    w = world
    w.provider("P1")
    w.vehicle("A", "P1")
    for d in range(1, 7):
        for k in range(5):
            w.pos("A", at(f"2026-10-0{d} 10:00:00", 60 * k))
    w.resolve()
    compute_rates(w.con, OCT)
    runs = dict(w.con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
    w.con.execute("INSERT INTO meta.registry_imports VALUES (900, 'vehicles', 'v.csv', 'x', 1, 0, "
                  "now())")
    compute_rates(w.con, Period.between("2026-10-05", "2026-10-06"))
    after = dict(w.con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
    assert sorted(d for d in runs if after[d] != runs[d]) == [date(2026, 10, 5),
                                                             date(2026, 10, 6)]
    assert_partials_equal_whole(w.con, OCT)
