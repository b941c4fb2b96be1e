"""Project-level checks: packaging metadata, environment.yml parity, rules sourced, CLI help."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hazrisk.config import ConfigError, load_rules

REPO = Path(__file__).resolve().parents[1]


def _norm(req: str) -> tuple[str, str]:
    m = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", req.strip())
    assert m, req
    name = m.group(1).lower().replace("_", "-")
    return {"python-duckdb": "duckdb"}.get(name, name), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    wanted = dict(_norm(r) for r in pyproject["project"]["dependencies"])
    for extra in ("reports", "app", "lab", "excel"):
        wanted.update(_norm(r) for r in pyproject["project"]["optional-dependencies"][extra])
    conda = {}
    in_deps = False
    for line in (REPO / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        m = re.match(r"\s+- ([A-Za-z][^:]*)$", line)
        if in_deps and m and not m.group(1).startswith(("python=", "pip")):
            name, spec = _norm(m.group(1))
            conda[name] = spec
    assert conda == wanted


def test_every_rule_has_a_source() -> None:
    rules = load_rules()
    for name, section in rules.sections.items():
        for key in section:
            assert rules.source(f"{name}.{key}").strip(), f"{name}.{key}"


def test_rules_override_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "r.toml"
    good.write_text('[speed]\nhazmat_other_kmh = 50\n[speed.sources]\nhazmat_other_kmh = "协会 2026-11 decision"\n')
    rules = load_rules(good)
    assert rules.speed.hazmat_other_kmh == 50
    assert rules.speed.hazmat_expressway_kmh == 80
    assert rules.source("speed.hazmat_other_kmh") == "协会 2026-11 decision"
    bad = tmp_path / "bad.toml"
    bad.write_text("[speed]\nno_such_key = 1\n")
    with pytest.raises(ConfigError, match="speed.no_such_key"):
        load_rules(bad)
    unsourced = tmp_path / "u.toml"
    unsourced.write_text("[speed]\nhazmat_other_kmh = 55\n")
    assert "(overridden)" in load_rules(unsourced).source("speed.hazmat_other_kmh")


#: Every subcommand `hazrisk --help` must list (one per line, indented, then its help).
COMMANDS = ("decode", "simulate", "ingest", "registry", "retain", "publish", "export", "rates",
            "devices", "detect", "safety", "history", "report", "lab", "demo")

_BLOCK = """
import importlib.abc
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == {name!r}:
            raise ImportError("simulated broken area: " + name)
sys.meta_path.insert(0, _Block())
"""


def _help(broken: str | None = None) -> subprocess.CompletedProcess[str]:
    """`hazrisk --help` in a fresh interpreter; ``broken``: a module made to fail to import."""
    code = "import runpy, sys\n" + (_BLOCK.format(name=broken) if broken else "")
    code += "sys.argv = ['hazrisk', '--help']\nrunpy.run_module('hazrisk', run_name='__main__')\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def _help_problems(run: subprocess.CompletedProcess[str]) -> list[str]:
    listed = set(re.findall(r"^ {4}([a-z]+) ", run.stdout, re.M))
    problems = [f"not listed: {c}" for c in COMMANDS if c not in listed]
    if run.returncode != 0:
        problems.append(f"exit code {run.returncode}")
    if run.stderr.strip():
        problems.append(f"stderr: {run.stderr.strip()}")
    return problems


def test_cli_help_lists_commands() -> None:
    assert _help_problems(_help()) == []


@pytest.mark.parametrize("broken,command", [("hazrisk.rates.cli", "rates"),
                                            ("hazrisk.demo", "demo")])
def test_cli_help_check_fails_when_an_area_fails_to_import(broken: str, command: str) -> None:
    """The parser keeps the other areas' commands when one fails to import (and says so on
    stderr); the check above must then fail: the area's commands are missing."""
    problems = _help_problems(_help(broken))
    assert f"not listed: {command}" in problems
    assert any("simulated broken area" in p for p in problems)


def test_core_does_not_import_ui_stacks() -> None:
    code = (
        "import sys, hazrisk, hazrisk.config, hazrisk.cli; hazrisk.cli.build_parser();"
        "bad = [m for m in ('streamlit', 'papermill') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
