"""``hazrisk daily`` on the committed sample, one day at a time with a late file: the stored
partials and the month-end results equal those of ingesting everything and computing the whole
range at once, and the late file re-derives only the days it touches."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from hazrisk.cli import main
from hazrisk.rates import Period, aggregate, compute_rates
from hazrisk.safety import detect
from hazrisk.store.connect import connect

sys.path.insert(0, str(Path(__file__).parent / "safety"))
sys.path.insert(0, str(Path(__file__).parent / "rates"))
from test_daily_detect import TABLES, _same, _table  # noqa: E402
from test_partials import same_records  # noqa: E402


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue() + err.getvalue()


def _day_dir(sample: Path, folder: Path, day: str, only: str | None = None) -> Path:
    """A folder holding the sample's files of ``day`` (of provider ``only``) in the dumps
    layout (``dumps/<provider>/<date>.*``: the gateway is named by the path)."""
    for f in sorted((sample / "dumps").glob(f"*/{day}.*")):
        if only is None or f.parent.name == only:
            (folder / "dumps" / f.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(f, folder / "dumps" / f.parent.name / f.name)
    return folder


@pytest.mark.slow
def test_daily_runs_equal_the_whole_computation(sample_dir: Path, ingested_sample: Any,
                                                tmp_path: Path) -> None:
    s = ingested_sample
    days = [s.start + timedelta(days=k) for k in range((s.end - s.start).days + 1)]
    db = tmp_path / "daily.duckdb"
    code, out = _run(["registry", "import", str(sample_dir), "--db", str(db), "--json"])
    assert code == 0, out
    late = sorted(p.name for p in (sample_dir / "dumps").iterdir())[-1]  # one provider's file
    for d in days:
        folder = tmp_path / f"d{d}"
        _day_dir(sample_dir, folder, d.isoformat())
        if d == days[-1]:
            shutil.rmtree(folder / "dumps" / late)  # this provider's file of the day comes late
        code, out = _run(["daily", "--db", str(db), "--day", d.isoformat(),
                          "--dumps", str(folder), "--json"])
        assert code == 0, out
        rows = json.loads(out)
        assert {(r["day"], r["stage"]) for r in rows} >= {(d.isoformat(), "rates")}
        # the day before (now final) and the day, detected as one range
        assert [(r["day"], r["days"]) for r in rows if r["stage"] == "detect"] == [
            ((d - timedelta(days=int(d > days[0]))).isoformat(), 1 + int(d > days[0]))]
    con = connect(str(db))
    try:
        runs = dict(con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
        # safety.runs: one row per detected range, each daily run one range (the day before
        # and the day), a run id per invocation
        ranges = con.execute("SELECT start_day, end_day, command, run_id FROM safety.runs "
                             "ORDER BY run_at").fetchall()
        assert [(a, b, c) for a, b, c, _ in ranges] == [
            (d - timedelta(days=int(d > days[0])), d + timedelta(days=1), "daily") for d in days]
        assert len({r[3] for r in ranges}) == len(days)
        stamps = dict(con.execute("SELECT day, max(computed_at) FROM safety.vehicle_days "
                                  "GROUP BY day").fetchall())
    finally:
        con.close()
    # the late file of day 3: re-derives day 3 (rates, safety) and day 2 (safety: its steps and
    # events past midnight end in day 3), nothing of day 1
    folder = _day_dir(sample_dir, tmp_path / "late", days[-1].isoformat(), only=late)
    code, out = _run(["daily", "--db", str(db), "--day", days[-1].isoformat(),
                      "--dumps", str(folder), "--json"])
    assert code == 0, out
    rows = json.loads(out)
    # detection of consecutive days is one range: a detect row covers `days` days from `day`
    redone = {(r["stage"], (date.fromisoformat(r["day"]) + timedelta(days=k)).isoformat())
              for r in rows if r["stage"] != "total" for k in range(r["days"] or 1)}
    assert [r["days"] for r in rows if r["stage"] == "detect"] == [2]
    # detection and the rate partials ran side by side: their CPU is the total row's
    (total,) = [r for r in rows if r["stage"] == "total"]
    assert total["seconds"] > 0 and total["cpu_s"] > 0
    assert all(r["cpu_s"] is None for r in rows if r["stage"] in ("detect", "rates"))
    assert redone == {("ingest", days[-1].isoformat()), ("detect", days[1].isoformat()),
                      ("detect", days[-1].isoformat()), ("rates", days[-1].isoformat())}
    con = connect(str(db))
    (tmp_path / "whole").mkdir()
    whole = connect(str(s.copy_to(tmp_path / "whole")))
    try:
        after = dict(con.execute("SELECT day, run_id FROM rates.day_runs").fetchall())
        # day 1 was not touched by the late file: its rate partials and vehicle-days stay
        assert after[days[0]] == runs[days[0]] and after[days[1]] == runs[days[1]]
        assert after[days[-1]] != runs[days[-1]]
        stamps_after = dict(con.execute("SELECT day, max(computed_at) FROM safety.vehicle_days "
                                        "GROUP BY day").fetchall())
        assert stamps_after[days[0]] == stamps[days[0]]
        # the month end from the partials equals the whole range computed at once
        detect(whole, s.start, s.end + timedelta(days=1))
        month = Period.month(s.start.year, s.start.month)
        assert same_records(aggregate(con, month), compute_rates(whole, month))
        for name, skip in TABLES.items():
            _same(_table(whole, name, skip), _table(con, name, skip), name)
    finally:
        con.close()
        whole.close()


def test_daily_refuses_a_bad_day(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(str(db)).close()
    code, out = _run(["daily", "--db", str(db), "--day", "2026-13-01"])
    assert code == 2 and "--day" in out
    code, out = _run(["daily", "--db", str(tmp_path / "missing.duckdb"), "--day", "2026-10-01"])
    assert code == 2 and "missing.duckdb" in out


def test_a_failed_detection_rolls_back_the_rate_partials(ingested_sample: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The rate partials computed beside detection commit only when detection succeeds."""
    import hazrisk.safety.pipeline as pipeline
    from hazrisk.daily import run_daily

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("detection broke")

    db = ingested_sample.copy_to(tmp_path)
    monkeypatch.setattr(pipeline, "detect", broken)
    con = connect(str(db))
    try:
        with pytest.raises(RuntimeError, match="detection broke"):
            run_daily(con, ingested_sample.start)
        assert con.execute("SELECT count(*) FROM rates.day_runs").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM rates.day_partials").fetchone() == (0,)
    finally:
        con.close()


def test_safety_runs_one_row_per_range_one_id_per_run(ingested_sample: Any, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A daily run detecting two separate ranges (as around a late file's day) records both in
    safety.runs under its one run id; a detect run gets its own id."""
    import hazrisk.daily as daily
    from hazrisk.daily import run_daily

    s = ingested_sample
    first, last = s.start, s.end
    monkeypatch.setattr(daily, "detect_days", lambda con, day, touched: [first, last])
    con = connect(str(s.copy_to(tmp_path)))
    try:
        run_daily(con, last)
        detect(con, first, first + timedelta(days=1))
        rows = con.execute("SELECT start_day, end_day, command, run_id FROM safety.runs "
                           "ORDER BY run_at").fetchall()
    finally:
        con.close()
    assert [r[:3] for r in rows] == [(first, first + timedelta(days=1), "daily"),
                                     (last, last + timedelta(days=1), "daily"),
                                     (first, first + timedelta(days=1), "detect")]
    assert rows[0][3] == rows[1][3] != rows[2][3]
