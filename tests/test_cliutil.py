"""The shared command-line grammar (hazrisk.cliutil)."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from hazrisk import cliutil
from hazrisk.cli import run_command


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    cliutil.add_period_arguments(p)
    cliutil.add_format_argument(p)
    return p


def test_period_forms_agree() -> None:
    p = _parser()
    a = cliutil.period_from_args(p.parse_args(["--period", "2026-10-01..2026-10-07"]))
    b = cliutil.period_from_args(p.parse_args(["--start", "2026-10-01", "--end", "2026-10-07"]))
    assert a == b and a is not None and a.end.isoformat() == "2026-10-07"


@pytest.mark.parametrize("argv", [["--period", "2026-13"], ["--start", "2026-02-30", "--end", "2026-03-01"],
                                  ["--start", "2026-10-01"], [], ["--period", "2026-10", "--end", "2026-10-02"]])
def test_bad_periods_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(cliutil.CliError) as err:
        cliutil.period_from_args(_parser().parse_args(argv))
    assert err.value.code == cliutil.EXIT_USAGE and "\n" not in err.value.message


def test_json_alias_and_format() -> None:
    p = _parser()
    assert cliutil.output_format(p.parse_args([])) == "table"
    assert cliutil.output_format(p.parse_args(["--json"])) == "json"
    with pytest.raises(cliutil.CliError):
        cliutil.output_format(p.parse_args(["--json", "--format", "csv"]))


def test_table_fits_width_and_aligns_chinese() -> None:
    rows = [{"provider": "P01", "name_zh": "车辆数据规范率", "rate": 0.5, "note": "x" * 80}] * 2
    buf = io.StringIO()
    cliutil.emit(rows, "table", out=buf, width=50)
    lines = buf.getvalue().splitlines()
    assert all(cliutil.display_width(line) <= 50 for line in lines)
    assert cliutil.display_width(lines[1]) == cliutil.display_width(lines[2])


def test_csv_has_bom_and_json_parses() -> None:
    rows = [{"a": 1, "b": "浙江"}]
    buf = io.StringIO()
    cliutil.emit(rows, "csv", out=buf)
    assert buf.getvalue().startswith("\ufeffa,b")
    buf = io.StringIO()
    cliutil.emit(rows, "json", out=buf)
    assert json.loads(buf.getvalue()) == rows


def test_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def boom(_args: argparse.Namespace) -> int:
        raise RuntimeError("first line\nsecond line")

    args = argparse.Namespace(command_name="x")
    assert run_command(boom, args) == cliutil.EXIT_FAILED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "first line" in err and "Traceback" not in err


def test_missing_db_is_usage_error(tmp_path) -> None:
    with pytest.raises(cliutil.CliError) as err:
        cliutil.open_warehouse(tmp_path / "nope.duckdb")
    assert err.value.code == 2
    assert not (tmp_path / "nope.duckdb").exists()


def test_table_shows_beijing_times_plainly_and_keeps_short_values() -> None:
    rows = [{"id": "E0001", "time": "2026-10-01T08:00:01.500000+08:00", "note": "x" * 60}]
    buf = io.StringIO()
    cliutil.emit(rows, "table", out=buf, width=50)
    lines = buf.getvalue().splitlines()
    assert "2026-10-01 08:00:01" in lines[1] and lines[1].startswith("E0001")
    assert all(cliutil.display_width(line) <= 50 for line in lines)
    buf = io.StringIO()
    cliutil.emit(rows, "json", out=buf)
    assert json.loads(buf.getvalue())[0]["time"] == rows[0]["time"]
