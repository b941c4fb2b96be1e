"""Report periods and the schedule file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hazrisk.period import Period, PeriodError, closed_periods
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
    p = Period.parse(text)
    assert (p.start.isoformat(), p.end.isoformat(), p.label) == (start, end, label)


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "2026-W54", "26-10", "2026-10-03..2026-10-01"])
def test_parse_rejects(bad: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(bad)


def test_due_day_is_close_plus_delay() -> None:
    oct_ = Period.parse("2026-10")
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


def test_as_period_text_reads_back_as_the_same_days() -> None:
    for text in ("2026-10", "2026-Q4", "2026-W41", "2026"):
        p = Period.parse(text)
        q = Period.parse(p.as_period_text())
        assert (q.start, q.end) == (p.start, p.end)
        assert q.kind in ("month", "range")  # what the rates and safety store


def test_one_period_type_for_the_cli_rates_and_reports() -> None:
    """The CLI grammar, the rates and the reports share hazrisk.period.Period (issue 15): a
    whole calendar month is a month however it is written, a range keeps its days."""
    import hazrisk.rates
    import hazrisk.snapshot.core

    assert hazrisk.rates.Period is Period and hazrisk.snapshot.core.Period is Period
    assert Period.between("2026-10-01", "2026-10-31").label == "2026-10"
    assert Period.parse("2026-10-01..2026-10-31") == Period.parse("2026-10")
    assert Period.parse("2026-09-30..2026-10-30").previous().label == "2026-08-30..2026-09-29"
    assert Period.parse("2026-Q4").as_days() == Period.between("2026-10-01", "2026-12-31")
    assert Period.parse("2026-Q4").cadence == "quarterly"


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
