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
    return {"python-duckdb": "duckdb", "python-isal": "isal"}.get(name, name), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    wanted = dict(_norm(r) for r in pyproject["project"]["dependencies"])
    for extra in ("reports", "app", "lab", "excel", "risk", "spark"):
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


def test_cli_help_lists_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hazrisk", "--help"], capture_output=True, text=True, check=True
    )
    assert "commands" in done.stdout
    assert "unavailable" not in done.stderr, done.stderr  # every area imported
    for command in ("decode", "simulate", "ingest", "registry", "retain", "publish", "export",
                    "rates", "devices", "detect", "safety", "demo"):
        assert f"    {command}" in done.stdout, command


def test_a_broken_core_area_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    import hazrisk.cli as cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "hazrisk.no_such_area"))
    with pytest.raises(ImportError):
        cli.build_parser()
    # an optional area may be missing only for a third-party package, never for hazrisk itself
    monkeypatch.setattr(cli, "OPTIONAL_COMMAND_MODULES", {"hazrisk.no_such_area": "app"})
    with pytest.raises(ImportError):
        cli.build_parser()


_BLOCK = """
import importlib.abc, runpy, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == {name!r}:
            raise ImportError("simulated broken area: " + name, name=name)
sys.meta_path.insert(0, _Block())
sys.argv = ["hazrisk", "--help"]
runpy.run_module("hazrisk", run_name="__main__")
"""


@pytest.mark.parametrize("area", ["hazrisk.rates.cli", "hazrisk.demo"])
def test_help_fails_when_an_existing_area_fails_to_import(area: str) -> None:
    """`hazrisk --help` in a fresh interpreter where one real area's import raises: the help
    test's subprocess (check=True) would fail, instead of listing the other areas."""
    done = subprocess.run([sys.executable, "-c", _BLOCK.format(name=area)],
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "simulated broken area" in done.stderr


def test_an_optional_area_without_its_extra_is_reported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import hazrisk.cli as cli

    (tmp_path / "hz_optional_probe.py").write_text("import no_such_package_xyz\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "hz_optional_probe"))
    monkeypatch.setattr(cli, "OPTIONAL_COMMAND_MODULES", {"hz_optional_probe": "app"})
    assert "rates" in cli.build_parser().format_help()
    err = capsys.readouterr().err
    assert "no_such_package_xyz is not installed" in err and "hazrisk[app]" in err


def test_core_does_not_import_ui_stacks() -> None:
    code = (
        "import sys, hazrisk, hazrisk.config, hazrisk.cli; hazrisk.cli.build_parser();"
        "bad = [m for m in ('streamlit', 'papermill') if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
