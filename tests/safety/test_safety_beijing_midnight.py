"""Beijing midnight, hand-computed, through detect: a fix at 15:59:59 UTC is on Beijing day
2026-10-01 (23:59:59 +08:00) and one at 16:00:00 UTC on 2026-10-02 (00:00:00 +08:00), in the
SQL (positions per day, core.local_day) and in the numpy kernels (driving time split at the
midnight, hazrisk.localtime.OFFSET_S); and in the mart views of a warehouse opened in plain
DuckDB with another session zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from safety_builders import World

from hazrisk.store.connect import connect


def _utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


#: 1 s before Beijing midnight, at it, 30 s after
AROUND_MIDNIGHT = [_utc("2026-10-01 15:59:59"), _utc("2026-10-01 16:00:00"),
                   _utc("2026-10-01 16:00:30")]


def test_fixes_either_side_of_beijing_midnight_fall_on_two_days(world: World) -> None:
    world.vehicle("V1")
    # moving east at 36 km/h = 10 m/s
    world.fixes("V1", AROUND_MIDNIGHT, [0.0, 10.0, 310.0], 0.0, 36.0)
    world.detect("2026-10-01", "2026-10-03")  # [start, end): days 1 and 2
    rows = world.con.execute(
        "SELECT day, positions, driving_h * 3600 AS driving_s, km FROM safety.vehicle_days "
        "WHERE vehicle_id = 'V1' AND positions > 0 ORDER BY day").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(date(2026, 10, 1), 1), (date(2026, 10, 2), 2)]
    # the 1 s step before midnight is day 1's, the 30 s step day 2's (numpy local_day)
    assert rows[0][2] == pytest.approx(1.0)
    assert rows[1][2] == pytest.approx(30.0)
    assert rows[0][3] == pytest.approx(0.010, rel=1e-2)  # haversine vs EPSG:4549 metres
    assert rows[1][3] == pytest.approx(0.300, rel=1e-2)


def test_mart_views_keep_beijing_days_in_another_session_zone(tmp_path: Path) -> None:
    """The warehouse opened in plain DuckDB (JupyterLab) with TimeZone UTC: the mart views
    still give Beijing days (the macros they use are stored in the file)."""
    db = tmp_path / "w.duckdb"
    world = World(con=connect(db))
    world.vehicle("V1")
    world.fixes("V1", AROUND_MIDNIGHT, 0.0, 0.0, 0.0)
    query = "SELECT day, positions FROM mart.vehicle_days ORDER BY day"
    ours = world.con.execute(query).fetchall()
    world.con.close()
    plain = duckdb.connect(str(db), read_only=True)
    plain.execute("SET TimeZone = 'UTC'")
    theirs = plain.execute(query).fetchall()
    naive = plain.execute("SELECT CAST(device_time AS DATE) AS d, count(*) FROM core.positions "
                          "GROUP BY d").fetchall()
    plain.close()
    assert ours == [(date(2026, 10, 1), 1), (date(2026, 10, 2), 2)]
    assert theirs == ours
    assert naive == [(date(2026, 10, 1), 3)]  # what a session-zone cast would say
