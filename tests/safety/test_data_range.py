"""The days ``hazrisk detect`` covers without a period (hazrisk.safety.data_range): hand-computed
counts, the rule both engines apply to them, and its share from the rules file
(``[safety] data_day_min_share``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from safety_builders import World, ts

from hazrisk.cli import main
from hazrisk.config import load_rules
from hazrisk.safety.data_range import data_range
from hazrisk.safety.params import SafetyParams
from hazrisk.store.connect import connect

SHARE = SafetyParams.from_rules().data_day_min_share


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(":memory:")
    yield c
    c.close()


def test_stray_days_do_not_stretch_the_range(con: duckdb.DuckDBPyConnection) -> None:
    """Median of (3, 1000, 1200, 900, 2) is 900: a day needs 9 positions, so the broken
    clock's day before and the one after fall out; a quiet day inside stays inside."""
    assert SHARE == 0.01
    counts = {date(2025, 1, 1): 3, date(2026, 10, 1): 1000, date(2026, 10, 2): 1200,
              date(2026, 10, 3): 900, date(2027, 6, 1): 2}
    assert data_range(con, counts, min_share=SHARE) == (date(2026, 10, 1), date(2026, 10, 3))
    edge = {date(2026, 10, 1): 900, date(2026, 10, 2): 900, date(2026, 10, 9): 9}
    assert data_range(con, edge, min_share=SHARE) == (date(2026, 10, 1), date(2026, 10, 9))
    edge[date(2026, 10, 9)] = 8  # 1 % exactly above, just below here
    assert data_range(con, edge, min_share=SHARE) == (date(2026, 10, 1), date(2026, 10, 2))


def test_no_day_no_range(con: duckdb.DuckDBPyConnection) -> None:
    assert data_range(con, min_share=SHARE) is None  # an empty warehouse: its own day counts
    assert data_range(con, {}, min_share=SHARE) is None


def _rules(tmp_path: Path, share: object) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(f"[safety]\ndata_day_min_share = {share}\n[safety.sources]\n"
                    'data_day_min_share = "the association\'s decision"\n', encoding="utf-8")
    return path


def test_a_rules_file_sets_the_share(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """0.008 of the median 900 is 7.2: the day of 8 positions counts again."""
    params = SafetyParams.from_rules(load_rules(_rules(tmp_path, 0.008)))
    assert params.data_day_min_share == 0.008
    assert params.sources["safety.data_day_min_share"] == "the association's decision"
    edge = {date(2026, 10, 1): 900, date(2026, 10, 2): 900, date(2026, 10, 9): 8}
    assert data_range(con, edge, min_share=params.data_day_min_share) == (
        date(2026, 10, 1), date(2026, 10, 9))
    for bad in (1.5, -0.01):
        with pytest.raises(ValueError, match="data_day_min_share"):
            SafetyParams.from_rules(load_rules(_rules(tmp_path, bad)))


def test_detect_without_a_period_reads_the_share_from_conf(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two days of 241 fixes each and one fix a week later (1/241 = 0.41 % of the median):
    the default 1 % leaves the stray day out, ``--conf`` with 0.4 % takes it in, and a share
    above 1 is refused as a usage error naming the key."""
    db = tmp_path / "w.duckdb"
    w = World(con=connect(db))
    w.vehicle("A1")
    for day in ("2026-10-01", "2026-10-02"):
        w.drive("A1", ts(f"{day} 08:00:00"), 7200, speed=50)  # 240 moving + 1 stopped
    w.fixes("A1", [ts("2026-10-09 08:00:00")], 0.0, 0.0, 0.0)
    w.con.close()
    assert main(["detect", "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["start"], out["end"]) == ("2026-10-01", "2026-10-02")
    rules = _rules(tmp_path, 0.004)
    assert main(["detect", "--db", str(db), "--conf", str(rules), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["start"], out["end"]) == ("2026-10-01", "2026-10-09")
    assert main(["detect", "--db", str(db), "--conf", str(_rules(tmp_path, 2.0))]) == 2
    assert "safety.data_day_min_share = 2.0 must be a share from 0 to 1" in (
        capsys.readouterr().err)
