"""The demo as the browser tests walk it: seeded into the test database, its logins, a
phone-sized context per role, and the three display modes (light, dark by the media
query, care mode by its cookie). Shared by test_accessibility.py and test_layout.py."""

from __future__ import annotations

from server.core import clock
from server.demo.seed import DEMO_PASSWORD, seed
from server.extensions import db

ROLES = {"visitor": None, "resident": "13800000001", "organiser": "13800000002",
         "town organiser": "13800000003", "street coordinator": "13800000004",
         "town coordinator": "13800000005", "admin": "13800000009"}
MODES = ("light", "dark", "care")


def seed_demo() -> None:
    """The demo in the test database, committed and the session closed: on SQLite the
    test's own transaction would otherwise hold the write lock the live server needs."""
    seed(now=clock.now().replace(microsecond=0))
    db.session.commit()
    db.session.close()


def new_phone(browser, *, width: int = 390, height: int = 844, locale: str = "zh-CN"):
    """A phone-sized browser context (no page yet)."""
    return browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                               is_mobile=True, has_touch=True, timezone_id="Asia/Shanghai")


def log_in(page, base: str, phone: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def set_mode(page, base: str, mode: str) -> None:
    """Light and dark by the media query alone (no reload); care mode is the server's
    (a cookie), so entering or leaving it reloads the page."""
    care_before = any(c["name"] == "care" and c["value"] == "1"
                      for c in page.context.cookies(base))
    page.emulate_media(color_scheme="dark" if mode == "dark" else "light")
    if (mode == "care") != care_before:
        if mode == "care":
            page.context.add_cookies([{"name": "care", "value": "1", "url": base}])
        else:
            page.context.clear_cookies(name="care")
        page.reload()
