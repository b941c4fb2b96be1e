"""The whole command-line surface speaks one grammar (issue 14).

Every subcommand's ``--help`` is walked (discovered from the parser, so new commands are
covered automatically); every command that prints results is run on the ingested sample in
every output format; bad input (missing or non-DuckDB file, wrong date, unknown id, a
published snapshot as ``--db``) gives one line on stderr, the documented exit code and no
traceback, and leaves the snapshot untouched.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import importlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hazrisk.cli import build_parser, main
from hazrisk.cliutil import display_width

WIDTH = 80


def _subcommands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
                 ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _subcommands(sub, (*path, name))


COMMANDS = dict(_subcommands(build_parser()))


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: hazrisk " + " ".join(path))
    assert all(display_width(line) <= WIDTH for line in out.splitlines()), out


# --- runs on the sample ---------------------------------------------------------------------
P, E, PROV, MAKER, HIST = "{period}", "{enterprise}", "{provider}", "{maker}", "{history}"
VEH, HOLD, DAY = "{vehicle}", "{hold}", "{day}"  # HOLD: a fresh hold id each time (a release is once)
SAMPLE, DUMPS, OUT = "{sample}", "{dumps}", "{out}"  # OUT: a fresh path each time
MODEL = "{model}"  # the module's model folder (fitted once by the fixture)
#: Commands that create a warehouse on first use (a missing --db is not an error for them).
CREATES_DB = {("ingest",), ("registry", "import")}

#: One invocation of every command that prints results (``--format``), on the sample.
RUNS: dict[tuple[str, ...], list[str]] = {
    ("rates",): ["--period", P],
    ("rates", "explain"): ["--period", P, "--metric", "data_qualification", "--provider", PROV],
    ("devices",): ["--period", P],
    ("devices", "explain"): ["--period", P, "--metric", "data_preservation", "--maker", MAKER],
    ("detect",): ["--period", P],
    ("daily",): ["--day", DAY],
    ("safety",): ["--period", P],
    ("safety", "history"): ["--enterprise", E],
    ("history", "import"): [HIST],
    ("hold", "set"): ["--vehicle", VEH, "--period", P, "--reason", "事故调查 test"],
    ("hold", "list"): [],
    ("hold", "release"): [HOLD, "--reason", "调查结束 closed"],
    ("ingest",): [DUMPS, "--no-progress"],
    ("registry", "import"): [SAMPLE],
    ("retain",): ["--as-of", "2026-10-02", "--dry-run"],
    ("publish",): ["--out", OUT],
    ("export",): ["--out", OUT],
    ("model", "fit"): ["--train-years", "2022-2024", "--test-year", "2025", "--out", MODEL],
    ("premium",): ["--model", MODEL, "--year", "2025"],
}
#: Further forms of the same commands.
EXTRA_RUNS: list[tuple[tuple[str, ...], list[str]]] = [
    (("rates",), ["--period", P, "--ranking"]),
    (("rates",), ["--period", P, "--no-store", "--provider", PROV]),
    (("devices",), ["--period", P, "--no-store", "--maker", MAKER]),
    (("safety",), ["--period", P, "--enterprise", E]),
    (("safety", "history"), ["--enterprise", E, "--period", "2026-09..2026-12"]),
]
#: Unknown ids: exit 1 naming the id.
UNKNOWN: list[tuple[tuple[str, ...], list[str], str]] = [
    (("rates",), ["--period", P, "--provider", "P99"], "P99"),
    (("rates", "explain"), ["--period", P, "--metric", "online", "--provider", "P99"], "P99"),
    (("devices",), ["--period", P, "--maker", "M99"], "M99"),
    (("devices", "explain"), ["--period", P, "--metric", "repair_24h", "--maker", "M99"], "M99"),
    (("safety",), ["--period", P, "--enterprise", "E9999"], "E9999"),
    (("safety", "history"), ["--enterprise", "E9999"], "E9999"),
]


def test_every_command_that_prints_results_is_run() -> None:
    printing = {path for path, p in COMMANDS.items()
                if "--format" in _options(p) and "--db" in _options(p)}
    assert printing - set(RUNS) == set(), "add an invocation to RUNS"


@pytest.fixture(scope="module")
def wh(ingested_sample: Any, sample_dir: Path,
       tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the ingested sample (this module writes rates and safety results), its
    detected histories, a published snapshot of it, and the ids to ask for."""
    import duckdb

    folder = tmp_path_factory.mktemp("surface")
    db = ingested_sample.copy_to(folder)
    period = f"{ingested_sample.start.isoformat()}..{ingested_sample.end.isoformat()}"
    with _quiet():
        assert main(["detect", "--db", str(db), "--period", period, "--no-progress"]) == 0
        assert main(["rates", "--db", str(db), "--period", period]) == 0
        assert main(["history", "import", str(sample_dir / "history"), "--db", str(db)]) == 0
        assert main(["model", "fit", "--db", str(db), "--train-years", "2022-2024",
                     "--test-year", "2025", "--out", str(folder / "model")]) == 0
        snap = folder / "published.duckdb"
        assert main(["publish", "--db", str(db), "--out", str(snap)]) == 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        def first(sql: str) -> str:
            return str(con.execute(sql).fetchall()[0][0])

        ids = {"provider": first("SELECT min(provider_id) FROM core.providers"),
               "maker": first("SELECT min(maker_id) FROM core.device_makers"),
               "enterprise": first("SELECT min(enterprise_id) FROM safety.enterprise_months"),
               "vehicle": first("SELECT min(vehicle_id) FROM core.vehicles")}
    finally:
        con.close()
    holds = []
    for _ in range(8):  # one per `hold release` run
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            assert main(["hold", "set", "--db", str(db), "--vehicle", ids["vehicle"],
                         "--period", period, "--reason", "fixture", "--json"]) == 0
        holds.append(str(json.loads(out.getvalue())[0]["hold_id"]))
    return {"db": db, "snapshot": snap, "period": period,
            "history": str(sample_dir / "history"), "holds": holds, "sample": str(sample_dir),
            "dumps": str(sample_dir / "dumps"), "outs": folder / "outs",
            "model": str(folder / "model"), "day": ingested_sample.start.isoformat(), **ids}


