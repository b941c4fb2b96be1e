"""``hazrisk report due`` and ``list``: which scheduled reports are due, run them once each.

A period is due when ``as_of`` is on or after its due day (:meth:`Period.due_on`), its
report has not yet succeeded (the ledger), and the snapshot holds its data (``needs``: the
provider rates computed for the period, safety histories or dump files in it, the risk
model's factors for the year; a period without data waits, it is neither run nor failed). The ``lookback`` latest closed periods of
each report are checked, so a missed cron run catches up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hazrisk.period import Period, closed_periods
from hazrisk.reports.runner import RunResult, ledger_for, run_report
from hazrisk.reports.schedule import Entry, Schedule

#: Data each notebook needs before its period can run (a key of hazrisk.snapshot.coverage).
NEEDS = {"provider_evaluation": "rates", "enterprise_safety": "safety",
         "data_quality": "ingest", "premium_review": "model"}


def has_data(entry: Entry, period: Period, snapshot: Path) -> bool:
    """True when the snapshot holds what ``entry``'s notebook reports on for ``period``."""
    need = NEEDS.get(entry.notebook)
    if need is None:
        return True
    from hazrisk.snapshot import coverage, open_snapshot

    con = open_snapshot(snapshot)
    try:
        if need == "model":  # the risk models publish these; a year without them waits
            return _model_rows(con, period.start.year) > 0
        return coverage(con, period.as_period_text())[need] > 0
    finally:
        con.close()


def _model_rows(con: Any, year: int) -> int:
    from hazrisk.snapshot import has_table

    if not (has_table(con, "premium_factors") and has_table(con, "model_cards")):
        return 0
    from hazrisk.sqlfiles import SqlFolder

    rows = SqlFolder("hazrisk.reports").execute(con, "model_rows", {"year": year}).fetchall()
    return int(rows[0][0])


def run_due(schedule: Schedule, as_of: date, *, snapshot: Path | None = None,
            only: list[str] | None = None, dry_run: bool = False) -> list[RunResult]:
    """Run every due report once (see the module docstring); the results in order."""
    snap = Path(snapshot or schedule.snapshot)
    ledger = ledger_for(schedule)
    results: list[RunResult] = []
    for entry in schedule.entries.values():
        if only and entry.name not in only:
            continue
        for period in closed_periods(entry.cadence, as_of, entry.delay_days, schedule.lookback):
            last = ledger.latest(entry.name, period.label)
            if last is not None and last.status == "succeeded":
                continue
            if not has_data(entry, period, snap):
                results.append(RunResult(entry.name, period.label, "waiting",
                                         error={"evalue": "no data for this period in the "
                                                          "snapshot yet"}))
                continue
            if dry_run:
                results.append(RunResult(entry.name, period.label, "due"))
                continue
            results.append(run_report(schedule, entry, period, snapshot=snap, trigger="due",
                                      rerun=False))
    return results


@dataclass
class Status:
    report: str
    notebook: str
    cadence: str
    delay_days: int
    last_period: str | None
    last_status: str | None
    last_finished: str | None
    last_success: str | None
    next_period: str
    next_due: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def schedule_status(schedule: Schedule, as_of: date) -> list[Status]:
    """Per report: the last attempt, the last success, and the next period with its due day
    (the oldest checked period not yet succeeded, else the next one to close)."""
    ledger = ledger_for(schedule)
    out: list[Status] = []
    for e in schedule.entries.values():
        attempts = ledger.history(e.name)
        last = attempts[-1] if attempts else None
        ok = ledger.last_success(e.name)
        pending = [p for p in closed_periods(e.cadence, as_of, e.delay_days, schedule.lookback)
                   if (a := ledger.latest(e.name, p.label)) is None or a.status != "succeeded"]
        nxt = pending[0] if pending else closed_periods(
            e.cadence, as_of, e.delay_days, 1)[-1]
        if not pending:
            while nxt.due_on(e.delay_days) <= as_of:
                nxt = Period.containing(e.cadence, nxt.end + timedelta(days=1))
        out.append(Status(e.name, e.notebook, e.cadence, e.delay_days,
                          last.period if last else None, last.status if last else None,
                          last.finished_at if last else None, ok.period if ok else None,
                          nxt.label, nxt.due_on(e.delay_days).isoformat()))
    return out
