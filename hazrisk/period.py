"""Periods of whole Beijing days: the one period type of the command line, the rates, the
safety reports and the scheduled reports.

A period covers Beijing days ``start`` to ``end`` inclusive, i.e. the instants
``[start 00:00 +08:00, end + 1 day 00:00 +08:00)``. Its ``kind`` is a calendar ``month``,
``quarter``, ISO ``week`` or ``year``, or any ``range`` of days. Labels name stored results
and report folders: ``2026-10``, ``2026-Q4``, ``2026-W41``, ``2026``,
``2026-10-01..2026-10-07``. A period *closes* at the end of its last day; a scheduled report
of it is *due* ``delay_days`` days after that.

>>> p = Period.parse("2026-10")
>>> p.label, p.start.isoformat(), p.end.isoformat(), p.previous().label
('2026-10', '2026-10-01', '2026-10-31', '2026-09')
>>> p.t0.isoformat(), p.minutes
('2026-10-01T00:00:00+08:00', 44640)
>>> r = Period.between("2026-10-01", "2026-10-03")
>>> r.label, r.previous().label
('2026-10-01..2026-10-03', '2026-09-28..2026-09-30')
>>> Period.parse("2026-07..2026-09").label
'2026-07-01..2026-09-30'
>>> q = Period.parse("2026-Q4")
>>> q.start.isoformat(), q.end.isoformat(), q.as_period_text()
('2026-10-01', '2026-12-31', '2026-10-01..2026-12-31')
>>> Period.parse("2026-W41").start.isoformat()
'2026-10-05'
>>> Period.containing("monthly", date(2026, 11, 3)).previous().label
'2026-10'
>>> Period.parse("2026-10").due_on(5).isoformat()
'2026-11-06'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from hazrisk.localtime import BEIJING

Kind = Literal["month", "quarter", "week", "year", "range"]
#: Report cadences (``conf/reports.toml``) and the kind of period each produces.
CADENCES: tuple[str, ...] = ("weekly", "monthly", "quarterly", "annual")
_KIND_OF = {"weekly": "week", "monthly": "month", "quarterly": "quarter", "annual": "year"}
_CADENCE_OF = {k: c for c, k in _KIND_OF.items()}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodError(ValueError):
    """A period that cannot be read or is empty."""


def _day(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise PeriodError(f"{value.strip()!r} is not a date YYYY-MM-DD ({exc})") from None


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: Kind = "range"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"period ends ({self.end}) before it starts ({self.start})")

    # -- reading -----------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Period:
        """``YYYY-MM`` (a month), ``YYYY-Qn``, ``YYYY-Www`` (ISO week), ``YYYY``,
        ``YYYY-MM-DD`` (one day) or ``A..B`` (days or months, inclusive: ``2026-07..2026-09``
        is 2026-07-01..2026-09-30)."""
        t = text.strip()
        try:
            if m := _MONTH.match(t):
                return cls.month(int(m.group(1)), int(m.group(2)))
            if m := _QUARTER.match(t):
                first = date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
                return cls(first, _month_end(first.year, first.month + 2), "quarter")
            if m := _WEEK.match(t):
                monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
                return cls(monday, monday + timedelta(days=6), "week")
            if m := _YEAR.match(t):
                y = int(m.group(1))
                return cls(date(y, 1, 1), date(y, 12, 31), "year")
        except ValueError as exc:
            if isinstance(exc, PeriodError):
                raise
            raise PeriodError(f"{text!r}: {exc}") from None
        if ".." in t:
            a, b = (part.strip() for part in t.split("..", 1))
            if _MONTH.match(a):  # a month range: from the first day of A
                a = cls.parse(a).start.isoformat()
            if _MONTH.match(b):  # to the last day of B
                b = cls.parse(b).end.isoformat()
            return cls.between(a, b)
        if _DAY.match(t):
            return cls.between(t, t)
        raise PeriodError(f"{text!r}: expected YYYY-MM, YYYY-Qn, YYYY-Www, YYYY, YYYY-MM-DD or "
                          "A..B (days or months)")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise PeriodError(f"{year}-{month:02d}: month must be 01-12")
        return cls(date(year, month, 1), _month_end(year, month), "month")

    @classmethod
    def between(cls, start: str | date, end: str | date) -> Period:
        """Days ``start`` to ``end`` inclusive (a whole calendar month is a ``month``)."""
        a, b = _day(start), _day(end)
        if a.day == 1 and (a.year, a.month) == (b.year, b.month) and b == _month_end(b.year,
                                                                                    b.month):
            return cls(a, b, "month")
        return cls(a, b, "range")

    @classmethod
    def containing(cls, cadence: str, day: date) -> Period:
        """The period of report ``cadence`` (``monthly``, ``weekly``...) containing ``day``."""
        kind = _KIND_OF.get(cadence)
        if kind == "month":
            return cls.month(day.year, day.month)
        if kind == "quarter":
            return cls.parse(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
        if kind == "week":
            y, w, _ = day.isocalendar()
            return cls.parse(f"{y}-W{w:02d}")
        if kind == "year":
            return cls.parse(str(day.year))
        raise PeriodError(f"unknown cadence {cadence!r} (one of {', '.join(CADENCES)})")

    # -- what it is --------------------------------------------------------------------------
    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "week":
            y, w, _ = self.start.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "year":
            return f"{self.start.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def cadence(self) -> str:
        """The report cadence of this kind (``monthly``...), ``range`` for a range."""
        return _CADENCE_OF.get(self.kind, "range")

    @property
    def t0(self) -> datetime:
        """First instant (Beijing midnight of ``start``)."""
        return datetime.combine(self.start, time(0), BEIJING)

    @property
    def t1(self) -> datetime:
        """First instant after the period (Beijing midnight after ``end``)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), BEIJING)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def minutes(self) -> int:
        return self.days * 1440

    def as_days(self) -> Period:
        """The same days as a ``month`` or ``range`` (what the rates and safety store)."""
        return self if self.kind in ("month", "range") else Period.between(self.start, self.end)

    def as_period_text(self) -> str:
        """The period as ``--period`` of ``hazrisk rates``/``safety`` reads it."""
        return self.as_days().label

    # -- neighbours --------------------------------------------------------------------------
    def previous(self) -> Period:
        """The period of the same kind just before (a range: of equal length)."""
        if self.kind == "range":
            return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))
        return Period.containing(self.cadence, self.start - timedelta(days=1))

    def due_on(self, delay_days: int) -> date:
        """First day a report may run: the day after the period closes, plus the delay."""
        return self.end + timedelta(days=1 + int(delay_days))

    def sql_params(self, lookback_hours: float = 0) -> dict[str, str]:
        """Bound parameters ``$period, $t_lo, $t0, $t1`` (ISO instants) and
        ``$start_date, $end_date``."""
        t_lo = self.t0 - timedelta(hours=lookback_hours)
        return {
            "period": self.label,
            "t_lo": t_lo.isoformat(),
            "t0": self.t0.isoformat(),
            "t1": self.t1.isoformat(),
            "start_date": self.start.isoformat(),
            "end_date": self.end.isoformat(),
        }


def closed_periods(cadence: str, as_of: date, delay_days: int, lookback: int) -> list[Period]:
    """The ``lookback`` latest periods whose due day is on or before ``as_of``, oldest first."""
    p = Period.containing(cadence, as_of)
    while p.due_on(delay_days) > as_of:
        p = p.previous()
    out = [p]
    while len(out) < lookback:
        out.append(out[-1].previous())
    return out[::-1]
