"""A day's rate partials read what the day needs, not the warehouse's history: the same day
computed after 2 or after 6 earlier days (each already computed, as daily runs leave them)
runs the same statements, and every scan of the position, heartbeat and 0x0104 answer tables
returns the same rows (DuckDB's profile of each statement; a statement reading every stored
position up to the day, as ``data_days`` did, returns more rows with every earlier day)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from rates_builders import LAT0, World, at, north

import hazrisk.sqlfiles as sqlfiles
from hazrisk.rates import install
from hazrisk.rates.partials import data_days, ensure_partials, stored_data_days

DAY = date(2026, 10, 20)
#: Statements of other areas that still read the history, with why they are left here (none:
#: the validity check reads positions only of files flagged under other rules).
ELSEWHERE: set[str] = set()
#: The stored tables behind core.positions, core.heartbeats and core.param_answers.
HISTORY_TABLES = ("store.positions", "store.heartbeats", "store.param_answers")


def _day(w: World, d: date, file_id: int) -> None:
    """Day ``d`` in its own dump file: A and B report every 2 h (driving), with heartbeats."""
    w.file(file_id, "P1", d.isoformat())
    for v, lat in (("A", LAT0), ("B", north(LAT0, 30.0))):
        for k in range(12):
            w.pos(v, at(f"{d} 00:30:00", 7200 * k), north(lat, 0.5 * k), speed=40.0, acc=True,
                  gateway="P1", source_file_id=file_id)
        w.heartbeat(w.vehicles[v], f"{d} 12:00:00", file_id)


def _world(history: int) -> World:
    w = World()
    w.provider("P1")
    w.vehicle("A", "P1")
    w.vehicle("B", "P1")
    for k in range(history, 0, -1):
        _day(w, DAY - timedelta(days=k), 10 + history - k)
    # a 0x0029 answer (driving report interval) the day before: the same in every world
    w._insert("core.param_answers", {
        "terminal_phone": w.vehicles["A"], "recv_time": at(f"{DAY - timedelta(days=1)} 08:00:00", 0),
        "serial": 1, "reply_serial": 1, "param_id": 41, "param_hex": "0x0029",
        "value_text": "30", "value_json": None, "source_file_id": 10 + history - 1,
        "source_offset": 1})
    w.resolve()
    install(w.con)
    ensure_partials(w.con, DAY - timedelta(days=1))  # the earlier daily runs
    _day(w, DAY, 10 + history)  # the day's file arrives
    w.resolve()
    return w


def _scans(node: dict[str, Any], out: Counter[str]) -> None:
    info = node.get("extra_info") or {}
    table = str(info.get("Table", ""))
    for name in HISTORY_TABLES:
        if node.get("type") == "TABLE_SCAN" and table.endswith(name):
            out[name] += int(node.get("intermediate_rows", 0))
    for child in node.get("children", []):
        _scans(child, out)


def _profiled(w: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> dict[str, Counter[str]]:
    """ensure_partials of DAY, every named statement profiled: per statement, the rows its
    scans of HISTORY_TABLES returned (summed over its runs)."""
    out = tmp_path / "profile.json"
    w.con.execute("PRAGMA enable_profiling='json'")
    w.con.execute(f"PRAGMA profiling_output='{out}'")  # a test path, not input
    w.con.execute("SET profiling_coverage='ALL'")
    seen: dict[str, Counter[str]] = {}
    real = sqlfiles.SqlFolder.run

    def run(self: sqlfiles.SqlFolder, con: duckdb.DuckDBPyConnection, file: str, name: str,
            params: Any = None) -> duckdb.DuckDBPyConnection:
        cur = real(self, con, file, name, params)
        rows: Counter[str] = Counter()
        if out.exists():
            for op in json.loads(out.read_text(encoding="utf-8")).get("operator", []):
                _scans(op, rows)
            out.unlink()
        seen.setdefault(f"{file}:{name}", Counter()).update(rows)
        return cur

    monkeypatch.setattr(sqlfiles.SqlFolder, "run", run)
    runs = ensure_partials(w.con, DAY)
    monkeypatch.undo()
    w.con.execute("PRAGMA disable_profiling")
    assert [r.day for r in runs] == [DAY]
    return seen


def test_a_day_costs_the_same_whatever_the_history(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    short, long = _world(2), _world(6)
    try:
        a = _profiled(short, tmp_path, monkeypatch)
        b = _profiled(long, tmp_path, monkeypatch)
        assert a.keys() == b.keys()  # the same statements
        assert "partials.sql:day_vehicle_days" in a and "partials.sql:record_file_days" in a
        assert sum(c["store.positions"] for c in a.values()) > 0
        for name in a.keys() - ELSEWHERE:
            assert a[name] == b[name], name
        # the day's figures do not depend on the history either
        figures = ("SELECT unit_id, records, interval_ok, segments, outages, km_total "
                   "FROM rates.day_partials WHERE day = $d ORDER BY unit_id")
        assert (long.con.execute(figures, {"d": DAY}).fetchall()
                == short.con.execute(figures, {"d": DAY}).fetchall())
        # a day's tail: per unit its last record, last real-time and last evidence record
        # (here one record: the day's last, a real-time fix), no qualified fixes besides
        assert long.con.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM rates.day_tails "
                                "GROUP BY day, unit_id)").fetchone() == (1,)
        # the days with data come from rates.file_days, equal to a scan of the positions
        assert stored_data_days(long.con, DAY) == data_days(long.con, DAY)
        assert len(data_days(long.con, DAY)) == 7
    finally:
        short.con.close()
        long.con.close()


def test_the_old_data_days_scan_grows_with_the_history(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: data_days (a scan of every position up to the day) returns
    more rows from a warehouse with more earlier days."""
    rows = []
    for history in (1, 6):
        w = _world(history)
        out = tmp_path / f"p{history}.json"
        try:
            w.con.execute("PRAGMA enable_profiling='json'")
            w.con.execute(f"PRAGMA profiling_output='{out}'")
            data_days(w.con, DAY)
            scans: Counter[str] = Counter()
            for op in json.loads(out.read_text(encoding="utf-8")).get("operator", []):
                _scans(op, scans)
            rows.append(scans["store.positions"])
        finally:
            w.con.close()
    assert rows[1] > rows[0] > 0


