"""Where the keyboard's (and the screen reader's) focus goes when what had it is replaced:
a review row after Approve or Reject, the scanner's answer after a name was picked, a new
goods line, a form the server sent back with errors. Never <body>, the top of the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from server.activities import services as activity_services
from server.activities import signups
from server.extensions import db
from tests.browser.test_hours_review import log_in
from tests.browser.test_scanner import _scanning_for
from tests.donations.conftest import make_fund  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser

# what has the focus: its id, classes and text, or "body"
ACTIVE = """() => { const a = document.activeElement;
  return !a || a === document.body ? 'body'
    : [a.tagName.toLowerCase(), a.id, a.className, (a.textContent || '').trim()].join('|'); }"""


def _is_active(page, selector: str) -> bool:
    return page.evaluate("(s) => document.activeElement === document.querySelector(s)",
                         selector)


def test_after_approve_and_reject_the_focus_is_on_the_rows_answer(
        live_server, phone, make_node, make_org, make_user, make_activity, grant, scan):
    street = make_node(name="通运街道", kind="street")
    community = make_node(name="运河园社区", parent=street)
    org = make_org(name="运河园志愿队", node=community, kind="volunteer_team")
    activity = make_activity(org=org, starts_in=timedelta(days=-1), hours=2, title="助老服务日")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", community, org)
    coordinator = make_user(name="街道协调员老周", phone="13700001111")
    grant(coordinator, "coordinator", street)
    people = [make_user(name=n, phone=p) for n, p in
              (("王小红", "13912340001"), ("李大伟", "13912340002"), ("赵三", "13912340003"))]
    for person in people:
        signups.sign_up(activity.id, user=person, now=activity.starts_at - timedelta(hours=3))
        scan(activity, organiser, user_id=person.id,
             at=activity.starts_at - timedelta(minutes=10))
        scan(activity, organiser, user_id=person.id, at=activity.ends_at, direction="exit")
    activity_services.finish(activity, actor=organiser,
                             now=activity.ends_at + timedelta(minutes=20))
    db.session.commit()
    coordinator_phone = coordinator.phone
    db.session.close()

    page = phone
    log_in(page, live_server, coordinator_phone)
    page.goto(f"{live_server}/review/hours")
    rows = page.locator(".review-entry[data-status=pending]")
    expect(rows).to_have_count(3)
    first_id = rows.first.get_attribute("id")
    rows.first.locator("button.review-approve").focus()
    page.keyboard.press("Enter")  # a keyboard user
    done = page.locator(f"#{first_id} .hours-msg--ok")
    expect(done).to_be_visible()
    page.wait_for_function("(s) => document.activeElement === document.querySelector(s)",
                           arg=f"#{first_id} .hours-msg--ok", timeout=5000)
    assert page.evaluate(ACTIVE) != "body"
    # Tab goes on from there, down the list: to the row's history, then the next row
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.review-entry').id") == first_id

    # Reject, with the reason and the confirm dialog (which gives the focus back to the
    # button, and the swap takes that button away)
    second = page.locator(".review-entry[data-status=pending]").first
    second_id = second.get_attribute("id")
    reject = second.locator("details").first
    reject.locator("summary").click()  # 不通过
    reject.locator("textarea[name=reason]").fill("签退时间与现场记录不符")
    reject.locator("button.weui-btn_warn").click()
    page.get_by_role("alertdialog").get_by_role("button", name="不通过").click()
    expect(page.locator(f"#{second_id}")).to_have_attribute("data-status", "rejected")
    page.wait_for_function("(s) => document.activeElement === document.querySelector(s)",
                           arg=f"#{second_id} .hours-msg--ok", timeout=5000)
    page.shot("focus-after-reject")


def test_after_a_name_is_picked_at_the_scanner_the_answer_has_the_focus(
        live_server, phone, make_activity, make_user, grant, now):
    def signed_up(activity):
        person = make_user(name="王小红", phone="13912340001", home_node=activity.node)
        signups.sign_up(activity.id, user=person, now=now)
        return person

    _scanning_for(live_server, phone, make_activity, make_user, grant, signed_up)
    phone.fill("#scanner-q", "王小红")
    person = phone.locator(".scanner__person")
    expect(person).to_have_count(1)
    person.focus()
    phone.keyboard.press("Enter")
    expect(phone.locator("#scanner-overlay.is-ok")).to_be_visible()
    phone.wait_for_function("() => document.activeElement.id === 'scanner-message'",
                            timeout=5000)
    expect(phone.locator("#scanner-message")).not_to_be_empty()
    # done with this one: back to the search, for the next name
    phone.locator("#scanner-overlay").click()
    expect(phone.locator("#scanner-overlay")).to_be_hidden()
    assert _is_active(phone, "#scanner-q"), phone.evaluate(ACTIVE)


def test_a_new_goods_line_takes_the_focus_and_a_removed_one_gives_it_back(
        live_server, phone, make_fund, make_user):  # noqa: F811
    fund, _coordinator = make_fund(title="绘本漂流", target=None, accepts_money=False)
    resident = make_user(name="王小红", phone="13912340001", gender="female")
    db.session.commit()
    fund_id, resident_phone = fund.id, resident.phone
    db.session.close()

    log_in(phone, live_server, resident_phone)
    phone.goto(f"{live_server}/funds/{fund_id}/pledge")
    phone.get_by_test_id("add-line").click()
    expect(phone.locator("[data-goods-line]")).to_have_count(2)
    assert _is_active(phone, "select[name='lines-1-category']"), phone.evaluate(ACTIVE)
    phone.get_by_test_id("add-line").click()
    assert _is_active(phone, "select[name='lines-2-category']"), phone.evaluate(ACTIVE)
    phone.locator("[data-goods-line]").nth(2).locator(".goods-line__remove").click()
    expect(phone.locator("[data-goods-line]")).to_have_count(2)
    assert _is_active(phone, "select[name='lines-1-category']"), phone.evaluate(ACTIVE)


def test_a_refused_form_puts_the_focus_on_what_to_correct(live_server, phone, make_user):
    make_user(name="王小红", phone="13912340001")
    db.session.commit()
    db.session.close()

    # one message over the form: the message
    phone.goto(f"{live_server}/login")
    phone.fill("input[name=phone]", "13912340001")
    phone.fill("input[name=password]", "not-the-password")
    phone.locator("form.auth-form button[type=submit]").click()
    message = phone.locator("form.auth-form .error-tip[role=alert]")
    expect(message).to_be_visible()
    phone.wait_for_function(
        "() => document.activeElement === document.querySelector('form .error-tip')",
        timeout=5000)

    # errors by field under a message saying so: the message, which says what to do
    phone.goto(f"{live_server}/register")
    phone.fill("input[name=phone]", "13912340002")
    phone.fill("input[name=password]", "a-long-password-1")
    phone.fill("input[name=name]", "李大伟")
    phone.locator("form.register-form button[type=submit]").click()
    phone.wait_for_load_state("load")
    expect(phone.locator("#accept_privacy")).to_have_attribute("aria-invalid", "true")
    phone.wait_for_function(
        "() => document.activeElement === document.querySelector('form .error-tip')",
        timeout=5000)

    # errors by field alone (the message gone): the first field to correct
    phone.evaluate("""() => { document.querySelector('form .error-tip').remove();
                              document.activeElement.blur(); }""")
    phone.evaluate("() => window.wushe.takeFocus(document.body, null)")
    assert _is_active(phone, "form [aria-invalid=true]"), phone.evaluate(ACTIVE)


def test_a_page_sent_back_puts_the_focus_on_any_refused_form_or_its_warning(live_server,
                                                                             phone):
    """The refused form need not be the page's first (a team page has several), and a
    refusal told as a warning at the top (a redirect with a flash) has the focus too."""
    phone.goto(f"{live_server}/login")
    phone.evaluate("""() => {
        const form = document.createElement('form');
        form.innerHTML = '<p class="error-tip" role="alert">第二个表单的错误</p>';
        document.querySelector('main, body').appendChild(form);
        document.activeElement.blur(); }""")
    phone.evaluate("() => window.wushe.takeFocus(document.body, null)")
    assert phone.evaluate("() => document.activeElement.textContent") == "第二个表单的错误"
    phone.evaluate("""() => {
        document.querySelectorAll('form .error-tip').forEach((e) => e.remove());
        const tips = document.createElement('div');
        tips.className = 'weui-cells flash-tips';
        tips.setAttribute('role', 'alert');
        tips.textContent = '这个名额已经没有了';
        document.querySelector('main, body').prepend(tips);
        document.activeElement.blur(); }""")
    phone.evaluate("() => window.wushe.takeFocus(document.body, null)")
    assert phone.evaluate("() => document.activeElement.textContent") == "这个名额已经没有了"


RING = """(s) => { const e = document.querySelector(s); const c = getComputedStyle(e);
  return [document.activeElement === e, c.outlineStyle, c.outlineWidth].join('|'); }"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_button_reached_by_the_keyboard_shows_the_focus_ring(live_server, phone, scheme):
    """WeUI's `button.weui-btn:focus { outline: 0 }` outranked our :focus-visible ring:
    tabbing onto 登录 (or any WeUI button) showed nothing (found by an outside test)."""
    page = phone
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{live_server}/login")
    button = "form button.weui-btn_primary[type=submit]"
    for _ in range(12):
        page.keyboard.press("Tab")
        if _is_active(page, button):
            break
    assert page.evaluate(RING, button) == "true|solid|3px"
