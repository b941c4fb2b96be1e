"""Report periods: months, quarters, ISO weeks, years and date ranges, and when each is due.

A period *closes* at the end of its last Beijing day; a scheduled report of it is *due*
``delay_days`` days after that (the data of late gateways and the monitoring log arrive
meanwhile). Labels name the report folders: ``2026-10``, ``2026-Q4``, ``2026-W41``, ``2026``,
``2026-10-01..2026-10-07``.

>>> p = ReportPeriod.parse("2026-Q4")
>>> p.start.isoformat(), p.end.isoformat(), p.as_period_text()
('2026-10-01', '2026-12-31', '2026-10-01..2026-12-31')
>>> ReportPeriod.parse("2026-W41").start.isoformat()
'2026-10-05'
>>> ReportPeriod.containing("monthly", date(2026, 11, 3)).previous().label
'2026-10'
>>> ReportPeriod.parse("2026-10").due_on(5).isoformat()
'2026-11-06'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Cadence = Literal["weekly", "monthly", "quarterly", "annual", "range"]
CADENCES: tuple[str, ...] = ("weekly", "monthly", "quarterly", "annual")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


class ReportPeriodError(ValueError):
    """A period label that cannot be read."""


@dataclass(frozen=True)
class ReportPeriod:
    kind: Cadence
    start: date
    end: date  # inclusive Beijing day

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarterly":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "weekly":
            y, w, _ = self.start.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "annual":
            return f"{self.start.year}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @classmethod
    def parse(cls, text: str) -> ReportPeriod:
        """Read a label: ``YYYY-MM``, ``YYYY-Qn``, ``YYYY-Www``, ``YYYY``, ``A..B`` or a day."""
        t = text.strip()
        try:
            if m := _MONTH.match(t):
                return cls.of_month(int(m.group(1)), int(m.group(2)))
            if m := _QUARTER.match(t):
                q = int(m.group(2))
                first = date(int(m.group(1)), 3 * q - 2, 1)
                return cls("quarterly", first, _month_end(first.year, 3 * q))
            if m := _WEEK.match(t):
                monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
                return cls("weekly", monday, monday + timedelta(days=6))
            if m := _YEAR.match(t):
                y = int(m.group(1))
                return cls("annual", date(y, 1, 1), date(y, 12, 31))
            if ".." in t:
                a, b = (date.fromisoformat(s.strip()) for s in t.split("..", 1))
                if b < a:
                    raise ReportPeriodError(f"{text!r}: ends before it starts")
                return cls("range", a, b)
            d = date.fromisoformat(t)
            return cls("range", d, d)
        except ValueError as exc:
            if isinstance(exc, ReportPeriodError):
                raise
            raise ReportPeriodError(
                f"{text!r}: expected YYYY-MM, YYYY-Qn, YYYY-Www, YYYY or A..B ({exc})") from None

    @classmethod
    def of_month(cls, year: int, month: int) -> ReportPeriod:
        if not 1 <= month <= 12:
            raise ReportPeriodError(f"{year}-{month:02d}: month must be 01-12")
        return cls("monthly", date(year, month, 1), _month_end(year, month))

    @classmethod
    def containing(cls, cadence: str, day: date) -> ReportPeriod:
        """The period of ``cadence`` that contains ``day``."""
        if cadence == "monthly":
            return cls.of_month(day.year, day.month)
        if cadence == "quarterly":
            return cls.parse(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
        if cadence == "weekly":
            y, w, _ = day.isocalendar()
            return cls.parse(f"{y}-W{w:02d}")
        if cadence == "annual":
            return cls.parse(str(day.year))
        raise ReportPeriodError(f"unknown cadence {cadence!r} (one of {', '.join(CADENCES)})")

    def previous(self) -> ReportPeriod:
        """The period of the same cadence just before."""
        if self.kind == "range":
            n = (self.end - self.start).days + 1
            return ReportPeriod("range", self.start - timedelta(days=n),
                                self.start - timedelta(days=1))
        return ReportPeriod.containing(self.kind, self.start - timedelta(days=1))

    def due_on(self, delay_days: int) -> date:
        """First day the report may run: the day after the period closes, plus the delay."""
        return self.end + timedelta(days=1 + int(delay_days))

    def as_period_text(self) -> str:
        """The period as ``hazrisk rates``/``safety`` read it (a month label, else ``A..B``)."""
        if self.kind == "monthly":
            return self.label
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def closed_periods(cadence: str, as_of: date, delay_days: int, lookback: int
                   ) -> list[ReportPeriod]:
    """The ``lookback`` latest periods whose due day is on or before ``as_of``, oldest first."""
    p = ReportPeriod.containing(cadence, as_of)
    while p.due_on(delay_days) > as_of:
        p = p.previous()
    out = [p]
    while len(out) < lookback:
        out.append(out[-1].previous())
    return out[::-1]


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)
