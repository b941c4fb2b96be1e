"""The main job end to end, as `make demo` runs it, on a tiny fleet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from hazrisk.cli import main
from hazrisk.cliutil import display_width


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--vehicles", "12", "--days", "2"]) == 0
    printed = capsys.readouterr().out
    for step in ("simulate", "registry import", "ingest", "provider rates", "ranking",
                 "device KPIs", "violation detection", "history import", "league table",
                 "publish", "provider-evaluation report"):
        assert step in printed, step
    html = out / "reports" / "provider_evaluation" / "2026-10-01..2026-10-02" / "report.html"
    assert html.is_file() and str(html) in printed
    assert (html.parent / "lineage.json").is_file()
    # the list of what it produced: Chinese first, paths in one column on a terminal
    listed = printed.split("Produced 产出:\n", 1)[1].split("Look next", 1)[0].splitlines()
    assert len(listed) == 7 and listed[0].startswith("  模拟数据 simulated dumps")
    starts = {display_width(line[:line.index(str(out))]) for line in listed}
    assert len(starts) == 1, listed
    con = duckdb.connect(str(out / "published.duckdb"), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        for t in ("provider_rates", "provider_ranking", "enterprise_safety", "violations",
                  "vehicle_months"):
            assert t in tables, t
        n_rates = con.execute("SELECT count(*) FROM provider_rates").fetchall()[0][0]
        assert n_rates > 0
    finally:
        con.close()
