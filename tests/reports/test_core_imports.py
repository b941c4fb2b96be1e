"""The core package imports neither papermill nor matplotlib (nor nbconvert/jupytext): reports
and charts load them only when used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("papermill", "matplotlib", "nbconvert", "nbclient", "jupytext")


def test_core_import_is_light() -> None:
    code = (
        "import sys, hazrisk, hazrisk.cli, hazrisk.snapshot, hazrisk.geodata, hazrisk.charts, "
        "hazrisk.reports\n"
        "hazrisk.cli.build_parser()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