def test_a_tail_older_than_the_month_context_is_neither_read_nor_kept(world: World) -> None:
    """Units silent since an earlier month: a tail record older than the month context
    (lookback_hours before the month start) is never a predecessor of this month's records, so
    a November day neither reads it nor carries it on; one within the context is kept. The
    figures equal one pass over the whole period."""
    w = world
    w.provider("P1")
    for v in "ABC":
        w.vehicle(v, "P1")
    w.pos("A", "2026-10-05 10:00:00", speed=30.0, acc=True)  # silent after
    w.pos("C", "2026-10-31 08:00:00", speed=30.0, acc=True)  # within 24 h of 11-01 00:00
    w.pos("B", "2026-10-31 09:00:00", speed=30.0, acc=True)
    w.pos("B", "2026-11-03 10:00:00", north(LAT0, 1.0), speed=30.0, acc=True)
    w.resolve()
    install(w.con)
    ensure_partials(w.con, date(2026, 10, 31))
    tail = ("SELECT unit_id, device_time FROM rates.day_tails WHERE day = $d ORDER BY unit_id")
    assert w.con.execute(tail, {"d": date(2026, 10, 31)}).fetchall() == [
        ("A", at("2026-10-05 10:00:00", 0)), ("B", at("2026-10-31 09:00:00", 0)),
        ("C", at("2026-10-31 08:00:00", 0))]
    ensure_partials(w.con, date(2026, 11, 3))
    assert w.con.execute(tail, {"d": date(2026, 11, 3)}).fetchall() == [
        ("B", at("2026-11-03 10:00:00", 0)), ("C", at("2026-10-31 08:00:00", 0))]
    from test_partials import assert_partials_equal_whole

    from hazrisk.rates import Period
    assert assert_partials_equal_whole(w.con, Period.parse("2026-11")) == 1
