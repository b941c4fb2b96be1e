"""The report schedule (``conf/reports.toml``): which notebook, which cadence, which
parameters, how many days after the period closes; every default with its source.

Relative paths (``snapshot``, ``reports_dir``, ``notebooks_dir``) are resolved against
``[settings] root`` when given, else against the folder above the one holding the file (the
repository for ``conf/reports.toml``). ``$HAZRISK_REPORTS_SCHEDULE`` names another file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hazrisk.period import CADENCES

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "conf" / "reports.toml"
PERIOD_STYLES = ("period", "start_end", "year")


class ScheduleError(ValueError):
    """The schedule file is missing or wrong; the message names the file and key."""


@dataclass(frozen=True)
class Entry:
    """One scheduled report."""

    name: str
    notebook: str
    cadence: str
    delay_days: int
    period_as: str  # how the period reaches the notebook: period | start_end | year
    parameters: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    source: str = ""


@dataclass(frozen=True)
class Schedule:
    path: Path
    root: Path
    snapshot: Path
    reports_dir: Path
    notebooks_dir: Path
    lookback: int
    timeout_s: int
    entries: dict[str, Entry]

    def entry(self, name: str) -> Entry:
        """The entry called ``name``; else the first one using notebook ``name``; else, for a
        notebook in ``notebooks_dir`` that no entry uses (``explore``), an unscheduled entry
        that passes the period as ``period``."""
        if name in self.entries:
            return self.entries[name]
        for e in self.entries.values():
            if e.notebook == name:
                return e
        if name.isidentifier() and (self.notebooks_dir / f"{name}.py").is_file():
            return Entry(name, name, "monthly", 0, "period", {}, name, "unscheduled (ad hoc)")
        raise ScheduleError(f"no report {name!r} in {self.path} "
                            f"(known: {', '.join(self.entries)})")

    def notebook_path(self, entry: Entry) -> Path:
        return self.notebooks_dir / f"{entry.notebook}.py"


def load_schedule(path: str | os.PathLike[str] | None = None) -> Schedule:
    """Read and check the schedule (default: ``$HAZRISK_REPORTS_SCHEDULE``, then
    ``conf/reports.toml``)."""
    p = Path(path or os.environ.get("HAZRISK_REPORTS_SCHEDULE") or DEFAULT_FILE)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleError(f"{p}: no such schedule file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{p}: not valid TOML ({exc})") from None
    settings = data.get("settings", {})
    root = Path(settings.get("root") or p.resolve().parent.parent)

    def where(key: str, default: str) -> Path:
        value = Path(str(settings.get(key, default)))
        return value if value.is_absolute() else root / value

    entries: dict[str, Entry] = {}
    for name, raw in (data.get("report") or {}).items():
        entries[name] = _entry(p, name, raw)
    if not entries:
        raise ScheduleError(f"{p}: no [report.NAME] tables")
    return Schedule(p, root, where("snapshot", "data/local/demo/published.duckdb"),
                    where("reports_dir", "reports"), where("notebooks_dir", "notebooks"),
                    int(settings.get("lookback", 3)), int(settings.get("timeout_s", 900)),
                    entries)


def _entry(path: Path, name: str, raw: dict[str, Any]) -> Entry:
    known = {"notebook", "cadence", "delay_days", "period_as", "parameters", "title", "source"}
    extra = sorted(set(raw) - known)
    if extra:
        raise ScheduleError(f"{path}: report.{name}: unknown key(s) {extra}")
    cadence = raw.get("cadence")
    if cadence not in CADENCES:
        raise ScheduleError(f"{path}: report.{name}.cadence must be one of {CADENCES}, "
                            f"not {cadence!r}")
    period_as = raw.get("period_as", "period")
    if period_as not in PERIOD_STYLES:
        raise ScheduleError(f"{path}: report.{name}.period_as must be one of {PERIOD_STYLES}")
    delay = raw.get("delay_days", 0)
    if not isinstance(delay, int) or delay < 0:
        raise ScheduleError(f"{path}: report.{name}.delay_days must be a whole number >= 0")
    if not str(raw.get("source", "")).strip():
        raise ScheduleError(f"{path}: report.{name}.source: say where the cadence and delay "
                            "come from")
    return Entry(name, str(raw.get("notebook", name)), cadence, delay, period_as,
                 dict(raw.get("parameters", {})), str(raw.get("title", name)),
                 str(raw["source"]))
