"""Execute a report notebook with papermill into ``<reports_dir>/<name>/<period>/``.

A run writes into a fresh attempt folder beside the report; only when every cell ran does it
replace ``report.ipynb``, ``report.html`` (nbconvert, code cells left out) and
``lineage.json`` of the period. A failing run leaves its partial notebook and a lineage naming
the failing cell under ``failed/<time>/`` and never touches the last good report. Every
attempt is recorded in the :class:`~hazrisk.reports.ledger.Ledger`.

papermill, nbconvert and jupytext are imported here only, inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hazrisk.period import Period
from hazrisk.reports.ledger import Busy, Ledger
from hazrisk.reports.schedule import Entry, Schedule

REPO = Path(__file__).resolve().parents[2]
OUTPUTS = ("report.ipynb", "report.html", "lineage.json")


@dataclass
class RunResult:
    report: str
    period: str
    status: str  # succeeded | failed | skipped (done before) | busy | waiting (no data yet)
    output: Path | None = None
    duration_s: float = 0.0
    error: dict[str, Any] | None = None
    lineage: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"report": self.report, "period": self.period, "status": self.status,
                "output": str(self.output) if self.output else None,
                "duration_s": round(self.duration_s, 2), "error": self.error}


def ledger_for(schedule: Schedule) -> Ledger:
    return Ledger(schedule.reports_dir / "ledger.sqlite")


def notebook_parameters(entry: Entry, period: Period, snapshot: Path,
                        overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """What papermill injects: the entry's parameters, the period, the snapshot, overrides."""
    params: dict[str, Any] = dict(entry.parameters)
    if entry.period_as == "period":
        params["period"] = period.as_period_text()
    elif entry.period_as == "start_end":
        params["start"], params["end"] = period.start.isoformat(), period.end.isoformat()
    else:
        params["year"] = period.start.year
    params["snapshot"] = str(snapshot.resolve())
    params.update(overrides or {})
    return params


def run_report(schedule: Schedule, entry: Entry, period: Period, *,
               snapshot: Path | None = None, overrides: dict[str, Any] | None = None,
               trigger: str = "run", rerun: bool = True) -> RunResult:
    """Run one report for one period (see the module docstring); never raises for a failing
    notebook (the result says ``failed``)."""
    from hazrisk.snapshot import fingerprint

    snap = Path(snapshot or schedule.snapshot)
    params = notebook_parameters(entry, period, snap, overrides)
    nb_path = schedule.notebook_path(entry)
    lineage: dict[str, Any] = {
        "report": entry.name, "title": entry.title, "notebook": str(nb_path),
        "notebook_sha256": _sha256(nb_path) if nb_path.is_file() else None,
        "period": {"label": period.label, "kind": period.cadence,
                   "start": period.start.isoformat(), "end": period.end.isoformat()},
        "parameters": params,
        "snapshot": {"path": str(snap.resolve()), "sha256": fingerprint(snap),
                     "published_at": _published_at(snap)},
        "hazrisk_version": _version(), "git": _git(),
        "python": platform.python_version(), "host": platform.node(), "trigger": trigger,
    }
    ledger = ledger_for(schedule)
    try:
        run_id = ledger.claim(entry.name, period.label, trigger=trigger, rerun=rerun)
    except Busy as exc:
        return RunResult(entry.name, period.label, "busy", error={"evalue": str(exc)})
    if run_id is None:
        return RunResult(entry.name, period.label, "skipped")
    try:
        result = _attempt(schedule, entry, period, lineage)
    except BaseException as exc:  # interrupted or the file system failed: say so, then stop
        ledger.finish(run_id, "failed", output=None, error=_describe(exc))
        raise
    ledger.finish(run_id, result.status, output=str(result.output), error=result.error)
    return result


