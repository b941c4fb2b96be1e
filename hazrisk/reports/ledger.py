"""The run ledger beside the reports (``<reports_dir>/ledger.sqlite``): exactly-once runs.

Every attempt is a row (``running`` -> ``succeeded`` | ``failed``). :meth:`Ledger.claim`
takes SQLite's write lock (``BEGIN IMMEDIATE``) to look at the latest attempt of a
(report, period) and to record a new one in the same transaction, so of two ``hazrisk report
due`` started together only one runs each report; the other sees it ``running`` and skips
it. A ``running`` row whose process is gone (same host, pid not alive; another host: older
than ``stale_after_s``) is taken over. A failed attempt is retried by the next ``due``.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    report      TEXT NOT NULL,
    period      TEXT NOT NULL,
    status      TEXT NOT NULL,          -- running | succeeded | failed
    trigger     TEXT NOT NULL,          -- run | due
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,          -- ISO 8601 UTC
    finished_at TEXT,
    output      TEXT,                   -- folder of the report (or of the failed attempt)
    error       TEXT                    -- JSON: failing cell, error name and value
);
CREATE INDEX IF NOT EXISTS runs_key ON runs (report, period, run_id);
"""


@dataclass(frozen=True)
class Attempt:
    run_id: int
    report: str
    period: str
    status: str
    trigger: str
    host: str
    pid: int
    started_at: str
    finished_at: str | None
    output: str | None
    error: dict[str, Any] | None


class Busy(RuntimeError):
    """Another process is running this report for this period."""


class Ledger:
    def __init__(self, path: str | os.PathLike[str], *, stale_after_s: float = 6 * 3600):
        self.path = Path(path)
        self.stale_after_s = stale_after_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=120, isolation_level=None)
        con.row_factory = sqlite3.Row
        return con

    def latest(self, report: str, period: str) -> Attempt | None:
        """The latest attempt of ``report`` for ``period``."""
        con = self._connect()
        try:
            row = con.execute("SELECT * FROM runs WHERE report = ? AND period = ? "
                              "ORDER BY run_id DESC LIMIT 1", (report, period)).fetchone()
        finally:
            con.close()
        return _attempt(row) if row else None

    def history(self, report: str | None = None) -> list[Attempt]:
        """Every attempt (of one report), oldest first."""
        con = self._connect()
        try:
            rows = con.execute("SELECT * FROM runs WHERE ? IS NULL OR report = ? ORDER BY run_id",
                               (report, report)).fetchall()
        finally:
            con.close()
        return [_attempt(r) for r in rows]

    def last_success(self, report: str) -> Attempt | None:
        for a in reversed(self.history(report)):
            if a.status == "succeeded":
                return a
        return None

    def claim(self, report: str, period: str, *, trigger: str, rerun: bool) -> int | None:
        """Record a new ``running`` attempt and return its id; ``None`` when the period already
        succeeded and ``rerun`` is false. Raises :class:`Busy` when a live process runs it."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute("SELECT * FROM runs WHERE report = ? AND period = ? "
                              "ORDER BY run_id DESC LIMIT 1", (report, period)).fetchone()
            last = _attempt(row) if row else None
            if last is not None and last.status == "running" and self._alive(last):
                con.execute("ROLLBACK")
                raise Busy(f"{report} {period} is being run by pid {last.pid} on {last.host} "
                           f"since {last.started_at}")
            if last is not None and last.status == "succeeded" and not rerun:
                con.execute("ROLLBACK")
                return None
            if last is not None and last.status == "running":  # its process is gone
                con.execute("UPDATE runs SET status = 'failed', finished_at = ?, error = ? "
                            "WHERE run_id = ?", (_now(), json.dumps(
                                {"ename": "Abandoned", "evalue": "the process running it "
                                 "ended without recording a result"}), last.run_id))
            cur = con.execute(
                "INSERT INTO runs (report, period, status, trigger, host, pid, started_at) "
                "VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (report, period, trigger, socket.gethostname(), os.getpid(), _now()))
            con.execute("COMMIT")
            return int(cur.lastrowid or 0)
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def finish(self, run_id: int, status: str, *, output: str | None,
               error: dict[str, Any] | None = None) -> None:
        """Record the outcome of attempt ``run_id``."""
        con = self._connect()
        try:
            con.execute("UPDATE runs SET status = ?, finished_at = ?, output = ?, error = ? "
                        "WHERE run_id = ?",
                        (status, _now(), output, json.dumps(error, ensure_ascii=False)
                         if error else None, run_id))
        finally:
            con.close()

    def _alive(self, a: Attempt) -> bool:
        if a.host == socket.gethostname():
            try:
                os.kill(a.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        started = datetime.fromisoformat(a.started_at)
        return (datetime.now(UTC) - started).total_seconds() < self.stale_after_s


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _attempt(row: sqlite3.Row) -> Attempt:
    d = dict(row)
    d["error"] = json.loads(d["error"]) if d.get("error") else None
    return Attempt(**d)
