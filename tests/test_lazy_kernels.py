"""Numba is imported where a compiled kernel is first called (:mod:`hazrisk.kernels`), not with
the modules that call the kernels: importing ``hazrisk.safety``, the detection pipeline or any
command module, and running a command that calls no kernel, leave Numba out of the process
(``import numba`` alone is ~0.4 s and ~60 MB a process). Each check runs in a new interpreter,
since an import cannot be undone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hazrisk.cli import COMMAND_MODULES

#: Imports each module named on the command line in turn; prints the first after which Numba
#: is loaded, or "-".
_FIRST_LOADING_NUMBA = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    if "numba" in sys.modules:
        print(name)
        break
else:
    print("-")
"""

#: Modules that hold or call kernels but must not load Numba when imported.
CALLERS = ("hazrisk.safety", "hazrisk.safety.pipeline", "hazrisk.safety.geo",
           "hazrisk.fix_batches", "hazrisk.rates", "hazrisk.jt808")


def _first_loading_numba(*modules: str) -> str:
    out = subprocess.run([sys.executable, "-c", _FIRST_LOADING_NUMBA, *modules],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_no_command_module_and_no_kernel_caller_imports_numba() -> None:
    assert _first_loading_numba(*CALLERS, *COMMAND_MODULES) == "-"


@pytest.mark.parametrize("module", ["hazrisk.fix_batch_kernels", "hazrisk.safety.geo_kernels",
                                    "hazrisk.safety.corridors"])
def test_the_kernel_modules_themselves_do(module: str) -> None:
    """The check above can fail: a module defining a kernel loads Numba when imported."""
    assert _first_loading_numba("hazrisk.safety", module) == module


_COMMANDS = """
import sys
from hazrisk.cli import main
from hazrisk.store.connect import connect

db = sys.argv[1]
connect(db).close()
codes = [main(["detect", "--db", db, "--json"]),
         main(["detect", "--db", db, "--period", "2026-10", "--json"]),
         main(["safety", "--db", db, "--period", "2026-10", "--json"]),
         main(["rates", "--db", db, "--period", "2026-10", "--json"]),
         main(["hold", "list", "--db", db])]
print(codes, "numba" in sys.modules)
"""


def test_commands_that_call_no_kernel_do_not_load_numba(tmp_path: Path) -> None:
    """On an empty warehouse: ``detect`` without a period finds no day with data (exit 1);
    over a month it runs the whole pipeline on no fixes (exit 0: no kernel is called);
    ``safety`` and ``rates`` find nothing to show (exit 1), ``hold list`` no hold (exit 0)."""
    out = subprocess.run([sys.executable, "-c", _COMMANDS, str(tmp_path / "w.duckdb")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[1, 0, 1, 1, 0] False", out.stderr
