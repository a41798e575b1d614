"""A resident pledges 50 picture books on a phone, a coordinator records 48 accepted and
2 rejected at the desk, and the public fund page and ledger show it under the name the
donor chose (王女士), never their full name.

Assertions read numbers, the reference code, names and data attributes, not interface
text, so they hold before and after the Chinese catalogue is filled in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from server.donations.models import Pledge
from server.donations.movements import Fulfilment
from server.extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_hours_review import log_in
from tests.donations.conftest import make_fund  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "timezone_id": "Asia/Shanghai"}


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_resident_pledges_books_and_the_coordinator_records_what_arrived(
        live_server, phone, browser, make_fund, make_user, request):  # noqa: F811
    fund, coordinator = make_fund(title="绘本漂流：送书到白玉县", target=None,
                                  accepts_money=False)
    resident = make_user(name="王小红", phone="13912340001", gender="female")
    db.session.commit()
    fund_id, resident_phone, coordinator_phone = fund.id, resident.phone, coordinator.phone
    # release the test's own transaction: on SQLite it would hold the write lock
    db.session.close()
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    # --- the resident pledges on her phone ---------------------------------------------
    page = phone
    log_in(page, live_server, resident_phone)
    page.goto(f"{live_server}/funds")
    expect(page.locator(".wushe-tabbar a[href='/funds']")).to_have_attribute(
        "aria-current", "page")
    page.locator(f"a.gift-card[data-fund-id='{fund_id}']").click()
    page.wait_for_url(f"{live_server}/funds/{fund_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("绘本漂流：送书到白玉县")
    expect(page.get_by_test_id("criteria")).to_have_text("本村大病患者家庭")
    page.shot("fund-before")

    page.get_by_test_id("give").click()
    page.wait_for_url(f"{live_server}/funds/{fund_id}/pledge")
    expect(page.locator("#display-anonymous")).to_be_checked()  # anonymous unless chosen
    line = page.locator("[data-goods-line]").first
    line.locator("select[name='lines-0-category']").select_option("picture_books")
    line.locator("input[name='lines-0-item']").fill("儿童绘本")
    line.locator("input[name='lines-0-quantity']").fill("50")
    line.locator("select[name='lines-0-unit']").select_option("book")
    # a second line added and removed again: Alpine keeps the form to what is on screen
    page.get_by_test_id("add-line").click()
    expect(page.locator("[data-goods-line]")).to_have_count(2)
    page.locator("[data-goods-line]").nth(1).locator(".goods-line__remove").click()
    expect(page.locator("[data-goods-line]")).to_have_count(1)
    page.locator("label[for='display-surname']").click()
    title = page.get_by_test_id("title-ms")
    expect(title).to_be_visible()
    title.check()
    expect(page.locator("label.choice", has=title)).to_contain_text("王女士")
    fits_the_phone(page)
    page.shot("pledge-form")

    page.locator("form.pledge-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+/done$"))
    code = page.get_by_test_id("reference")
    expect(code).to_be_visible()
    reference = code.inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", reference)
    assert float(page.evaluate(  # shown large, spaced for reading aloud
        "parseFloat(getComputedStyle(document.querySelector('.ref-code')).fontSize)")) >= 40
    fits_the_phone(page)
    page.shot("reference-code")

    pledge = db.session.query(Pledge).filter_by(reference=reference).one()
    assert (pledge.display, pledge.title, pledge.fund_id) == ("surname", "ms", fund_id)
    assert [(x.item, x.quantity, x.unit) for x in pledge.lines] == [("儿童绘本", 50, "book")]
    db.session.close()

    # --- the coordinator finds it by the code and records what arrived ---------------------
    context = browser.new_context(**PHONE)
    desk = context.new_page()
    try:
        log_in(desk, live_server, coordinator_phone)
        desk.goto(f"{live_server}/desk")
        search = desk.get_by_test_id("desk-search")
        search.fill(reference.lower())
        search.press("Enter")
        desk.wait_for_url(re.compile(r".*/desk/pledges/\d+$"))
        expect(desk.get_by_test_id("reference")).to_have_text(reference)
        expect(desk.get_by_test_id("donor")).to_contain_text("王小红")  # managers see the name
        expect(desk.locator("[data-testid='state'] [data-state='submitted']")).to_be_visible()
        desk.locator("input[name='lines-0-accepted']").fill("48")
        desk.locator("input[name='lines-0-rejected']").fill("2")
        desk.locator("input[name='lines-0-reject_reason']").fill("破损")
        desk.locator("input[name='lines-0-unit_value']").fill("15")
        # she asked for no receipt: the waiver is ticked already
        expect(desk.locator("#receipt_waived")).to_be_checked()
        fits_the_phone(desk)
        desk.screenshot(path=str(folder / "04-desk-intake.png"), full_page=True)
        desk.locator("form.intake-form button[type=submit]").click()
        expect(desk.locator("[data-testid='state'] [data-state='fulfilled']")).to_be_visible()
        expect(desk.get_by_test_id("accepted-0")).to_have_text(re.compile(r"^48\b"))
        expect(desk.locator(".fulfilments")).to_contain_text("破损")
        desk.screenshot(path=str(folder / "05-desk-recorded.png"), full_page=True)
    finally:
        context.close()
    assert db.session.query(Fulfilment).count() == 1
    db.session.close()

    # --- anyone sees it on the public page and the ledger, under the chosen name --------
    context = browser.new_context(**PHONE)  # not logged in
    visitor = context.new_page()
    try:
        visitor.goto(f"{live_server}/funds/{fund_id}")
        received = visitor.locator("[data-testid='goods-progress'] "
                                   "tr[data-category='picture_books'] "
                                   "[data-figure='received'] .gift-num")
        expect(received).to_have_text("48")
        row = visitor.locator("[data-testid='ledger'] li[data-kind='goods_in']")
        expect(row).to_have_count(1)
        expect(row).to_have_attribute("data-quantity", "48")
        expect(row.locator(".ledger-donor")).to_have_text("王女士")
        expect(row).to_contain_text("儿童绘本")
        expect(row).to_contain_text("48")
        expect(row).to_contain_text("破损")
        assert "王小红" not in visitor.content() and "13912340001" not in visitor.content()
        fits_the_phone(visitor)
        visitor.screenshot(path=str(folder / "06-public-fund.png"), full_page=True)

        visitor.goto(f"{live_server}/funds/{fund_id}/ledger")
        entry = visitor.locator("[data-testid='ledger'] li[data-kind='goods_in']")
        expect(entry).to_have_attribute("data-quantity", "48")
        expect(entry.locator(".ledger-row__figure")).to_contain_text("48")
        expect(entry.locator(".ledger-donor")).to_have_text("王女士")
        assert "王小红" not in visitor.content()
        fits_the_phone(visitor)
        visitor.screenshot(path=str(folder / "07-public-ledger.png"), full_page=True)
    finally:
        context.close()
