"""Beijing midnight, hand-computed, through the rates: records at 15:59:59 UTC and 16:00:00
UTC are counted on Beijing days 2026-10-01 and 2026-10-02 (core.local_day in the partials)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from rates_builders import World

from hazrisk.rates import Period, compute_rates


def test_records_either_side_of_beijing_midnight_fall_on_two_days() -> None:
    w = World()
    w.provider("P1")
    w.vehicle("V1", "P1")
    w.pos("V1", datetime(2026, 10, 1, 15, 59, 59, tzinfo=UTC))
    w.pos("V1", datetime(2026, 10, 1, 16, 0, 0, tzinfo=UTC))
    w.pos("V1", datetime(2026, 10, 1, 16, 0, 30, tzinfo=UTC))
    w.resolve()
    compute_rates(w.con, Period.parse("2026-10-01..2026-10-02"))
    days = w.con.execute("SELECT day, sum(records) FROM rates.day_partials "
                         "WHERE unit_id = 'V1' GROUP BY day ORDER BY day").fetchall()
    assert days == [(date(2026, 10, 1), 1), (date(2026, 10, 2), 2)]
