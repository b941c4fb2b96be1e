"""Portal page render times on the demo snapshot: each page as the evaluator, script run
(Streamlit AppTest; first visit with an empty cache and repeat visits) and in Chromium (click
in the navigation until the page has settled). Budget: 2 s a page.

The snapshot is ``data/local/demo/published.duckdb`` (``make demo``; ``HAZRISK_BENCH_SNAPSHOT``
to use another); ``--quick`` publishes the committed sample into a temporary folder instead.

Run: ``python -m benchmarks --only portal``.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

DESCRIPTION = "portal pages: render time per page on the demo snapshot (budget 2 s)"
REPO = Path(__file__).resolve().parents[1]
APP = REPO / "apps" / "app.py"
BUDGET_S = 2.0
REPEATS = 3


def _snapshot(quick: bool, work: Path) -> Path:
    if not quick:
        path = Path(os.environ.get("HAZRISK_BENCH_SNAPSHOT", REPO / "data/local/demo/published.duckdb"))
        if not path.exists():
            raise SystemExit(f"{path}: no demo snapshot; run `make demo` first")
        return path
    from hazrisk.cli import main as hz

    db, out, sample = work / "w.duckdb", work / "published.duckdb", REPO / "data" / "sample"
    for argv in (["registry", "import", str(sample), "--db", str(db)],
                 ["ingest", str(sample / "dumps"), "--db", str(db), "--no-progress"],
                 ["rates", "--db", str(db), "--period", "2026-10"],
                 ["devices", "--db", str(db), "--period", "2026-10"],
                 ["detect", "--db", str(db), "--no-progress"],
                 ["publish", "--db", str(db), "--out", str(out)]):
        hz(argv)
    return out


def _apptest_times(snapshot: Path) -> dict[str, Any]:
    from streamlit.testing.v1 import AppTest

    from hazrisk.portal.scope import PAGES
    from hazrisk.portal.users import User

    os.environ["HAZRISK_SNAPSHOT"] = str(snapshot)
    out: dict[str, Any] = {}
    warm = AppTest.from_file(str(APP), default_timeout=120)  # imports, first script run
    warm.session_state["user"] = User("bench", "evaluator")
    t0 = time.perf_counter()
    warm.run()
    out["_startup"] = round(time.perf_counter() - t0, 3)
    from hazrisk.snapshot import open_snapshot

    con = open_snapshot(snapshot)
    try:
        first = str(con.execute("SELECT min(enterprise_id) FROM mart.enterprises").fetchone()[0])
    finally:
        con.close()
    viewers = [(key, key, User("bench", "evaluator")) for key in PAGES]
    # the enterprise's own page also reads its drivers in clear (restricted publication)
    viewers.append(("enterprises as the enterprise", "enterprises",
                    User("bench-ent", "enterprise", scope=first)))
    for label, key, user in viewers:
        runs = []
        for _ in range(REPEATS + 1):
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.session_state["user"] = user
            at.run()
            at.switch_page(f"screens/{key}.py")
            t = time.perf_counter()
            at.run()
            runs.append(time.perf_counter() - t)
            if at.exception:
                raise RuntimeError(f"{key}: {at.exception[0].value}")
        out[label] = {"first_s": round(runs[0], 3), "repeat_median_s": round(
            statistics.median(runs[1:]), 3)}
    return out


def _browser_times(snapshot: Path, work: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from hazrisk.portal.scope import PAGES
    from hazrisk.portal.users import add_user

    users = work / "users.json"
    add_user("bench", "bench-pass-1", "evaluator", path=users, replace=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "hazrisk", "app", "--snapshot", str(snapshot),
                             "--port", str(port), "--users", str(users)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        times: dict[str, list[float]] = {k: [] for k in PAGES}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base, wait_until="networkidle")
            page.get_by_label("用户名 Login").fill("bench")
            page.get_by_label("密码 Password").fill("bench-pass-1")
            page.get_by_role("button", name="登录 Log in").click()
            page.get_by_role("button", name="退出 Log out").wait_for(timeout=30_000)
            for _ in range(REPEATS):
                for key, (zh, en) in PAGES.items():
                    t = time.perf_counter()
                    page.get_by_role("link", name=f"{zh} {en}").click()
                    page.get_by_role("heading", name=f"{zh} · {en}").wait_for()
                    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")
                    times[key].append(time.perf_counter() - t)
            browser.close()
        return {k: round(statistics.median(v), 3) for k, v in times.items()}
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


def run(quick: bool = False) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    try:
        snapshot = _snapshot(quick, work)
        result: dict[str, Any] = {"snapshot": str(snapshot), "budget_s": BUDGET_S,
                                  "script": _apptest_times(snapshot)}
        result["browser_median_s"] = _browser_times(snapshot, work)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(result: dict[str, Any]) -> str:
    lines = [f"snapshot {result['snapshot']} (budget {result['budget_s']} s a page)",
             f"{'page':30s} {'first run':>10s} {'repeat':>8s} {'browser':>8s}"]
    lines.insert(1, f"first script run of a fresh process (imports + public page): "
                    f"{result['script']['_startup']:.2f} s")
    for key, t in result["script"].items():
        if key.startswith("_"):
            continue
        b = result["browser_median_s"].get(key, float("nan"))
        lines.append(f"{key:30s} {t['first_s']:>9.2f}s {t['repeat_median_s']:>7.2f}s {b:>7.2f}s")
    return "\n".join(lines)
