"""Scheduled runs with a fixed clock: due only after close + delay, once after success, again
after a failure (which never replaces the last good report), once with two concurrent `due`."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import Published

from hazrisk.cli import main
from hazrisk.period import Period
from hazrisk.reports.due import run_due, schedule_status
from hazrisk.reports.ledger import Ledger
from hazrisk.reports.runner import run_report
from hazrisk.reports.schedule import load_schedule

REPO = Path(__file__).resolve().parents[2]

FLAKY = '''# %% tags=["parameters"]
period = ""
snapshot = ""
fail_if = ""
pause_s = 0.0

# %%
import time
from pathlib import Path

time.sleep(pause_s)

# %%
if fail_if and Path(fail_if).exists():
    raise RuntimeError("asked to fail")
print("report of", period)
'''


@pytest.fixture
def world(tmp_path: Path, published: Published) -> dict[str, Path]:
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    (nbdir / "flaky.py").write_text(FLAKY, encoding="utf-8")
    flag = tmp_path / "fail.flag"
    sched = tmp_path / "conf" / "reports.toml"
    sched.parent.mkdir()
    sched.write_text(
        f'[settings]\nsnapshot = "{published.snapshot}"\nreports_dir = "{tmp_path / "reports"}"\n'
        f'notebooks_dir = "{nbdir}"\nlookback = 1\n\n'
        '[report.flaky]\nnotebook = "flaky"\ncadence = "monthly"\ndelay_days = 5\n'
        f'parameters = {{ fail_if = "{flag}", pause_s = 0.0 }}\nsource = "test"\n',
        encoding="utf-8")
    return {"schedule": sched, "flag": flag, "reports": tmp_path / "reports"}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.slow
def test_due_lifecycle(world: dict[str, Path]) -> None:
    s = load_schedule(world["schedule"])
    ledger = Ledger(world["reports"] / "ledger.sqlite")
    # 2026-11-05: October closed but its 5-day delay has not passed -> only September runs
    res = run_due(s, date(2026, 11, 5))
    assert [(r.period, r.status) for r in res] == [("2026-09", "succeeded")]
    assert not (world["reports"] / "flaky" / "2026-10").exists()
    # 2026-11-06: October is due
    res = run_due(s, date(2026, 11, 6))
    assert [(r.period, r.status) for r in res] == [("2026-10", "succeeded")]
    good = world["reports"] / "flaky" / "2026-10"
    assert {"report.ipynb", "report.html", "lineage.json"} <= set(os.listdir(good))
    before = _digest(good)
    # the same day again: nothing reruns after a success
    assert run_due(s, date(2026, 11, 6)) == []
    assert [a.status for a in ledger.history("flaky")] == ["succeeded", "succeeded"]
    # a failing rerun of October (manual) leaves the good report untouched
    world["flag"].write_text("x")
    bad = run_report(s, s.entry("flaky"), Period.parse("2026-10"))
    assert bad.status == "failed"
    assert _digest(good) == before
    assert bad.output is not None and bad.output.parent == good / "failed"
    lineage = json.loads((bad.output / "lineage.json").read_text(encoding="utf-8"))
    assert lineage["status"] == "failed"
    assert lineage["error"]["ename"] == "RuntimeError"
    assert "asked to fail" in lineage["error"]["cell_source"]
    assert lineage["error"]["cell_index"] >= 1
    assert (bad.output / "report.ipynb").is_file()  # the partial output is kept
    # December: November fails -> recorded, exit code 1 through the CLI
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()) as err:
        rc = main(["report", "due", "--as-of", "2026-12-06", "--schedule",
                   str(world["schedule"])])
    assert rc == 1, out.getvalue()
    assert "2026-11" in err.getvalue() and "RuntimeError" in err.getvalue()
    assert ledger.latest("flaky", "2026-11").status == "failed"
    # fixed: the next due retries November and succeeds
    world["flag"].unlink()
    res = run_due(s, date(2026, 12, 6))
    assert [(r.period, r.status) for r in res] == [("2026-11", "succeeded")]
    assert [a.status for a in ledger.history("flaky") if a.period == "2026-11"] == [
        "failed", "succeeded"]
    status = {x.report: x for x in schedule_status(s, date(2026, 12, 6))}["flaky"]
    assert (status.last_period, status.last_status) == ("2026-11", "succeeded")
    assert (status.next_period, status.next_due) == ("2026-12", "2027-01-06")


@pytest.mark.slow
def test_two_concurrent_due_runs_make_one_report(world: dict[str, Path]) -> None:
    text = world["schedule"].read_text(encoding="utf-8").replace("pause_s = 0.0", "pause_s = 3.0")
    world["schedule"].write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "hazrisk", "report", "due", "--as-of", "2026-11-06",
           "--schedule", str(world["schedule"]), "--format", "json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    statuses = sorted(json.loads(o)[0]["status"] for o, _ in outs)
    assert statuses in (["busy", "succeeded"], ["skipped", "succeeded"]), statuses
    attempts = Ledger(world["reports"] / "ledger.sqlite").history("flaky")
    assert [(a.period, a.status) for a in attempts] == [("2026-10", "succeeded")]
    folder = world["reports"] / "flaky" / "2026-10"
    assert sorted(p.name for p in folder.iterdir()) == ["lineage.json", "report.html",
                                                       "report.ipynb"]


def test_list_and_usage_errors(world: dict[str, Path], tmp_path: Path) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["report", "list", "--as-of", "2026-11-06", "--schedule",
                     str(world["schedule"]), "--json"]) == 0
    rows = json.loads(out.getvalue())
    assert rows[0]["report"] == "flaky" and rows[0]["next_period"] == "2026-10"
    assert rows[0]["next_due"] == "2026-11-06" and rows[0]["last_status"] is None
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["report", "run", "nope", "--period", "2026-10", "--schedule",
                     str(world["schedule"])]) == 2
        assert main(["report", "run", "flaky", "--period", "2026-13", "--schedule",
                     str(world["schedule"])]) == 2
        assert main(["report", "run", "flaky", "--period", "2026-10", "--schedule",
                     str(world["schedule"]), "--snapshot", str(tmp_path / "no.duckdb")]) == 2
        assert main(["report", "run", "flaky", "--period", "2026-10", "-p", "1x=2",
                     "--schedule", str(world["schedule"])]) == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("hazrisk report run: ") for line in lines)


def test_periods_without_data_wait(published: Published) -> None:
    from hazrisk.reports.due import has_data

    s = load_schedule()
    snap = published.snapshot
    assert has_data(s.entry("provider_evaluation"), Period.parse("2026-10"), snap)
    assert not has_data(s.entry("provider_evaluation"), Period.parse("2026-09"), snap)
    assert has_data(s.entry("data_quality"), Period.parse("2026-W40"), snap)
    assert not has_data(s.entry("data_quality"), Period.parse("2026-W42"), snap)
    assert has_data(s.entry("enterprise_safety_quarterly"), Period.parse("2026-Q4"), snap)
    # no risk model is published yet: the annual premium review waits
    assert not has_data(s.entry("premium_review"), Period.parse("2026"), snap)


def test_lab_command_line() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["lab", "--print"]) == 0
    assert out.getvalue().split()[1:] == ["-m", "jupyterlab", str(REPO / "notebooks")]


def test_ledger_claims(tmp_path: Path) -> None:
    from hazrisk.reports.ledger import Busy

    ledger = Ledger(tmp_path / "ledger.sqlite")
    first = ledger.claim("r", "2026-10", trigger="due", rerun=False)
    assert first is not None
    with pytest.raises(Busy, match="pid"):  # this process is alive and holds it
        ledger.claim("r", "2026-10", trigger="due", rerun=False)
    ledger.finish(first, "succeeded", output="x")
    assert ledger.claim("r", "2026-10", trigger="due", rerun=False) is None
    # a claim left by a process that died is taken over and recorded as abandoned
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead_pid = int(child.stdout)
    import sqlite3

    con = sqlite3.connect(ledger.path)
    con.execute("INSERT INTO runs (report, period, status, trigger, host, pid, started_at) "
                "SELECT 'r', '2026-11', 'running', 'due', host, ?, started_at FROM runs "
                "WHERE run_id = ?", (dead_pid, first))
    con.commit()
    con.close()
    again = ledger.claim("r", "2026-11", trigger="due", rerun=False)
    assert again is not None
    statuses = [(a.status, (a.error or {}).get("ename")) for a in ledger.history("r")
                if a.period == "2026-11"]
    assert statuses == [("failed", "Abandoned"), ("running", None)]
