"""Report periods and the schedule file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hazrisk.reports.periods import ReportPeriod, ReportPeriodError, closed_periods
from hazrisk.reports.schedule import ScheduleError, load_schedule


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    ("2026-10", "2026-10-01", "2026-10-31", "2026-10"),
    ("2026-02", "2026-02-01", "2026-02-28", "2026-02"),
    ("2026-Q4", "2026-10-01", "2026-12-31", "2026-Q4"),
    ("2026-q1", "2026-01-01", "2026-03-31", "2026-Q1"),
    ("2026-W41", "2026-10-05", "2026-10-11", "2026-W41"),
    ("2026-W01", "2025-12-29", "2026-01-04", "2026-W01"),
    ("2026", "2026-01-01", "2026-12-31", "2026"),
    ("2026-10-01..2026-10-03", "2026-10-01", "2026-10-03", "2026-10-01..2026-10-03"),
])
def test_parse(text: str, start: str, end: str, label: str) -> None:
    p = ReportPeriod.parse(text)
    assert (p.start.isoformat(), p.end.isoformat(), p.label) == (start, end, label)


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "2026-W54", "26-10", "2026-10-03..2026-10-01"])
def test_parse_rejects(bad: str) -> None:
    with pytest.raises(ReportPeriodError):
        ReportPeriod.parse(bad)


def test_due_day_is_close_plus_delay() -> None:
    oct_ = ReportPeriod.parse("2026-10")
    assert oct_.due_on(5) == date(2026, 11, 6)
    # the day before the due day: October is not closed-and-delayed yet, September is
    assert [p.label for p in closed_periods("monthly", date(2026, 11, 5), 5, 1)] == ["2026-09"]
    assert [p.label for p in closed_periods("monthly", date(2026, 11, 6), 5, 1)] == ["2026-10"]
    assert [p.label for p in closed_periods("monthly", date(2026, 11, 6), 5, 3)] == [
        "2026-08", "2026-09", "2026-10"]
    assert [p.label for p in closed_periods("quarterly", date(2027, 1, 11), 10, 1)] == ["2026-Q4"]
    assert [p.label for p in closed_periods("quarterly", date(2027, 1, 10), 10, 1)] == ["2026-Q3"]
    assert [p.label for p in closed_periods("weekly", date(2026, 10, 13), 1, 1)] == ["2026-W41"]
    assert [p.label for p in closed_periods("annual", date(2027, 2, 1), 31, 1)] == ["2026"]
    assert [p.label for p in closed_periods("annual", date(2027, 1, 31), 31, 1)] == ["2025"]


def test_as_period_text_reads_back_in_hazrisk_periods() -> None:
    from hazrisk.rates.period import Period

    for text in ("2026-10", "2026-Q4", "2026-W41", "2026"):
        p = ReportPeriod.parse(text)
        q = Period.parse(p.as_period_text())
        assert (q.start, q.end) == (p.start, p.end)


def test_shipped_schedule_is_valid_and_sourced() -> None:
    s = load_schedule()
    assert {"provider_evaluation", "enterprise_safety", "enterprise_safety_quarterly",
            "data_quality", "premium_review"} <= set(s.entries)
    for e in s.entries.values():
        assert s.notebook_path(e).is_file(), e.notebook
        assert e.source.strip()


def test_schedule_errors_name_file_and_key(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[report.x]\ncadence = "hourly"\nsource = "s"\n', encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"report\.x\.cadence"):
        load_schedule(f)
    f.write_text('[report.x]\ncadence = "monthly"\n', encoding="utf-8")
    with pytest.raises(ScheduleError, match="source"):
        load_schedule(f)
    with pytest.raises(ScheduleError, match="no such schedule"):
        load_schedule(tmp_path / "none.toml")
