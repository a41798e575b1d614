"""The pages whose scripts had to change for the Content-Security-Policy still work under it:
the Alpine components (web/src/components.js, run by Alpine's CSP build), the poster's print
button, the progress bars and the tree's indentation, and Swagger UI. The autouse
`csp_violations` fixture (conftest.py) fails any of these on a single violation; each test
also says so itself at the end. The first test shows that the recorder does see them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import png
import pytest
from playwright.sync_api import expect

from server.accounts.models import User
from server.activities.models import Programme
from server.checkin import codes
from server.donations.models import Pledge
from server.extensions import db
from tests.browser.test_hours_review import log_in
from tests.donations.conftest import make_fund, pledge_money  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.browser


def shown(locator) -> None:
    expect(locator).to_be_visible()


def hidden(locator) -> None:
    expect(locator).to_be_hidden()


def pixels_at(locator, *fractions: float) -> list[tuple[int, ...]]:
    """The colours across the middle of an element's screenshot at these fractions of its
    width (what a person sees, whatever draws it)."""
    width, height, rows, _ = png.Reader(bytes=locator.screenshot()).asRGBA8()
    row = list(rows)[height // 2]
    return [tuple(row[4 * int(width * f):4 * int(width * f) + 3]) for f in fractions]


def test_the_recorder_sees_what_the_policy_blocks(live_server, phone, csp_violations):
    page = phone
    page.goto(f"{live_server}/login")
    ran = page.evaluate("""() => new Promise((done) => {
      const script = document.createElement("script");
      script.textContent = "window.inlineRan = true";
      document.head.appendChild(script);
      const style = document.createElement("style");
      style.textContent = "body { color: red }";
      document.head.appendChild(style);
      document.body.setAttribute("style", "color: blue");
      // later, outside the devtools evaluation, as the page's own code would run
      setTimeout(() => {
        let evaluated;
        try { evaluated = eval("1 + 1"); } catch (e) { evaluated = e.name; }
        done([window.inlineRan === true, evaluated]);
      }, 0);
    })""")
    assert ran == [False, "EvalError"]
    page.wait_for_timeout(200)  # the reports come in with the next browser call
    seen = "\n".join(csp_violations.clear())
    for directive in ("script-src-elem", "style-src-elem", "style-src-attr", "script-src"):
        assert f"violation of {directive} " in seen
    assert "eval" in seen
    # and what htmx was told: no indicator <style> of its own, no eval
    assert page.evaluate("document.querySelectorAll('style').length") == 1  # the test's own
    assert page.evaluate("[htmx.config.includeIndicatorStyles, htmx.config.allowEval]") == [
        False, False]


def test_my_code_regenerate_asks_first(live_server, phone, make_user, now, csp_violations):
    resident = make_user(name="李秀英", phone="13912340011")
    first = codes.active_code(resident, now=now).id
    db.session.commit()
    resident_id, resident_phone = resident.id, resident.phone
    db.session.close()

    page = phone
    log_in(page, live_server, resident_phone)
    page.goto(f"{live_server}/code")
    # web/src/confirm.js adds the dialog when asked; the wrapper has no box of its own:
    # the mask and the dialog are fixed in place
    dialog = page.locator(".wushe-dialog[role=alertdialog] .weui-dialog")
    regenerate = page.locator(".my-code form button[type=submit]")
    hidden(dialog)
    regenerate.click()
    shown(dialog)
    page.keyboard.press("Escape")
    hidden(dialog)
    regenerate.click()
    page.locator(".wushe-dialog .weui-mask").click(position={"x": 8, "y": 8})
    hidden(dialog)
    regenerate.click()
    dialog.locator(".weui-dialog__btn_default").click()
    hidden(dialog)
    regenerate.click()
    page.shot("regenerate-dialog")
    with page.expect_navigation():
        dialog.locator(".weui-dialog__btn_primary").click()
    hidden(dialog)
    expect(page.locator(".wushe-toast[role=status]")).to_have_count(1)  # "new code ready"
    assert codes.active_code(db.session.get(User, resident_id), now=now).id != first
    db.session.close()
    assert csp_violations.problems == []


def test_the_activity_form_offers_places_and_programmes_of_the_chosen_organisation(
        live_server, phone, make_node, make_org, make_user, grant, now, csp_violations):
    here = make_node(name="运河园社区", kind="community")
    there = make_node(name="赵庄子村", kind="village")
    first = make_org(name="A 运河园志愿服务队", node=here, kind="volunteer_team")
    second = make_org(name="B 魏善庄镇社工站", node=there, kind="social_work")
    organiser = make_user(name="社工小周")
    for org in (first, second):
        grant(organiser, "organiser", org.node, org)
        db.session.add(Programme(organisation_id=org.id, name=f"{org.name}的计划", created_at=now))
    db.session.commit()
    ids = {"here": here.id, "there": there.id, "first": first.id, "second": second.id}
    programmes = {p.organisation_id: p.id for p in db.session.query(Programme)}
    organiser_phone = organiser.phone
    db.session.close()

    page = phone
    log_in(page, live_server, organiser_phone)
    page.goto(f"{live_server}/manage/new")
    org = page.locator("select[name=organisation_id]")
    expect(org).to_have_value(str(ids["first"]))

    def place(node_id):
        return page.locator(f"select[name=node_id] option[value='{node_id}']")

    def programme(org_id):
        return page.locator(f"select[name=programme_id] option[value='{programmes[org_id]}']")

    expect(place(ids["here"])).to_be_enabled()
    expect(place(ids["there"])).to_be_disabled()
    expect(programme(ids["first"])).to_be_enabled()
    expect(programme(ids["second"])).to_be_disabled()
    org.select_option(str(ids["second"]))
    expect(place(ids["here"])).to_be_disabled()
    expect(place(ids["there"])).to_be_enabled()
    expect(programme(ids["first"])).to_be_disabled()
    expect(programme(ids["second"])).to_be_enabled()
    expect(page.locator("select[name=node_id] option[value='']")).to_be_enabled()
    page.shot("second-organisation")
    assert csp_violations.problems == []


def test_registration_asks_for_a_guardian_only_for_a_minor(live_server, phone, csp_violations):
    page = phone
    page.goto(f"{live_server}/register")
    guardian = page.locator(".guardian")
    hidden(guardian)
    today = date.today()
    page.fill("input[name=birth_date]", date(today.year - 10, 1, 1).isoformat())
    shown(guardian)
    page.fill("input[name=birth_date]", date(today.year - 30, 1, 1).isoformat())
    hidden(guardian)
    assert csp_violations.problems == []


def test_the_distribution_form_shows_what_the_choice_needs(live_server, phone, make_fund,  # noqa: F811
                                                           csp_violations):
    fund, coordinator = make_fund(title="赵庄子爱心救助基金")
    db.session.commit()
    fund_id, coordinator_phone = fund.id, coordinator.phone
    db.session.close()

    page = phone
    log_in(page, live_server, coordinator_phone)
    page.goto(f"{live_server}/desk/funds/{fund_id}/distribute")
    form = page.locator("form.distribute-form")
    amount, item = form.locator("input[name=amount]"), form.locator("select[name=stock_item]")
    partner = form.locator("select[name=recipient_org_id]")

    def choose(name, value):
        form.locator(f"label.choice:has(input[name={name}][value={value}])").click()

    # what the server checked: goods, to a household
    shown(item)
    hidden(amount)
    hidden(partner)
    choose("kind", "money")
    shown(amount)
    hidden(item)
    choose("recipient_kind", "organisation")
    shown(partner)
    choose("recipient_kind", "household")
    hidden(partner)
    choose("recipient_kind", "organisation")
    amount.fill("100")
    page.shot("money-to-a-partner")
    # refused (there is no cash yet): the page comes back with the same choices shown
    form.locator("button[type=submit]").click()
    expect(page.locator(".field-error, .weui-cells__tips_warn, [role=alert]").first).to_be_visible()
    shown(page.locator("form.distribute-form input[name=amount]"))
    hidden(page.locator("form.distribute-form select[name=stock_item]"))
    shown(page.locator("form.distribute-form select[name=recipient_org_id]"))
    assert csp_violations.problems == []


def test_my_pledge_display_choice_and_withdraw_reason(live_server, phone, make_fund,  # noqa: F811
                                                      pledge_money, make_user,  # noqa: F811
                                                      csp_violations):
    fund, _ = make_fund(title="赵庄子爱心救助基金", target="1000.00")
    donor = make_user(name="王小红", phone="13912340012", gender="female")
    pledge = pledge_money(fund, "500.00", donor=donor)
    db.session.commit()
    pledge_id, fund_id, donor_phone = pledge.id, fund.id, donor.phone
    db.session.close()

    page = phone
    log_in(page, live_server, donor_phone)
    # the public fund page: the cash bar is two native <progress>, no style attribute;
    # 500 of 1000 pledged fills the left half of the track in green, not the right
    page.goto(f"{live_server}/funds/{fund_id}")
    pledged = page.locator(".gift-bar progress.gift-bar__pledged")
    expect(pledged).to_have_attribute("value", "50")
    page.shot("fund-progress")
    left, right = pixels_at(pledged, 0.25, 0.75)
    assert left[1] - left[0] > 20 and abs(right[1] - right[0]) < 8, (left, right)

    page.goto(f"{live_server}/pledges/{pledge_id}")
    display = page.locator("details.display-change")
    display.locator("summary").click()
    title = display.locator("input[name=title]").first
    donor_org = display.locator("input[name=donor_org]")
    expect(display.locator("#display-anonymous")).to_be_checked()
    hidden(title)
    hidden(donor_org)
    display.locator("label[for=display-surname]").click()
    shown(display.locator(".choice-row"))
    hidden(donor_org)
    display.locator("label[for=display-organisation]").click()
    hidden(display.locator(".choice-row"))
    shown(donor_org)
    donor_org.fill("运河园爱心企业")
    page.shot("display-organisation")
    display.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/pledges/{pledge_id}$"))
    expect(page.locator("body")).to_contain_text("运河园爱心企业")

    withdraw = page.locator("details.withdraw")
    withdraw.locator("summary").click()
    reason = withdraw.locator("textarea[name=reason_other]")
    hidden(reason)
    withdraw.locator("label[for=reason_choice-other]").click()
    shown(reason)
    first_preset = withdraw.locator("label.weui-check__label").first
    first_preset.click()
    hidden(reason)
    withdraw.locator("label[for=reason_choice-other]").click()
    reason.fill("计划有变，改为下月再捐")
    page.shot("withdraw-other")
    withdraw.locator("button[type=submit]").click()
    page.get_by_role("alertdialog").locator(".weui-dialog__btn_warn").click()  # confirm.js asks
    expect(page.locator("[data-testid=state] [data-state=withdrawn]")).to_be_visible()
    stored = db.session.get(Pledge, pledge_id)
    assert (stored.display, stored.donor_org) == ("organisation", "运河园爱心企业")
    assert stored.end_reason == "计划有变，改为下月再捐"
    db.session.close()
    assert csp_violations.problems == []


def test_venue_code_counts_down_and_the_poster_prints(live_server, phone, make_activity,
                                                      make_user, grant, csp_violations):
    activity = make_activity(starts_in=timedelta(minutes=30))
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    db.session.commit()
    activity_id, organiser_phone = activity.id, organiser.phone
    db.session.close()

    page = phone
    log_in(page, live_server, organiser_phone)
    page.goto(f"{live_server}/manage/{activity_id}/venue-code")
    countdown = page.locator(".venue-qr__countdown")
    before = countdown.inner_text()
    assert re.search(r"\d+", before)
    expect(countdown).not_to_have_text(before, timeout=3000)  # a second later, or a new code
    assert re.search(r"\d+", countdown.inner_text())

    page.goto(f"{live_server}/manage/{activity_id}/poster")
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    page.locator("button[data-print]").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")
    assert csp_violations.problems == []


def test_the_tree_indents_by_level(live_server, phone, make_node, make_user, grant,
                                   csp_violations):
    village = make_node(name="赵庄子村", kind="village")
    district = village.parent.parent
    admin = make_user(name="区管理员")
    grant(admin, "admin", district)
    db.session.commit()
    admin_phone = admin.phone
    db.session.close()

    page = phone
    log_in(page, live_server, admin_phone)
    page.goto(f"{live_server}/admin/tree")
    pads = [page.evaluate(
        f"parseFloat(getComputedStyle(document.querySelector('.tree-node--level-{level}'))"
        ".paddingLeft)") for level in (1, 2, 3)]
    assert pads[0] < pads[1] < pads[2]
    assert csp_violations.problems == []


def test_the_api_docs_run_under_the_policy(live_server, phone, csp_violations):
    page = phone
    page.goto(f"{live_server}/api/v1/docs")
    # the tags start folded (docExpansion none): a hundred and fifty operations unfolded
    # are too many for a phone, and Swagger UI stops drawing them part of the way down
    page.locator("#operations-tag-health").dispatch_event("click")
    health = page.locator(".opblock", has=page.locator(".opblock-summary-path",
                                                        has_text=re.compile(r"^/api/v1/health$")))
    # the folded tag headers below shift while Swagger UI lays out: press the buttons
    # without waiting for the page to stand still
    health.locator(".opblock-summary-control").dispatch_event("click")
    health.locator("button.try-out__btn").dispatch_event("click")
    health.locator("button.execute").dispatch_event("click")
    expect(health.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200")
    page.shot("docs-try-it")
    assert csp_violations.problems == []
