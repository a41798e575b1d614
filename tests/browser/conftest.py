"""Real Chromium (Debian's package) driven by Playwright against a live server."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


# Runs in every frame before the page's own scripts (Playwright injects it, so the page's
# CSP does not apply to it) and hands each violation report to the test.
CSP_PROBE = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__wusheCspViolation({page: document.location.href, directive: e.effectiveDirective,
    blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample});
}, true);
"""
# What Chromium's console says about a blocked resource or eval, and Alpine's CSP build about
# an expression it cannot evaluate (it logs a warning and leaves the element alone)
CONSOLE_PROBLEMS = ("Refused to", "Content Security Policy", "Alpine Expression Error",
                    "CSP Parser Error")


class CspRecorder:
    """Every CSP violation, and every Alpine expression the CSP build refused, in any page
    of any browser context the test opens."""

    def __init__(self):
        self.problems: list[str] = []

    def attach(self, context) -> None:
        context.expose_binding("__wusheCspViolation", lambda source, report: self.problems.append(
            f"violation of {report['directive']} on {report['page']}: blocked "
            f"{report['blocked'] or 'inline'} ({report['source']}:{report['line']}) "
            f"{report['sample']!r}"))
        context.add_init_script(CSP_PROBE)
        context.on("console", self._console)

    def _console(self, message) -> None:
        if any(sign in message.text for sign in CONSOLE_PROBLEMS):
            where = message.page.url if message.page else "?"
            self.problems.append(f"console {message.type} on {where}: {message.text}")

    def clear(self) -> list[str]:
        seen, self.problems = self.problems, []
        return seen


@pytest.fixture(autouse=True)
def csp_violations(monkeypatch):
    """Fails the test (at teardown, after its pages closed) if any page broke the CSP.
    Every Browser.new_context gets the recorder: the phone fixture's, the ones tests open
    themselves and those of the scanner's second Chromium."""
    recorder = CspRecorder()
    original = Browser.new_context

    def new_context(self, *args, **kwargs):
        context = original(self, *args, **kwargs)
        recorder.attach(context)
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)
    yield recorder
    if recorder.problems:
        pytest.fail("Content-Security-Policy problems:\n" + "\n".join(recorder.problems),
                    pytrace=False)


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
