"""Per-rule count columns come from the rule registry: the stored tables have exactly the
generated columns, and a rule added to the registry gets its columns in every table and query
(one edit)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from safety_builders import World, ts

from hazrisk.safety import params, rule_counts, sqlfiles
from hazrisk.safety.params import ViolationRule
from hazrisk.safety.tables import aggregate_months


def _n_columns(w: World, table: str) -> list[str]:
    return [r[0] for r in w.con.execute(f"DESCRIBE {table}").fetchall()
            if r[0] in {c.name for c in (*rule_counts.rule_columns(),
                                         *rule_counts.group_columns())}]


def test_stored_columns_are_the_generated_ones() -> None:
    w = World()
    w.vehicle("V")
    w.drive("V", ts("2026-10-01 10:00:00"), 600)
    w.detect("2026-10-01", "2026-10-02")
    assert _n_columns(w, "safety.vehicle_days") == [c.name for c in rule_counts.rule_columns()]
    assert _n_columns(w, "safety.enterprise_months") == [
        c.name for c in rule_counts.group_columns()]
    assert [c.name for c in rule_counts.group_columns()] == [
        "n_speeding", "n_fatigue", "n_night_ban", "n_off_route", "n_offline_displacement",
        "n_faulty_terminal_dispatch", "n_adas", "n_dsm"]


@pytest.fixture
def wrong_way(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The registry with one more rule (the only edit a new rule needs besides its detector)."""
    rules = dict(params.VIOLATION_RULES)
    rules["wrong_way"] = ViolationRule("wrong_way", "wrong_way", "逆行", "wrong-way driving")
    monkeypatch.setattr(params, "VIOLATION_RULES", rules)
    monkeypatch.setattr(rule_counts, "VIOLATION_RULES", rules)
    for f in (rule_counts.rule_columns, rule_counts.group_columns, sqlfiles._read):
        f.cache_clear()
    yield
    monkeypatch.undo()
    for f in (rule_counts.rule_columns, rule_counts.group_columns, sqlfiles._read):
        f.cache_clear()


@pytest.mark.usefixtures("wrong_way")
def test_a_new_rule_is_one_edit() -> None:
    w = World()
    w.vehicle("V")
    w.drive("V", ts("2026-10-01 10:00:00"), 600)
    w.detect("2026-10-01", "2026-10-02")
    # an event of the new rule (as its detector would stage it), then the month end
    w.con.execute(
        "INSERT INTO safety.violations (violation_id, rule_id, rule_group, rule_name_zh, "
        "vehicle_id, enterprise_id, start_time, end_time, duration_s, day, params_json, "
        "detected_at, hazrisk_version) SELECT 'x', 'wrong_way', 'wrong_way', '逆行', 'V', 'E1', "
        "TIMESTAMPTZ '2026-10-01 10:05:00+08', TIMESTAMPTZ '2026-10-01 10:06:00+08', 60, "
        "DATE '2026-10-01', '{}', now(), 'test'")
    from datetime import date

    w.con.execute("BEGIN TRANSACTION")
    aggregate_months(w.con, date(2026, 10, 1), date(2026, 11, 1))
    w.con.execute("COMMIT")
    got = w.con.execute("SELECT n_wrong_way, n_violations FROM safety.enterprise_months"
                        ).fetchall()
    assert got == [(1, 1)]
    vm = w.con.execute("SELECT n_wrong_way FROM safety.vehicle_months").fetchall()
    assert vm == [(0,)]  # the vehicle-day was stored before the event: its count is 0
    league = w.con.execute(sqlfiles.read_sql("report"), sqlfiles.bound("report", {
        "d0": date(2026, 10, 1), "d1": date(2026, 10, 2), "enterprise": None})).df()
    assert league.loc[0, "n_wrong_way"] == 1