class _quiet:
    def __enter__(self) -> None:
        import contextlib

        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        self._stack.enter_context(contextlib.redirect_stderr(io.StringIO()))

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def _argv(path: tuple[str, ...], args: list[str], wh: dict[str, Any], db: Path | str) -> list[str]:
    fill = {P: wh["period"], E: wh["enterprise"], PROV: wh["provider"], MAKER: wh["maker"],
            HIST: wh["history"], VEH: wh["vehicle"], DAY: wh["day"]}
    if HOLD in args:
        fill[HOLD] = wh["holds"].pop()
    fill[SAMPLE], fill[DUMPS], fill[MODEL] = wh["sample"], wh["dumps"], wh["model"]
    if OUT in args:
        wh["outs"].mkdir(exist_ok=True)
        fill[OUT] = str(wh["outs"] / f"out{len(list(wh['outs'].iterdir()))}.duckdb")
    return [*path, "--db", str(db), *[fill.get(a, a) for a in args]]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


ALL_RUNS = [(p, a) for p, a in RUNS.items()] + EXTRA_RUNS


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize(("path", "args"), ALL_RUNS, ids=[" ".join(p) + " " + " ".join(a[2:4])
                                                          for p, a in ALL_RUNS])
def test_runs_in_every_format(path: tuple[str, ...], args: list[str], fmt: str,
                              wh: dict[str, Any], capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    code, out, err = _run([*_argv(path, args, wh, wh["db"]), "--format", fmt,
                           *(["--no-progress"] if path == ("detect",) else [])], capsys)
    assert code == 0, err
    if fmt == "json":
        data = json.loads(out)
        assert data, "empty result"
        if isinstance(data, list) and "period" in data[0] and "history" not in path:
            assert {r["period"] for r in data} <= {wh["period"], "2026-09..2026-12"}
    elif fmt == "csv":
        assert out.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
        assert rows and all(len(r) == len(rows[0]) for r in rows)
    else:
        lines = out.splitlines()
        assert lines and all(display_width(line) <= WIDTH for line in lines), out


def test_json_alias_and_period_forms_agree(wh: dict[str, Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    start, end = wh["period"].split("..")
    a = _run([*_argv(("safety",), [], wh, wh["db"]), "--period", wh["period"], "--json"], capsys)
    b = _run([*_argv(("safety",), [], wh, wh["db"]), "--start", start, "--end", end,
              "--format", "json"], capsys)
    assert a[0] == b[0] == 0 and json.loads(a[1]) == json.loads(b[1])
    code, out, _ = _run([*_argv(("detect",), [], wh, wh["db"]), "--start", start, "--end", end,
                         "--json", "--no-progress"], capsys)
    assert code == 0 and (json.loads(out)["start"], json.loads(out)["end"]) == (start, end)


# --- bad input ------------------------------------------------------------------------------
def _one_line_error(err: str, command: tuple[str, ...]) -> None:
    assert err.count("\n") == 1 and err.startswith("hazrisk " + " ".join(command)), err


@pytest.mark.parametrize("path", sorted(set(RUNS) - CREATES_DB), ids=" ".join)
def test_missing_and_non_duckdb_files(path: tuple[str, ...], wh: dict[str, Any], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.duckdb"
    code, out, err = _run(_argv(path, RUNS[path], wh, missing), capsys)
    assert code == 2 and out == "" and "no such file" in err and not missing.exists()
    _one_line_error(err, path)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n", encoding="utf-8")
    code, _, err = _run(_argv(path, RUNS[path], wh, text), capsys)
    assert code == 2 and str(text) in err
    _one_line_error(err, path)
    assert text.read_text(encoding="utf-8") == "not a database\n"


@pytest.mark.parametrize("path", sorted(RUNS), ids=" ".join)
def test_snapshot_as_db_is_refused_and_untouched(path: tuple[str, ...], wh: dict[str, Any],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    snap = wh["snapshot"]
    before = hashlib.sha256(snap.read_bytes()).hexdigest()
    code, _, err = _run(_argv(path, RUNS[path], wh, snap), capsys)
    assert code == 2 and "published snapshot" in err
    _one_line_error(err, path)
    assert hashlib.sha256(snap.read_bytes()).hexdigest() == before


@pytest.mark.parametrize("path", sorted(p for p in RUNS if P in RUNS[p]), ids=" ".join)
@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13", "October", "2026-10-05..2026-10-01"])
def test_wrong_dates_are_usage_errors(path: tuple[str, ...], bad: str, wh: dict[str, Any],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    args = [bad if a == P else a for a in RUNS[path]]
    code, out, err = _run(_argv(path, args, wh, wh["db"]), capsys)
    assert code == 2 and out == "" and (bad.split("..")[0] in err or "before it starts" in err)
    _one_line_error(err, path)
    code, _, err = _run([*_argv(path, RUNS[path], wh, wh["db"]), "--end", "2026-10-02"], capsys)
    assert code == 2 and "not both" in err


@pytest.mark.parametrize(("path", "args", "name"), UNKNOWN, ids=[" ".join(u[0]) for u in UNKNOWN])
def test_unknown_ids_exit_1(path: tuple[str, ...], args: list[str], name: str,
                            wh: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(_argv(path, args, wh, wh["db"]), capsys)
    assert code == 1 and "unknown" in err and name in err
    _one_line_error(err, path)


def test_limit_below_one_is_a_usage_error(wh: dict[str, Any],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for limit in ("-1", "0"):
        code, _, err = _run([*_argv(("rates", "explain"), RUNS[("rates", "explain")], wh,
                                    wh["db"]), "--limit", limit], capsys)
        assert code == 2 and "--limit" in err
        _one_line_error(err, ("rates", "explain"))


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_usage_errors_are_one_line(path: tuple[str, ...],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*path, "--no-such-option"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1, err
    assert "--no-such-option" in err or "required" in err, err


@pytest.mark.parametrize("path", [("rates",), ("devices",), ("safety",)], ids=" ".join)
def test_a_period_without_data_finds_nothing(path: tuple[str, ...], wh: dict[str, Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    code, _, err = _run([*path, "--db", str(wh["db"]), "--period", "2031-01"], capsys)
    assert code == 1 and "2031-01" in err
    _one_line_error(err, path)
    con = duckdb.connect(str(wh["db"]), read_only=True)
    try:  # nothing stored for it
        assert con.execute("SELECT count(*) FROM rates.periods WHERE period = '2031-01'"
                           ).fetchall() == [(0,)]
    finally:
        con.close()


def test_an_unknown_provider_stores_nothing(wh: dict[str, Any],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb

    day = wh["period"].split("..")[0]
    code, _, err = _run(["rates", "--db", str(wh["db"]), "--period", day, "--provider", "P99"],
                        capsys)
    assert code == 1 and "P99" in err
    con = duckdb.connect(str(wh["db"]), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM rates.periods WHERE period_start = $d "
                           "AND period_end = $d", {"d": day}).fetchall() == [(0,)]
    finally:
        con.close()


def test_columns_pick_the_table_columns(wh: dict[str, Any],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([*_argv(("rates",), RUNS[("rates",)], wh, wh["db"]), "--no-store",
                         "--columns", "provider,metric,rate"], capsys)
    assert code == 0 and out.splitlines()[0].split() == ["provider", "metric", "rate"]


def test_command_map_names_every_registered_command() -> None:
    """``hazrisk.cli.COMMANDS`` (a run imports only its command's module) lists exactly the
    commands each module registers."""
    from hazrisk import cli

    registered = {}
    for name in cli.COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(name).register(sub)
        registered.update(dict.fromkeys(sub.choices, name))
    assert registered == cli.COMMANDS


def test_one_command_imports_only_its_module() -> None:
    """``hazrisk ingest`` does not import scikit-learn, Streamlit or the other commands."""
    code = ("import sys\nfrom hazrisk.cli import main\n"
            "try:\n    main(['ingest', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m in ('sklearn', 'streamlit', "
            "'hazrisk.risk.cli', 'hazrisk.portal.cli', 'hazrisk.reports.cli')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "COLUMNS": "80"}).stdout
    assert out.strip().splitlines()[-1] == "[]"
