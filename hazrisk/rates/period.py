"""Statistics periods: calendar months by default, any range of Beijing dates on request.

A period covers whole Beijing days, ``start`` to ``end`` inclusive, i.e. the instants
``[start 00:00 +08:00, end + 1 day 00:00 +08:00)``.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from hazrisk.localtime import BEIJING

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PeriodError(ValueError):
    """A period that cannot be parsed or is empty."""


def _day(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise PeriodError(f"{value.strip()!r} is not a date YYYY-MM-DD ({exc})") from None


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: Literal["month", "range"] = "range"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def parse(cls, text: str) -> Period:
        """``YYYY-MM`` (a calendar month), ``YYYY-MM-DD`` (one day) or ``A..B`` (days or
        months, inclusive: ``2026-07..2026-09`` is 2026-07-01..2026-09-30)."""
        text = text.strip()
        m = _MONTH.match(text)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            if not 1 <= month <= 12:
                raise PeriodError(f"{text!r}: month must be 01-12")
            return cls.month(year, month)
        if ".." in text:
            a, b = (part.strip() for part in text.split("..", 1))
            if _MONTH.match(a):  # a month range: from the first day of A
                a = cls.parse(a).start.isoformat()
            if _MONTH.match(b):  # to the last day of B
                b = cls.parse(b).end.isoformat()
            return cls.between(a, b)
        if _DAY.match(text):
            return cls.between(text, text)
        raise PeriodError(f"{text!r}: expected YYYY-MM, YYYY-MM-DD or A..B (days or months)")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return cls(first, nxt - timedelta(days=1), "month")

    @classmethod
    def between(cls, start: str | date, end: str | date) -> Period:
        a, b = _day(start), _day(end)
        if a.day == 1 and (b + timedelta(days=1)).day == 1 and (a.year, a.month) == (b.year, b.month):
            return cls(a, b, "month")
        return cls(a, b, "range")

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

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

    def previous(self) -> Period:
        """The preceding calendar month, or the range of equal length just before."""
        if self.kind == "month":
            p = self.start - timedelta(days=1)
            return Period.month(p.year, p.month)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def sql_params(self, lookback_hours: float = 0) -> dict[str, str]:
        """Bound parameters ``$t_lo, $t0, $t1`` (ISO instants) and ``$start_date, $end_date``."""
        t_lo = self.t0 - timedelta(hours=lookback_hours)
        return {
            "period": self.label,
            "t_lo": t_lo.isoformat(),
            "t0": self.t0.isoformat(),
            "t1": self.t1.isoformat(),
            "start_date": self.start.isoformat(),
            "end_date": self.end.isoformat(),
        }
