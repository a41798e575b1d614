"""axe-core on every page each demo role reaches, on a 390×844 phone, in zh-CN and in
English, in light, dark and care mode: no critical and no serious violation; in care mode
text also meets AAA contrast (7:1, axe's color-contrast-enhanced).

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

from tests.browser.axe import audit
from tests.browser.demo_site import MODES, ROLES, log_in, new_phone, seed_demo, set_mode

pytestmark = pytest.mark.browser

START = ("/", "/activities", "/me", "/hours", "/code", "/funds", "/pledges", "/programmes",
         "/teams", "/me/notifications", "/stats", "/manage", "/review/hours",
         "/review/certificates", "/desk", "/login", "/register")
NOT_PAGES = re.compile(r"\.(pdf|xlsx|csv|ics|png|svg|json|js|css)(\?|$)|/api/|/static/|"
                       r"/logout|/lang|/care|/swagger|/openapi|/download")
PER_ROLE = 80  # page kinds per role: far more than any role has


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path.split("?")[0].split("#")[0])


def _audit_modes(page, base: str) -> dict[str, list[str]]:
    """Each mode in turn (care mode also against AAA contrast, 7:1), back to light."""
    found = {}
    for mode in MODES:
        set_mode(page, base, mode)
        found[mode] = audit(page, aaa=mode == "care")
    page.context.clear_cookies(name="care")  # the next page loads in light mode
    return found


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_no_serious_violation_on_any_page_of_any_role(browser, live_server, locale):
    seed_demo()

    problems: dict[str, list[str]] = defaultdict(list)
    audited, seen_by_anyone = 0, set()
    for role, phone in ROLES.items():
        context = new_phone(browser, locale=locale)
        page = context.new_page()
        if phone:
            log_in(page, live_server, phone)
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
