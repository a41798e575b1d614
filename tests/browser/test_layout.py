"""The key pages on the narrowest phones (320×640) and a common one (390×844), in light,
dark and care mode, in zh-CN (and the longest labels, English, at 320): nothing breaks.

Over the demo each page is measured by layout_checks.js: the page is no wider than the
phone; every money amount is marked (.money) and on one line; a label (a cell's label, a
tab, a chip, a pill, a button) wraps only between words, never between two Chinese
characters or inside a Latin word; no box hides part of its text (an ellipsis is allowed
where the title carries the whole text); and touch targets are large enough: every button,
chip, tab, select, checkbox or radio (with its label) at least 48×48 CSS px in care mode and
44×44 otherwise, and so is a link standing alone (all the text of its block: "history"
under an entry, a count or a month in a table). Links inside a sentence are exempt (WCAG
2.5.8's inline case).
In care mode axe-core also checks AAA contrast (7:1 for body text).

A full-page screenshot of each lands in test-artifacts/screens/<page>-<width>-<mode>.png."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from server.accounts.models import RoleAssignment, User
from server.activities.models import Activity, Signup
from server.demo import upcoming
from server.donations.models import Fund, Pledge
from server.extensions import db
from tests.browser.axe import audit
from tests.browser.conftest import ARTIFACTS
from tests.browser.demo_site import MODES, ROLES, log_in, new_phone, seed_demo, set_mode

pytestmark = pytest.mark.browser

CHECKS = (Path(__file__).with_name("layout_checks.js")).read_text()
SIZES = {320: 640, 390: 844}
SCREENS = ARTIFACTS / "screens"


def _pages() -> dict[str, list[tuple[str, str]]]:
    """role → [(page name, path)] over the seeded demo."""
    resident = db.session.scalar(select(User).where(User.phone == ROLES["resident"]))
    live = db.session.scalar(select(Activity.id).where(Activity.title == upcoming.LIVE_TITLE))
    signup = db.session.scalar(select(Signup.id).where(
        Signup.user_id == resident.id, Signup.status == "confirmed").order_by(Signup.id.desc()))
    pledge = db.session.scalar(select(Pledge).where(
        Pledge.donor_id == resident.id, Pledge.kind == "money"))
    fund = pledge.fund_id
    desk_pledge = db.session.scalar(select(Pledge.id).where(
        Pledge.kind == "money", Pledge.end_state.is_(None)).order_by(Pledge.id))
    street = db.session.scalar(select(RoleAssignment.node_id).join(
        User, User.id == RoleAssignment.user_id).where(
        User.phone == ROLES["street coordinator"], RoleAssignment.role == "coordinator"))
    assert None not in (live, signup, fund, desk_pledge, street)
    assert db.session.get(Fund, fund).target_amount  # its page shows amounts against a target
    db.session.close()
    return {
        "resident": [
            ("activity-list", "/"), ("activity-detail", f"/activities/{live}"),
            ("signed-up", f"/signups/{signup}/next"), ("me", "/me"), ("my-code", "/code"),
            ("my-hours", "/hours"), ("certificates", "/hours/certificates"),
            ("pledge-form", f"/funds/{fund}/pledge"), ("pledge", f"/pledges/{pledge.id}"),
            ("fund", f"/funds/{fund}"), ("notifications", "/me/notifications")],
        "organiser": [("review-hours", "/review/hours"),
                      ("scanner", f"/manage/{live}/scanner"),
                      ("paper-sheet", f"/manage/{live}/paper-sheet")],
        "town coordinator": [("desk", "/desk"), ("desk-pledge", f"/desk/pledges/{desk_pledge}")],
        "street coordinator": [("stats", "/stats"),
                               ("stats-records", f"/stats/{street}/figures/activities")],
    }


def _measure(page, base: str, name: str, width: int, mode: str) -> list[str]:
    page.set_viewport_size({"width": width, "height": SIZES[width]})
    set_mode(page, base, mode)
    page.wait_for_load_state("load")
    page.screenshot(path=str(SCREENS / f"{name}-{width}-{mode}.png"), full_page=True)
    return page.evaluate(CHECKS, [width, mode == "care"])


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_key_pages_fit_narrow_phones_in_every_mode(browser, live_server, locale):
    seed_demo()
    pages = _pages()
    SCREENS.mkdir(parents=True, exist_ok=True)
    # zh-CN everywhere; English (the longest labels) on the narrowest phone
    widths = (320, 390) if locale == "zh-CN" else (320,)
    suffix = "" if locale == "zh-CN" else "-en"

    problems: dict[str, list[str]] = defaultdict(list)
    measured = 0
    for role, visits in pages.items():
        context = new_phone(browser, locale=locale)
        page = context.new_page()
        log_in(page, live_server, ROLES[role])
        for name, path in visits:
            response = page.goto(live_server + path)
            assert response is not None and response.status == 200, (path, response)
            for width in widths:
                for mode in MODES:
                    found = _measure(page, live_server, name + suffix, width, mode)
                    if mode == "care" and width == 390 and locale == "zh-CN":
                        found += audit(page, aaa=True)
                    problems[f"{name} {width} {mode}"] += found
                    measured += 1
            page.context.clear_cookies(name="care")
        context.close()
    assert measured == sum(map(len, pages.values())) * len(widths) * len(MODES)
    found = [f"{where}: {line}" for where, lines in problems.items() for line in lines]
    assert not found, "\n".join(found)
