"""Real Chromium (Debian's package) driven by Playwright against a live server."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise RuntimeError("Debian's chromium is missing: run `make system-deps`")
    return path


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, request):
    """A 390×844 phone in zh-CN; screenshots land in test-artifacts/<test name>/."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  device_scale_factor=2, is_mobile=True, has_touch=True,
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the person confirms what they asked
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    shots = iter(range(1, 100))

    def shot(name: str) -> Path:
        path = folder / f"{next(shots):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    page.shot = shot
    yield page
    context.close()
