"""Retention: nothing inside a horizon is ever removed; what is older goes; dry runs change
nothing; horizons below the legal minimum are refused."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_testkit import BJ

from hazrisk.config import load_rules
from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect
from hazrisk.store.resolve import term_keys
from hazrisk.store.retention import RetentionError, horizons, retain

_POS_COLS = ("pos_seq, term_key, device_time, alarm, status, is_backfill, msg_id, "
             "pos_index, quality_flags, source_file_id, source_offset")


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError


def _fill(con: duckdb.DuckDBPyConnection, times: list[datetime | None]) -> None:
    con.execute("DELETE FROM store.positions")
    con.execute("DELETE FROM store.alarms")
    con.execute("DELETE FROM core.handling_log")
    key = term_keys(con, ["013900000001"])["013900000001"]
    for i, t in enumerate(times):
        con.execute(f"INSERT INTO store.positions ({_POS_COLS}) "
                    "VALUES ($i, $k, $t, 2, 3, false, 512, 0, 0, 1, $i)",
                    {"i": i, "k": key, "t": t})
        con.execute("INSERT INTO store.alarms VALUES ($i, '013900000001', NULL, NULL, NULL, $t, "
                    "1, 'overspeed', 30, 120, 60, false, 1, $i)", {"i": i, "t": t})
        con.execute("INSERT INTO core.handling_log (log_id, event_time, action_time, import_id, "
                    "source_row) VALUES ($i, $t, $t, 1, $i)", {"i": str(i), "t": t})


@pytest.fixture(scope="module")
def mem() -> duckdb.DuckDBPyConnection:
    return connect(":memory:")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    as_of=st.dates(date(2025, 1, 1), date(2030, 12, 31)),
    offsets=st.lists(st.one_of(st.none(), st.integers(-5 * 366 * 86400, 86400)),
                     min_size=1, max_size=25),
)
def test_nothing_inside_a_horizon_is_removed(mem: duckdb.DuckDBPyConnection, as_of: date,
                                             offsets: list[int | None]) -> None:
    midnight = datetime(as_of.year, as_of.month, as_of.day, tzinfo=BJ)
    times = [None if o is None else midnight + timedelta(seconds=o) for o in offsets]
    # and the exact edges of both horizons
    d6 = _months_before(as_of, 6)
    d3y = _months_before(as_of, 36)
    for d in (d6, d3y):
        edge = datetime(d.year, d.month, d.day, tzinfo=BJ)
        times += [edge, edge - timedelta(microseconds=1)]
    _fill(mem, times)
    results = {r.table: r for r in retain(mem, as_of)}
    kept = {int(i) for (i,) in mem.execute("SELECT pos_seq FROM store.positions").fetchall()}
    kept_alarms = {int(i) for (i,) in mem.execute("SELECT pos_seq FROM store.alarms").fetchall()}
    kept_log = {int(i) for (i,) in mem.execute("SELECT log_id FROM core.handling_log").fetchall()}
    cut6 = datetime(d6.year, d6.month, d6.day, tzinfo=BJ)
    cut3 = datetime(d3y.year, d3y.month, d3y.day, tzinfo=BJ)
    assert results["store.positions"].cutoff == cut6
    assert results["store.alarms"].cutoff == cut3
    for i, t in enumerate(times):
        # inside the horizon (or of unknown age): never removed; older: removed
        assert (i in kept) == (t is None or t >= cut6), (i, t)
        assert (i in kept_alarms) == (t is None or t >= cut3), (i, t)
        assert (i in kept_log) == (t is None or t >= cut3), (i, t)
    # at least the legal minimum: 6 months / 3 years before as_of, never less
    assert cut6 <= midnight - timedelta(days=181)
    assert cut3 <= midnight - timedelta(days=3 * 365)


def test_dry_run_changes_nothing_and_cli_reports(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "w.duckdb"
    con = connect(db_path)
    old = datetime(2026, 1, 1, tzinfo=BJ)
    _fill(con, [old, datetime(2026, 10, 1, tzinfo=BJ)])
    con.close()
    assert store_main(["retain", "--db", str(db_path), "--as-of", "2026-10-15", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would delete 1 of 2" in out
    con = connect(db_path)
    assert con.execute("SELECT count(*) FROM store.positions").fetchall() == [(2,)]
    assert con.execute("SELECT count(*) FROM meta.retention_runs").fetchall() == [(0,)]
    con.close()
    assert store_main(["retain", "--db", str(db_path), "--as-of", "2026-10-15"]) == 0
    con = connect(db_path)
    assert con.execute("SELECT count(*) FROM store.positions").fetchall() == [(1,)]
    assert con.execute("SELECT count(*) FROM store.alarms").fetchall() == [(2,)]  # 3 years
    assert con.execute("SELECT count(*) FROM meta.retention_runs WHERE rows_deleted > 0"
                       ).fetchall() == [(1,)]
    con.close()


def test_short_horizons_are_refused(tmp_path: Path) -> None:
    conf = tmp_path / "r.toml"
    conf.write_text('[retention]\ndynamic_data_months = 3\n[retention.sources]\n'
                    'dynamic_data_months = "test"\n')
    with pytest.raises(RetentionError, match="legal minimum 6"):
        horizons(load_rules(conf))
    longer = tmp_path / "l.toml"
    longer.write_text('[retention]\nviolation_years = 5\n[retention.sources]\n'
                      'violation_years = "协会 decision"\n')
    assert horizons(load_rules(longer)) == {"dynamic": ("month", 6), "violation": ("year", 5),
                                            "history": ("year", 3)}


def test_a_wrong_device_clock_is_aged_by_receive_time(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A fix received 3 days before --as-of from a terminal whose clock says 2007 stays (hex
    log: its receive time; raw dump: the day in its file name); a genuinely old fix goes."""
    from store_testkit import PHONE_A, PHONE_B, Stream, loc

    from hazrisk.store.ingest import ingest_paths

    clock_2007 = datetime(2007, 1, 1, 8, tzinfo=BJ)
    received = datetime(2026, 10, 12, 9, tzinfo=BJ)
    hexlog = Stream()
    hexlog.msg(0x0200, loc(clock_2007), PHONE_A, t=received)
    raw = Stream()
    raw.msg(0x0200, loc(clock_2007 + timedelta(hours=1)), PHONE_B)
    old = Stream()
    old.msg(0x0200, loc(datetime(2026, 1, 2, 8, tzinfo=BJ)), PHONE_B)
    db_path = tmp_path / "w.duckdb"
    con = connect(db_path)
    ingest_paths(con, [hexlog.write(tmp_path / "dumps" / "P01" / "gw.log", "hexlog"),
                       raw.write(tmp_path / "dumps" / "P02" / "2026-10-12.bin"),
                       old.write(tmp_path / "dumps" / "P02" / "2026-01-02.bin")])
    con.close()
    assert store_main(["retain", "--db", str(db_path), "--as-of", "2026-10-15",
                       "--json"]) == 0
    import json

    tables = {t["table"]: t for t in json.loads(capsys.readouterr().out)["tables"]}
    assert tables["store.positions"]["rows_deleted"] == 1
    assert tables["store.positions"]["rows_aged_by_receipt"] == 2
    con = connect(db_path)
    assert sorted(t.year for (t,) in con.execute(
        "SELECT device_time FROM core.positions").fetchall()) == [2007, 2007]
    con.close()


def test_a_misspelled_db_creates_nothing(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "wherehouse.duckdb"
    assert store_main(["retain", "--db", str(missing), "--as-of", "2026-10-15"]) == 2
    err = capsys.readouterr().err
    assert f"{missing}: no such file" in err and err.count("\n") == 1
    assert not missing.exists()
