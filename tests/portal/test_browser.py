"""The portal in a real headless browser (Debian's Chromium driven by Playwright) against a
server the test starts with ``hazrisk app`` on 127.0.0.1: log in, open each page, read a
number, screenshot; and the app keeps answering while ``hazrisk publish`` rewrites the
snapshot in a loop."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from hazrisk.portal.scope import PAGES
from hazrisk.portal.users import add_user
from tests.portal.conftest import _run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking"]
PASSWORD = "browser-pass-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(published, tmp_path_factory):
    """``hazrisk app`` serving a copy of the sample snapshot (the copy is what publish
    rewrites in the loop test)."""
    root = tmp_path_factory.mktemp("browser")
    snapshot = root / "published.duckdb"
    shutil.copy(published.snapshot, snapshot)
    users = root / "users.json"
    add_user("eva", PASSWORD, "evaluator", path=users)
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "hazrisk", "app", "--snapshot", str(snapshot), "--port", str(port),
         "--users", str(users), "--reports", str(root / "reports")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read().decode() if proc.stdout else ""
            proc.kill()
            pytest.fail(f"hazrisk app did not come up: {out[-2000:]}")
        time.sleep(0.3)
    yield {"base": base, "snapshot": snapshot, "root": root, "warehouse": published.warehouse,
           "published": published}
    os.killpg(proc.pid, 15)
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _settle(page) -> None:
    """Wait until the script run finished (the running indicator is gone)."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=30_000)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)


def _login(page, base: str) -> None:
    """Log in once through the sidebar form: the first submit on a freshly started server must
    take (it did not while ``apps/`` had a ``pages/`` folder: Streamlit then ran the very
    first script run of the process in its folder-pages mode, under another page hash, so the
    login form's widget ids changed between that run and the submit)."""
    from playwright.sync_api import expect

    page.goto(base, wait_until="networkidle")
    _settle(page)
    for label, value in (("用户名 Login", "eva"), ("密码 Password", PASSWORD)):
        box = page.get_by_label(label)
        box.fill(value)
        expect(box).to_have_value(value)
    page.get_by_role("button", name="登录 Log in").click()
    page.get_by_role("button", name="退出 Log out").wait_for(timeout=30_000)
    _settle(page)


def _non_blank(png: Path) -> int:
    from PIL import Image

    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
    return len(colours)


def test_log_in_open_every_page_read_a_number_screenshot(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    _login(page, server["base"])
    ranking = server["published"].ranking_json
    timings = {}
    for key, (zh, en) in PAGES.items():
        t0 = time.perf_counter()
        page.get_by_role("link", name=f"{zh} {en}").click()
        page.get_by_role("heading", name=f"{zh} · {en}").wait_for(timeout=30_000)
        _settle(page)
        timings[key] = time.perf_counter() - t0
        assert page.locator('[data-testid="stException"]').count() == 0, key
        if key not in ("insurance", "reports"):  # tables are drawn on a canvas after the run
            page.locator('[data-testid="stDataFrame"]').first.wait_for(state="visible")
        page.wait_for_timeout(1500)
        shot = tmp_path / f"{key}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000 and _non_blank(shot) > 50, key
        assert page.get_by_text(zh, exact=False).first.is_visible()
        if key == "public":
            value = page.locator('[data-testid="stMetricValue"]').first.inner_text()
            assert value.strip() == f"{len(ranking)} 家"
        if key == "providers":
            score = page.locator('[data-testid="stMetricValue"]').first.inner_text()
            first = min(ranking, key=lambda r: r["provider_id"])
            assert score.strip() == f"{first['score']:,.2f} 分"
    keep = os.environ.get("HAZRISK_KEEP_SCREENSHOTS")
    if keep:
        shutil.copytree(tmp_path, keep, dirs_exist_ok=True)
    assert max(timings.values()) < 30


def test_keeps_answering_while_publish_rewrites_the_snapshot(server, browser):
    errors: list[str] = []
    stop = threading.Event()
    rounds = {"n": 0}

    def publish_loop() -> None:
        while not stop.is_set():
            try:
                _run(["publish", "--db", str(server["warehouse"]), "--out",
                      str(server["snapshot"])])
                rounds["n"] += 1
            except AssertionError as exc:  # pragma: no cover - reported below
                errors.append(f"publish: {exc}")

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _login(page, server["base"])
    worker = threading.Thread(target=publish_loop, daemon=True)
    worker.start()
    loads = 0
    try:
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline or rounds["n"] < 3:
            for zh, en in (PAGES["providers"], PAGES["quality"], PAGES["enterprises"]):
                page.get_by_role("link", name=f"{zh} {en}").click()
                page.get_by_role("heading", name=f"{zh} · {en}").wait_for(timeout=30_000)
                _settle(page)
                if page.locator('[data-testid="stException"]').count():
                    errors.append(page.locator('[data-testid="stException"]').first.inner_text())
                if page.locator('[data-testid="stAlertContentError"]').count():
                    errors.append(page.locator('[data-testid="stAlertContentError"]').first
                                  .inner_text())
                loads += 1
            if time.monotonic() > deadline + 60:
                break
    finally:
        stop.set()
        worker.join(timeout=60)
    print(f"publish loop: {rounds['n']} publishes, {loads} page loads, {len(errors)} errors")
    assert rounds["n"] >= 3, "publish ran fewer than 3 times"
    assert loads >= 6
    assert errors == []