def _attempt(schedule: Schedule, entry: Entry, period: Period,
             lineage: dict[str, Any]) -> RunResult:
    """Execute into a fresh attempt folder; publish it as the report, or keep it as failed."""
    out_dir = schedule.reports_dir / entry.name / period.label
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    stage = out_dir / f".attempt-{stamp}-{os.getpid()}"
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    lineage["started_at"] = started.isoformat(timespec="seconds")
    stage.mkdir(parents=True)
    error: dict[str, Any] | None = None
    try:
        executed = _execute(Path(lineage["notebook"]), stage, lineage["parameters"],
                            schedule.timeout_s)
        _write_html(executed, stage / "report.html", f"{entry.title} {period.label}")
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none lost
        error = _describe(exc)
    duration = time.perf_counter() - t0
    lineage.update({"finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "duration_s": round(duration, 2),
                    "status": "failed" if error else "succeeded", "error": error})
    (stage / "input.ipynb").unlink(missing_ok=True)
    if error is None:
        lineage["outputs"] = {n: str(out_dir / n) for n in OUTPUTS}
        (stage / "lineage.json").write_text(_dumps(lineage), encoding="utf-8")
        for name in OUTPUTS:  # lineage last: it vouches for the two others
            os.replace(stage / name, out_dir / name)
        shutil.rmtree(stage, ignore_errors=True)
        output = out_dir
    else:
        output = out_dir / "failed" / stamp
        output.parent.mkdir(parents=True, exist_ok=True)
        lineage["outputs"] = {"report.ipynb": str(output / "report.ipynb")
                              if (stage / "report.ipynb").exists() else None}
        (stage / "lineage.json").write_text(_dumps(lineage), encoding="utf-8")
        os.replace(stage, output)
    return RunResult(entry.name, period.label, lineage["status"], output, duration, error,
                     lineage)


def _execute(nb_path: Path, stage: Path, params: dict[str, Any], timeout_s: int) -> Any:
    import jupytext
    import nbformat
    import papermill
    from traitlets.config import Config

    if not nb_path.is_file():
        raise FileNotFoundError(f"{nb_path}: no such notebook")
    nb = jupytext.read(nb_path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, stage / "input.ipynb")
    # The kernel talks over Unix sockets in a private folder (not TCP on localhost): no other
    # user can attach to it, and ipykernel has no unencrypted-TCP warning to print.
    with tempfile.TemporaryDirectory(prefix="hazrisk-kernel-") as sockets:
        config = Config({"KernelManager": {"transport": "ipc",
                                           "ip": os.path.join(sockets, "k")}})
        return papermill.execute_notebook(
            str(stage / "input.ipynb"), str(stage / "report.ipynb"), parameters=params,
            kernel_name="python3", cwd=str(stage), progress_bar=False, log_output=False,
            execution_timeout=timeout_s, config=config)


def _write_html(nb: Any, target: Path, title: str) -> None:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    target.write_text(body, encoding="utf-8")


def _describe(exc: BaseException) -> dict[str, Any]:
    """The failing cell (papermill's execution error) or the error that stopped the run."""
    info: dict[str, Any] = {"ename": getattr(exc, "ename", type(exc).__name__),
                            "evalue": str(getattr(exc, "evalue", exc)).strip()[:2000]}
    if hasattr(exc, "cell_index"):
        source = str(getattr(exc, "source", ""))
        info.update({"cell_index": exc.cell_index,
                     "execution_count": getattr(exc, "exec_count", None),
                     "cell_source": source[:2000]})
    return info


def _published_at(snap: Path) -> str | None:
    from hazrisk.snapshot import info, open_snapshot

    con = open_snapshot(snap)
    try:
        return str(info(con)["published_at"])
    finally:
        con.close()


def _version() -> str:
    from hazrisk import __version__

    return __version__


def _git() -> dict[str, Any]:
    """Commit of the code that ran (and whether the tree had uncommitted changes)."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=10, check=True).stdout.strip() != ""
        return {"commit": head, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None, "note": "not a git checkout"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n"
