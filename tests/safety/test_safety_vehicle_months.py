"""safety.vehicle_months: detected rows are the sums of their vehicle-days (hand-computed
scenario across a month boundary), handling figures, idempotence, comments, retention."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from safety_builders import World, ts

from hazrisk.config import load_rules
from hazrisk.store.retention import retain

H = 3600.0
SUMMED = ("days_registered", "days_online", "km", "driving_h", "night_km", "night_h",
          "fatigue_min", "night_ban_min", "offline_min", "positions", "positions_qualified",
          "drift_points", "n_speeding", "n_night_ban", "n_off_route", "n_offline_displacement",
          "n_faulty_terminal_dispatch", "n_adas", "n_dsm", "n_violations", "n_reminded",
          "n_handled")


def _scenario(w: World) -> float:
    """A1 speeds at 23:00 on 30 Sep and at 00:30 on 1 Oct (two months); A2 drives on 1 Oct."""
    w.vehicle("A1", enterprise_id="E1", valid_from="2026-01-01")
    w.vehicle("A2", enterprise_id="E1", valid_from="2026-01-01")
    t = ts("2026-09-30 23:00:00")
    _, x, _ = w.drive("A1", t, 120, speed=70, y0=0)                # speeding, September
    w.drive("A1", t + 1.5 * H, 120, speed=70, x0=x, y0=0)          # 00:30: speeding, October
    w.drive("A2", ts("2026-10-01 09:00:00"), 2 * H, speed=50, y0=5000)
    w.log("A1", t + 1.5 * H + 30, t + 1.5 * H + 90, "reminded", rule="speeding")
    w.log("A1", t + 1.5 * H + 30, t + 1.5 * H + 600, "reported_police", rule="speeding")
    return t


def _months(w: World) -> dict[tuple[str, str], dict[str, object]]:
    df = w.con.sql("SELECT * FROM safety.vehicle_months").to_df()
    return {(r["vehicle_id"], str(r["month"])[:10]): r for r in df.to_dict("records")}


def test_months_are_sums_of_days(world: World) -> None:
    _scenario(world)
    world.detect("2026-09-30", "2026-10-02")
    m = _months(world)
    assert set(m) == {("A1", "2026-09-01"), ("A1", "2026-10-01"), ("A2", "2026-09-01"),
                      ("A2", "2026-10-01")}
    a1s, a1o = m[("A1", "2026-09-01")], m[("A1", "2026-10-01")]
    # hand-computed: one speeding event each month; the October one reminded 60 s after its
    # start (+30 s log entry time -> action 90 s after the start) and escalated to the police
    assert (a1s["n_speeding"], a1o["n_speeding"]) == (1, 1)
    assert (a1s["n_reminded"], a1s["n_escalated"]) == (0, 0)
    assert (a1o["n_reminded"], a1o["n_handled"], a1o["n_escalated"]) == (1, 1, 1)
    assert a1o["median_time_to_reminder_s"] == pytest.approx(90.0)
    # 2 min at 70 km/h = 2.333 km each month (the last fix is a stop)
    assert a1s["km"] == pytest.approx(70 * 2 / 60, rel=0.02)
    assert a1o["km"] == pytest.approx(70 * 2 / 60, rel=0.02)
    assert m[("A2", "2026-10-01")]["km"] == pytest.approx(100.0, rel=0.01)
    assert all(r["source"] == "detected" and r["source_file"] is None for r in m.values())
    assert (a1s["days_covered"], a1o["days_covered"]) == (1, 1)
    # every summed column equals the sum of the vehicle-days of its month
    days = world.con.sql(
        "SELECT vehicle_id, strftime(date_trunc('month', day), '%Y-%m-%d') AS month, "
        + ", ".join(f"sum({c}) AS {c}" for c in SUMMED if c not in (
            "days_registered", "days_online"))
        + ", count(*) FILTER (WHERE registered) AS days_registered, "
          "count(*) FILTER (WHERE online) AS days_online, "
          "sum(n_fatigue_continuous + n_fatigue_night + n_fatigue_daily) AS n_fatigue, "
          "sum(offline_min) / (count(*) * 1440.0) AS offline_share "
          "FROM safety.vehicle_days GROUP BY ALL").to_df()
    assert len(days) == len(m)
    for r in days.to_dict("records"):
        got = m[(r["vehicle_id"], r["month"])]
        for c in (*SUMMED, "n_fatigue", "offline_share"):
            assert got[c] == pytest.approx(r[c], abs=1e-9), (r["vehicle_id"], r["month"], c)


def test_rerun_is_idempotent_and_keeps_other_months(world: World) -> None:
    _scenario(world)
    world.detect("2026-09-30", "2026-10-02")
    before = world.con.sql("SELECT * EXCLUDE (computed_at) FROM safety.vehicle_months "
                           "ORDER BY ALL").fetchall()
    world.detect("2026-10-01", "2026-10-02")  # October only: September rows stay
    after = world.con.sql("SELECT * EXCLUDE (computed_at) FROM safety.vehicle_months "
                          "ORDER BY ALL").fetchall()
    assert after == before
    # a range without positions (none stored, or retained away) writes no vehicle-month and
    # leaves the history alone, although the registered vehicles get (empty) vehicle-days
    world.detect("2026-11-01", "2026-11-03")
    assert world.con.sql("SELECT count(*) FROM safety.vehicle_days WHERE day >= "
                         "'2026-11-01'").fetchall() == [(4,)]
    world.con.execute("DELETE FROM store.positions")
    world.detect("2026-10-01", "2026-10-02")
    again = world.con.sql("SELECT * EXCLUDE (computed_at) FROM safety.vehicle_months "
                          "ORDER BY ALL").fetchall()
    assert again == before


def test_comments_on_table_and_every_column(world: World) -> None:
    from hazrisk.safety.tables import ensure_schema

    ensure_schema(world.con)
    (tc,) = world.con.sql("SELECT comment FROM duckdb_tables() WHERE schema_name = 'safety' "
                          "AND table_name = 'vehicle_months'").fetchall()[0]
    assert tc and "车辆月度安全档案" in tc and "Vehicle-month" in tc
    cols = world.con.sql("SELECT column_name, comment FROM duckdb_columns() WHERE "
                         "schema_name = 'safety' AND table_name = 'vehicle_months'").fetchall()
    assert len(cols) >= 30
    # Chinese and English on every column
    bad = [n for n, c in cols if not (c and "/" in c and any("\u4e00" <= ch <= "\u9fff" for ch in c)
                                      and any(ch.isascii() and ch.isalpha() for ch in c))]
    assert not bad


def _month_rows(w: World, first: str, n: int) -> None:
    from hazrisk.safety.tables import ensure_schema

    ensure_schema(w.con)
    w.con.execute(
        "INSERT INTO safety.vehicle_months (vehicle_id, month, source, computed_at) "
        "SELECT 'A1', CAST(CAST($m AS DATE) + to_months(CAST(i AS INTEGER)) AS DATE), "
        "'detected', now() FROM range($n) r(i)", {"m": first, "n": n})


def test_retain_keeps_the_configured_years(world: World, tmp_path: Path) -> None:
    _month_rows(world, "2023-01-01", 46)  # 2023-01 .. 2026-10
    # as of 2026-10-15 with 3 years: cutoff Beijing midnight 2023-10-15; a month goes only
    # when it ends before the cutoff: 2023-01..2023-09 deleted, 2023-10 kept
    res = {r.table: r for r in retain(world.con, date(2026, 10, 15))}
    assert res["safety.vehicle_months"].rows_deleted == 9
    assert res["safety.vehicle_months"].horizon == "3 years"
    (first,) = world.con.sql("SELECT min(month) FROM safety.vehicle_months").fetchall()[0]
    assert str(first) == "2023-10-01"
    conf = tmp_path / "r.toml"
    conf.write_text('[retention]\nsafety_history_years = 2\n[retention.sources]\n'
                    'safety_history_years = "test"\n')
    from hazrisk.store.retention import RetentionError

    with pytest.raises(RetentionError, match="legal minimum 3"):
        retain(world.con, date(2026, 10, 15), rules=load_rules(conf))
    longer = tmp_path / "l.toml"
    longer.write_text('[retention]\nsafety_history_years = 4\n[retention.sources]\n'
                      'safety_history_years = "协会 decision"\n')
    res = {r.table: r for r in retain(world.con, date(2027, 10, 15), rules=load_rules(longer))}
    assert res["safety.vehicle_months"].rows_deleted == 0  # cutoff 2023-10-15: nothing older
