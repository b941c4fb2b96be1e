"""JupyterLab opens the jupytext notebooks as notebooks (the lab extra's server, offline)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_jupyterlab_serves_percent_scripts_as_notebooks(tmp_path: Path) -> None:
    port, token = _free_port(), "hazrisk-test"
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={REPO / 'notebooks'}", "--ServerApp.port_retries=0", "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={"JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"), "JUPYTER_RUNTIME_DIR":
             str(tmp_path / "rt"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("jupyter lab did not start") from None
                time.sleep(0.5)
        for name in ("provider_evaluation", "enterprise_safety", "premium_review",
                     "data_quality", "explore"):
            url = f"{base}/api/contents/{name}.py?type=notebook&content=1&token={token}"
            with urllib.request.urlopen(url, timeout=30) as resp:
                model = json.loads(resp.read())
            assert model["type"] == "notebook", name
            cells = model["content"]["cells"]
            assert cells[0]["metadata"].get("tags") == ["parameters"], name
            assert any(c["cell_type"] == "markdown" for c in cells)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
