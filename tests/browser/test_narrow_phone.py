"""What an outside tester found on a 360 px phone (zh and en, dark and care mode), each
checked where it was found: the programme page no wider than the phone, the paper sheet's
rows fitting with full-size time fields, the unread badge on screen, action links that are
targets of their own, and the main pages without sideways scrolling in care mode."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.activities.models import Activity, Programme
from server.demo import upcoming
from server.extensions import db
from tests.browser.demo_site import ROLES, log_in, new_phone, seed_demo, set_mode
from tests.browser.test_layout import _pages

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}

# how far the page reaches to the right, and what passes the phone's edge
WIDTH = """() => ({scroll: document.documentElement.scrollWidth, inner: innerWidth,
  out: [...document.body.querySelectorAll('*')].filter(e => e.checkVisibility()
    && e.getBoundingClientRect().right > 360.5).slice(0, 3)
    .map(e => e.tagName + '.' + e.className + ' ' + (e.innerText || '').slice(0, 20))})"""


def _fits(page, where: str) -> None:
    """No sideways scrolling. Compared with the phone's width too: a mobile Chromium widens
    its layout viewport (innerWidth) to take in a page that overflows."""
    w = page.evaluate(WIDTH)
    assert w["scroll"] <= min(w["inner"], NARROW["width"]), (
        f"{where}: {w['scroll']} px wide on {w['inner']}: {w['out']}")


def _narrow_phone(browser, locale="zh-CN"):
    return new_phone(browser, width=NARROW["width"], height=NARROW["height"], locale=locale)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_programme_page_fits_a_360_phone_in_normal_and_care_mode(browser, live_server,
                                                                      locale):
    seed_demo()
    programme = db.session.scalar(select(Programme.id).order_by(Programme.id))
    db.session.close()
    context = _narrow_phone(browser, locale)
    page = context.new_page()
    page.goto(f"{live_server}/programmes/{programme}")
    figures = page.locator(".programme-figures dt")
    assert figures.count() == 4
    for mode in ("light", "dark", "care"):
        set_mode(page, live_server, mode)
        _fits(page, f"programme {mode}")
        # every figure's label whole and on the phone, each on one line
        for box in page.evaluate("""() => [...document.querySelectorAll('.programme-figures dt')]
            .map(d => [d.getBoundingClientRect().right, d.getClientRects().length,
                       d.scrollWidth <= d.clientWidth + 1])"""):
            assert box[0] <= NARROW["width"] and box[1] == 1 and box[2], (mode, box)
    context.close()


def test_the_main_pages_do_not_scroll_sideways_on_a_360_phone_in_care_mode(browser,
                                                                           live_server):
    seed_demo()
    pages = _pages()
    programme = db.session.scalar(select(Programme.id).order_by(Programme.id))
    db.session.close()
    pages["resident"] += [("programmes", "/programmes"),
                          ("programme", f"/programmes/{programme}"), ("teams", "/teams"),
                          ("funds", "/funds"), ("me-edit", "/me/edit")]
    pages["organiser"] += [("manage", "/manage"), ("review-certificates", "/review/certificates")]
    pages["visitor"] = [("login", "/login"), ("register", "/register")]
    problems, measured = [], 0
    for role, visits in pages.items():
        context = _narrow_phone(browser)
        context.add_cookies([{"name": "care", "value": "1", "url": live_server}])
        page = context.new_page()
        if ROLES[role]:
            log_in(page, live_server, ROLES[role])
        for name, path in visits:
            response = page.goto(live_server + path)
            assert response is not None and response.status == 200, (path, response)
            assert page.evaluate("document.documentElement.classList.contains('care-mode')")
            w = page.evaluate(WIDTH)
            measured += 1
            if w["scroll"] > min(w["inner"], NARROW["width"]):
                problems.append(f"{role} {name}: {w['scroll']} px wide: {w['out']}")
        context.close()
    assert measured == sum(map(len, pages.values()))
    assert not problems, "\n".join(problems)


def test_the_paper_sheet_fits_a_360_phone_and_its_fields_are_full_size(browser,
                                                                       live_server):
    seed_demo()
    live = db.session.scalar(select(Activity.id).where(Activity.title == upcoming.LIVE_TITLE))
    db.session.close()
    context = _narrow_phone(browser)
    page = context.new_page()
    log_in(page, live_server, ROLES["organiser"])
    page.goto(f"{live_server}/manage/{live}/paper-sheet")
    assert page.locator("tr[data-signup-id]").count() > 0
    for mode, least in (("light", 44), ("dark", 44), ("care", 48)):
        set_mode(page, live_server, mode)
        _fits(page, f"paper sheet {mode}")
        sizes = page.evaluate("""() => ({
          table: document.querySelector('.paper-entry__table').getBoundingClientRect().right,
          region: document.querySelector('.paper-entry .table-scroll').clientWidth,
          tableWidth: document.querySelector('.paper-entry__table').scrollWidth,
          times: [...document.querySelectorAll('.paper-entry__table input[type=time]')]
            .map(i => [i.getBoundingClientRect().height, i.getBoundingClientRect().right]),
          ticks: [...document.querySelectorAll('.paper-entry__tick')]
            .map(l => [l.getBoundingClientRect().height, l.getBoundingClientRect().width]),
        })""")
        # the sheet itself fits: nothing to scroll sideways inside its box either
        assert sizes["table"] <= NARROW["width"], (mode, sizes["table"])
        assert sizes["tableWidth"] <= sizes["region"], (mode, sizes)
        assert sizes["times"] and sizes["ticks"]
        for height, right in sizes["times"]:
            assert height >= least - 0.5 and right <= NARROW["width"], (mode, height, right)
        for height, width in sizes["ticks"]:
            assert height >= least - 0.5 and width >= least - 0.5, (mode, height, width)
    # each box still says what it is for where the column heads are not shown
    set_mode(page, live_server, "light")
    first = page.locator("tr[data-signup-id]").first
    assert first.locator(".paper-entry__cue").first.is_visible()
    first.locator(".paper-entry__tick").first.click()
    assert first.locator("input[name=entry]").is_checked()
    context.close()


def test_the_unread_badge_stays_on_a_360_phone_in_care_mode(browser, live_server):
    seed_demo()  # the demo resident has messages unread
    context = _narrow_phone(browser)
    page = context.new_page()
    log_in(page, live_server, ROLES["resident"])
    page.goto(f"{live_server}/me")
    badge = page.locator("#tab-badge .weui-badge")
    for mode in ("light", "care"):
        set_mode(page, live_server, mode)
        assert badge.is_visible()
        for text in (None, "99+"):  # what it says, and the widest it can say
            if text:
                badge.evaluate("(b, t) => { b.textContent = t; }", text)
            box = badge.bounding_box()
            icon = page.locator(".wushe-tabbar a[href='/me'] .weui-tabbar__icon").bounding_box()
            assert box["x"] + box["width"] <= NARROW["width"], (mode, text, box)
            # still the icon's badge: it starts beside the icon, over its tab
            assert box["x"] >= icon["x"] and box["y"] < icon["y"] + icon["height"], (box, icon)
    context.close()


def test_action_links_are_targets_of_their_own(browser, live_server):
    """The consent row: the words tick the box, the policy is its own link; the log-in
    pages' other ways in are full-size targets."""
    context = _narrow_phone(browser)
    page = context.new_page()
    page.goto(f"{live_server}/register")
    box = page.locator("#accept_privacy")
    link = page.locator("a#accept_privacy-link")
    assert link.text_content().strip() == "《隐私政策》"
    link_box = link.bounding_box()
    assert link_box["height"] >= 44 and link_box["width"] >= 44
    # the link is no part of the label: what the label covers ticks the box, and the
    # label's words (all of them, up to the link) are a tap on the label
    assert not page.evaluate("() => !!document.querySelector('#accept_privacy-link')"
                             ".closest('label')")
    words = page.locator("#accept_privacy-text")
    assert not box.is_checked()
    words.click()
    assert box.is_checked()
    page.locator("label[for=accept_privacy] .weui-icon-checked").click()
    assert not box.is_checked()
    # the box is named by its whole sentence, link included
    assert box.get_attribute("aria-labelledby") == "accept_privacy-text accept_privacy-link"
    # the link opens the notice and leaves the box as it was
    with context.expect_page() as opened:
        link.click()
    opened.value.wait_for_load_state()
    assert "/privacy" in opened.value.url
    assert not box.is_checked()

    for path in ("/register", "/login", "/login/sms", "/password/forgot"):
        page.goto(live_server + path)
        for set_care in (False, True):
            if set_care:
                set_mode(page, live_server, "care")
            least = 48 if set_care else 44
            small = page.evaluate("""(least) => [...document.querySelectorAll(
                '.auth-alt a, .agree-row__link')].filter(a => a.checkVisibility()).map(a => {
                const r = a.getBoundingClientRect();
                return [a.textContent.trim(), Math.round(r.width), Math.round(r.height)]; })
                .filter(([t, w, h]) => w < least - 0.5 || h < least - 0.5)""", least)
            assert not small, (path, set_care, small)
        page.context.clear_cookies(name="care")
    context.close()
