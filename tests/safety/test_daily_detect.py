"""Detection day by day equals detection over the whole range: the violations, vehicle-days
(the safety partials), tampering, enterprise months, vehicle months and the league table of any
sub-range are the same whether the days were detected at once or one at a time (committed
sample), and re-detecting one day leaves the other days' rows untouched."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from hazrisk.safety import detect
from hazrisk.safety.sqlfiles import bound, read_sql
from hazrisk.store.connect import connect

#: Tables compared, with the columns that name a run rather than a result.
TABLES = {
    "safety.violations": ("detected_at",),
    "safety.vehicle_days": ("computed_at",),
    "safety.tampering": (),
    "safety.enterprise_months": ("computed_at",),
    "safety.vehicle_months": ("computed_at",),
    "safety.enterprise_month_rules": (),
}


def _table(con: duckdb.DuckDBPyConnection, name: str, skip: tuple[str, ...]) -> list[tuple[Any, ...]]:
    cols = [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall() if r[0] not in skip]
    return con.execute(f"SELECT {', '.join(cols)} FROM {name} ORDER BY ALL").fetchall()


def _same(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]], name: str) -> None:
    assert len(a) == len(b), name
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                assert u == pytest.approx(v, rel=1e-9, abs=1e-9), (name, x)
            else:
                assert u == v, (name, x)


@pytest.mark.slow
def test_day_by_day_equals_whole_range(ingested_sample: Any, tmp_path: Path) -> None:
    s = ingested_sample
    whole_db, daily_db = tmp_path / "whole.duckdb", tmp_path / "daily.duckdb"
    shutil.copy(s.db, whole_db)
    shutil.copy(s.db, daily_db)
    end = s.end + timedelta(days=1)
    whole, daily = connect(str(whole_db)), connect(str(daily_db))
    try:
        detect(whole, s.start, end)
        days = [s.start + timedelta(days=k) for k in range((end - s.start).days)]
        for d in reversed(days):  # any order: each day reads its own context
            detect(daily, d, d + timedelta(days=1))
        for name, skip in TABLES.items():
            _same(_table(whole, name, skip), _table(daily, name, skip), name)
        assert whole.execute("SELECT count(*) FROM safety.violations").fetchone()[0] > 20
        # any sub-range's league table from the stored vehicle-days and violations
        for a in days:
            for b in days:
                if a <= b:
                    p = {"d0": a, "d1": b + timedelta(days=1), "enterprise": None}
                    _same(whole.execute(read_sql("report"), bound("report", p)).fetchall(),
                          daily.execute(read_sql("report"), bound("report", p)).fetchall(),
                          f"report {a}..{b}")
        # re-detecting the middle day touches only its own vehicle-days
        stamps = dict(daily.execute("SELECT day, max(computed_at) FROM safety.vehicle_days "
                                    "GROUP BY day").fetchall())
        mid = days[1]
        detect(daily, mid, mid + timedelta(days=1))
        after = dict(daily.execute("SELECT day, max(computed_at) FROM safety.vehicle_days "
                                   "GROUP BY day").fetchall())
        assert {d for d in stamps if after[d] != stamps[d]} == {mid}
        for name, skip in TABLES.items():
            _same(_table(whole, name, skip), _table(daily, name, skip), name)
    finally:
        whole.close()
        daily.close()



def _midnight_world() -> Any:
    """Tracks crossing midnight and the month end (literal scenarios)."""
    from safety_builders import World, ts

    w = World()
    for v in ("F", "S", "O", "E"):
        w.vehicle(v)
    # F: 20:00 -> 01:30 without a rest at 50 km/h: continuous and night fatigue onset after
    # midnight, the stretch started the day before
    te, x, y = w.drive("F", ts("2026-10-01 20:00:00"), 5.5 * 3600)
    w.park("F", te, 3600, x, y)
    # S: a speeding episode 23:59:00 -> 00:01:00 (90 km/h on an 'other' road, limit 60)
    te, x, y = w.drive("S", ts("2026-10-02 23:50:00"), 9 * 60, stop_at_end=False)
    te, x, y = w.drive("S", te, 120, speed=90.0, x0=x, y0=y, stop_at_end=False)
    te, x, y = w.drive("S", te, 600, x0=x, y0=y)
    # O: silent from 23:40 to 00:30 while it moved 30 km (offline displacement across midnight)
    te, x, y = w.drive("O", ts("2026-10-02 23:20:00"), 20 * 60, stop_at_end=False)
    w.fixes("O", [ts("2026-10-03 00:30:00")], x + 30_000.0, y, 40.0)
    w.drive("O", ts("2026-10-03 00:30:30"), 600, x0=x + 30_500.0, y0=y)
    # E: the month end: 22:30 (31 Oct) -> 03:00 (1 Nov)
    te, x, y = w.drive("E", ts("2026-10-31 22:30:00"), 4.5 * 3600)
    w.park("E", te, 1800, x, y)
    return w


def test_midnight_scenarios_day_by_day_equal_whole() -> None:
    whole, daily = _midnight_world(), _midnight_world()
    whole.detect("2026-10-01", "2026-11-03")
    d = date(2026, 10, 1)
    while d < date(2026, 11, 3):
        daily.detect(d.isoformat(), (d + timedelta(days=1)).isoformat())
        d += timedelta(days=1)
    for name, skip in TABLES.items():
        _same(_table(whole.con, name, skip), _table(daily.con, name, skip), name)
    rules = {(r[0], str(r[1])) for r in whole.con.execute(
        "SELECT vehicle_id || ':' || rule_id, day FROM safety.violations").fetchall()}
    # each event belongs to the day it starts
    assert ("F:fatigue_continuous", "2026-10-02") in rules
    assert ("S:speeding", "2026-10-02") in rules
    assert ("O:offline_displacement", "2026-10-02") in rules
    assert ("E:fatigue_continuous", "2026-11-01") in rules
    # steps crossing midnight are split: F's km on 1 Oct = 4 h at 50 km/h
    km = whole.con.execute("SELECT km FROM safety.vehicle_days WHERE vehicle_id = 'F' "
                           "AND day = DATE '2026-10-01'").fetchone()[0]
    assert km == pytest.approx(200.0, rel=5e-3)
