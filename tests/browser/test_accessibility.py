"""axe-core on every page each demo role reaches, on a 390×844 phone, in zh-CN and in
English, in light, dark and care mode: no critical and no serious violation.

The demo is loaded into the test database (the data a newcomer first sees), then for each
role the pages are found by following the links of the start pages (the tab bar, 我的 and
its work list, the lists they lead to), one page per URL shape (/activities/46 stands for
every activity), so the walk covers every page kind whatever the amount of data. Downloads,
the API and log-out are not followed. Each page kind is audited in the three modes by the
first role that reaches it (the start pages by every role)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from server.core import clock
from server.demo.seed import DEMO_PASSWORD, seed
from server.extensions import db
from tests.browser.axe import audit

pytestmark = pytest.mark.browser

ROLES = {"visitor": None, "resident": "13800000001", "organiser": "13800000002",
         "town organiser": "13800000003", "street coordinator": "13800000004",
         "town coordinator": "13800000005", "admin": "13800000009"}
START = ("/", "/activities", "/me", "/hours", "/code", "/funds", "/pledges", "/programmes",
         "/teams", "/me/notifications", "/stats", "/manage", "/review/hours",
         "/review/certificates", "/desk", "/login", "/register")
NOT_PAGES = re.compile(r"\.(pdf|xlsx|csv|ics|png|svg|json|js|css)(\?|$)|/api/|/static/|"
                       r"/logout|/lang|/care|/swagger|/openapi|/download")
MODES = ("light", "dark", "care")
PER_ROLE = 80  # page kinds per role: far more than any role has


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0].split("#")[0])


def _log_in(page, base: str, phone: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form.auth-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def _audit_modes(page, base: str) -> dict[str, list[str]]:
    """Light as loaded; dark by the media query alone (no reload); care mode is the
    server's (a cookie), so that one reloads."""
    found = {"light": audit(page)}
    page.emulate_media(color_scheme="dark")
    found["dark"] = audit(page)
    page.emulate_media(color_scheme="light")
    page.context.add_cookies([{"name": "care", "value": "1", "url": base}])
    page.reload()
    found["care"] = audit(page)
    page.context.clear_cookies(name="care")
    return found


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_no_serious_violation_on_any_page_of_any_role(browser, live_server, locale):
    seed(now=clock.now().replace(microsecond=0))
    db.session.commit()
    db.session.close()  # on SQLite the test's transaction would hold the write lock

    problems: dict[str, list[str]] = defaultdict(list)
    audited, seen_by_anyone = 0, set()
    for role, phone in ROLES.items():
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale,
                                      is_mobile=True, has_touch=True,
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        if phone:
            _log_in(page, live_server, phone)
        queue, seen = list(START), set()
        while queue and len(seen) < PER_ROLE:
            path = queue.pop(0)
            if _shape(path) in seen:
                continue
            seen.add(_shape(path))
            response = page.goto(live_server + path)
            if response is None or response.status >= 400 or not page.url.startswith(
                    live_server):
                continue
            # a page kind another role already had audited is walked through, not audited
            # again, unless it is one of the start pages (where roles see different things)
            if _shape(path) not in seen_by_anyone or path in START:
                seen_by_anyone.add(_shape(path))
                audited += 1
                for mode, found in _audit_modes(page, live_server).items():
                    for line in found:
                        problems[f"{role} {path} [{mode}]"].append(line)
            for href in page.eval_on_selector_all("a[href]",
                                                  "as => as.map(a => a.getAttribute('href'))"):
                if (href and href.startswith("/") and not href.startswith("//")
                        and not NOT_PAGES.search(href) and _shape(href) not in seen):
                    queue.append(href)
        context.close()
    assert audited > 60  # the walk reached the pages, not a login wall
    assert dict(problems) == {}
