"""Donation pages as a person sees them: the public fund page and ledger, pledging, my
pledges, and the coordinators' desk (intake, batches, giving out, funds)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.donations.models import Fund, Pledge
from server.donations.movements import Distribution, Fulfilment
from server.donations.services import distribute, donor_display, pledges
from server.extensions import db
from tests.pages import EN, login, text

DONOR_PHONE = "13912345678"


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _section(page: str, marker: str) -> str:
    """The HTML from `marker` to the next heading."""
    start = page.index(marker)
    end = page.find("<h2", start)
    return page[start:end if end != -1 else None]


@pytest.fixture
def books(make_fund, make_user, pledge_goods, receive):
    """A book drive: 王小红 pledged 50 picture books as 王女士; 48 arrived, 2 were damaged."""
    fund, coordinator = make_fund(title="白玉县绘本漂流", target="1000.00")
    donor = make_user(name="王小红", phone=DONOR_PHONE, gender="female")
    pledge = pledge_goods(fund, 50, donor=donor, display="surname", title="ms")
    receive(pledge, coordinator, accepted=48, rejected=2, reason="破损")
    return fund, coordinator, donor, pledge


def test_the_public_fund_page_shows_progress_and_names_only_with_consent(
        client, books, make_user, pledge_money, receive, now):
    fund, coordinator, _donor, _pledge = books
    quiet = make_user(name="李建国", phone="13987654321")
    cash = pledge_money(fund, "500.00", donor=quiet)  # anonymous unless chosen otherwise
    receive(cash, coordinator, amount="300.00")
    distribute.distribute(fund.id, {"kind": "money", "amount": Decimal("120.50"),
                                    "recipient_kind": "household", "recipient_name": "张三丰",
                                    "decision_ref": "村委会决议2026-07", "purpose": "大病救助",
                                    "signed_by": "张三丰"}, actor=coordinator, now=now)

    resp = client.get(f"/funds/{fund.id}", headers=EN)  # nobody logged in
    page = text(resp)
    assert resp.status_code == 200
    assert "白玉县绘本漂流" in page and 'Target <span class="money">¥1,000.00</span>' in page
    assert re.search(r'data-testid="cash-pledged"><span class="money">¥500\.00</span><', page)
    assert re.search(r'data-testid="cash-received"><span class="money">¥300\.00</span><', page)
    assert re.search(r'data-testid="cash-distributed"><span class="money">¥120\.50</span><', page)
    goods = page[page.index('data-testid="goods-progress"'):page.index("</table>")]
    assert "Children&#39;s picture books" in goods or "Children's picture books" in goods
    assert re.search(r'data-figure="pledged"><span class="gift-num">50</span> books', goods)
    assert re.search(r'data-figure="received"><span class="gift-num">48</span> books', goods)
    # in-kind value, apart from cash
    assert 'valued at <span class="money">¥480.00</span> at intake' in page
    assert "本村大病患者家庭" in page  # the published criteria
    ledger = page[page.index('data-testid="ledger"'):page.index("</ol>")]
    assert "王女士" in ledger and "Anonymous" in ledger and "张**家" in ledger
    assert 'data-quantity="48" data-unit="book"' in ledger and "+¥300.00" in ledger
    assert "-¥120.50" in ledger
    for secret in ("王小红", "李建国", "张三丰", DONOR_PHONE, "13987654321", "138****"):
        assert secret not in page
    assert f'href="/funds/{fund.id}/pledge"' in page and "I want to give" in page
    assert f'href="/funds/{fund.id}/ledger"' in page
    assert f'href="/api/v1/funds/{fund.id}/ledger.csv" download' in page

    listing = text(client.get("/funds", headers=EN))
    assert "白玉县绘本漂流" in listing and "¥300.00" in listing
    assert re.search(r"Goods received:\s*Children.{1,10}s picture books "
                     r'<span class="gift-num">48</span> books', listing)
    chinese = text(client.get("/funds", headers={"Accept-Language": "zh-CN"}))
    assert re.search(r"已收物资：儿童绘本", chinese)  # no space after a full-width colon
    assert re.search(r'href="/funds"\s+class="weui-tabbar__item weui-bar__item_on"', listing)


def test_the_ledger_page_pages_newest_first_and_shows_reversals(
        client, books, pledge_money, receive, now, monkeypatch):
    from server.donations import views
    from server.donations.services import intake
    fund, coordinator, _donor, _pledge = books
    wrong = receive(pledge_money(fund, "50.00"), coordinator, amount="50.00")
    intake.reverse(wrong, actor=coordinator, reason="录错了，其实是另一个基金", now=now)
    page = text(client.get(f"/funds/{fund.id}/ledger", headers=EN))
    rows = re.findall(r'<li class="ledger-row([^"]*)"\s+data-kind="(\w+)"', page)
    assert rows == [(" ledger-row--reversal", "cash_in"), (" ledger-row--reversed", "cash_in"),
                    ("", "goods_in")]
    assert "Reversal" in page and "Note: 录错了，其实是另一个基金" in page
    assert 'data-rejected="2"' in page and "not accepted: 破损" in page
    assert "王女士" in page and "王小红" not in page

    monkeypatch.setattr(views, "LEDGER_PAGE", 2)
    first = text(client.get(f"/funds/{fund.id}/ledger", headers=EN))
    assert "Page 1 of 2" in first and "goods_in" not in first
    second = text(client.get(f"/funds/{fund.id}/ledger?page=2", headers=EN))
    assert 'data-kind="goods_in"' in second and "Newer" in second
    assert client.get(f"/funds/{fund.id}/ledger?page=abc").status_code == 200
    assert client.get("/funds/999999/ledger").status_code == 404


def test_a_resident_pledges_goods_and_sees_the_reference_code(client, make_fund, make_user):
    fund, _ = make_fund(title="图书捐赠")
    donor = make_user(name="王小红", gender="female")
    token = login(client, donor)
    form = text(client.get(f"/funds/{fund.id}/pledge", headers=EN))
    assert 'name="lines-0-item"' in form and 'name="amount"' in form
    assert re.search(r'name="display" value="anonymous" id="display-anonymous" checked', form)
    assert "王女士" in form  # the surname choice previews how it will read

    resp = client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
        "csrf_token": token, "kind": "goods", "amount": "999",  # left over from "money"
        "lines-0-category": "picture_books", "lines-0-item": "儿童绘本",
        "lines-0-quantity": "50", "lines-0-unit": "book", "lines-0-condition": "new",
        # a line added then removed on the phone leaves a gap in the numbers
        "lines-3-category": "stationery", "lines-3-item": "铅笔", "lines-3-quantity": "100",
        "lines-3-unit": "box", "lines-3-condition": "new",
        "display": "surname", "title": "ms", "wants_receipt": "1"})
    assert resp.status_code == 302
    made = db.session.scalars(select(Pledge).where(Pledge.donor_id == donor.id)).one()
    assert resp.headers["Location"].endswith(f"/pledges/{made.id}/done")
    assert made.kind == "goods" and made.amount is None and made.wants_receipt
    assert [(x.item, x.quantity, x.unit) for x in made.lines] == [("儿童绘本", 50, "book"),
                                                                 ("铅笔", 100, "box")]
    assert donor_display.public_name(made) == "王女士"

    done = text(client.get(resp.headers["Location"], headers=EN))
    assert re.search(rf'class="ref-code" data-testid="reference"[^>]*>{made.reference}<', done)
    assert "村委会一楼" in done  # how to give, from the fund
    assert "weui-msg" in done


def test_a_money_pledge_is_decimal_and_anonymous_by_default(client, make_fund, make_user):
    fund, _ = make_fund()
    donor = make_user(name="李建国")
    token = login(client, donor)
    resp = client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
        "csrf_token": token, "kind": "money", "amount": "1,288.50",
        "lines-0-item": "ignored for money", "display": "anonymous", "title": "mr"})
    assert resp.status_code == 302
    made = db.session.scalars(select(Pledge).where(Pledge.donor_id == donor.id)).one()
    assert made.amount == Decimal("1288.50") and made.lines == []
    assert made.display == "anonymous" and made.title is None


@pytest.mark.parametrize(("amount", "message"), [
    ("12.345", "Yuan have at most two decimal places (fen)."),
    ("-5", "Enter an amount in yuan, e.g. 50 or 50.50."),
    ("", "Enter an amount in yuan."),
    ("0", "The amount must be more than zero."),
])
def test_a_bad_amount_re_renders_with_the_message_and_writes_nothing(
        client, make_fund, make_user, amount, message):
    fund, _ = make_fund()
    token = login(client, make_user())
    before = _count(Pledge)
    resp = client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
        "csrf_token": token, "kind": "money", "amount": amount, "display": "anonymous"})
    page = text(resp)
    assert resp.status_code == 422
    # a schema's refusal says "fields need attention"; the service's says what to do
    assert ("Some fields need your attention." if amount else "Enter an amount in yuan.") in page
    error = re.search(r'id="amount-error" role="alert">([^<]*)<', page)
    assert error and error.group(1) == message
    assert f'name="amount" type="text"\n      value="{amount}"' in page  # what was typed
    assert _count(Pledge) == before


def test_a_bad_goods_line_is_marked_next_to_its_box(client, make_fund, make_user):
    fund, _ = make_fund()
    token = login(client, make_user())
    resp = client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
        "csrf_token": token, "kind": "goods", "lines-0-category": "picture_books",
        "lines-0-item": "儿童绘本", "lines-0-quantity": "0", "lines-0-unit": "crate"})
    page = text(resp)
    assert resp.status_code == 422
    assert re.search(r'id="lines-0-quantity-error" role="alert">Enter a whole number from 1 to '
                     r"100,000\.<", page)
    assert re.search(r'id="lines-0-unit-error" role="alert">Choose a unit from the list', page)
    assert 'value="儿童绘本"' in page
    surname = client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
        "csrf_token": token, "kind": "money", "amount": "50", "display": "surname"})
    assert surname.status_code == 422 and "Choose Ms or Mr" in text(surname)
    assert _count(Pledge) == 0


def test_pledging_needs_a_login_and_an_open_fund(client, make_fund, make_user, now):
    from server.donations.services import funds
    fund, coordinator = make_fund()
    resp = client.get(f"/funds/{fund.id}/pledge")
    assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]
    funds.set_status(fund, "closed", actor=coordinator)
    token = login(client, make_user())
    assert "I want to give" not in text(client.get(f"/funds/{fund.id}", headers=EN))
    closed = client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
        "csrf_token": token, "kind": "money", "amount": "50"}, follow_redirects=True)
    assert closed.request.path == f"/funds/{fund.id}" and "This fund is closed" in text(closed)
    assert client.get("/funds/999999/pledge").status_code == 404


def test_the_desk_records_48_accepted_and_2_rejected(app, make_fund, make_user, pledge_goods,
                                                     now):
    fund, coordinator = make_fund(title="图书捐赠")
    donor = make_user(name="王小红", phone=DONOR_PHONE)
    pledge = pledge_goods(fund, 50, donor=donor, display="surname", title="ms")
    desk = app.test_client()
    token = login(desk, coordinator)

    found = desk.get(f"/desk?q={pledge.reference.lower()}", headers=EN)
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/desk/pledges/{pledge.id}")
    page = text(desk.get(f"/desk/pledges/{pledge.id}", headers=EN))
    assert "王小红" in page and "139****5678" in page and "In public: 王女士" in page
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    assert 'name="version" value="0"' in page
    assert re.search(r'name="lines-0-accepted" value="50"', page)  # what is outstanding
    # the donor asked for no receipt: the waiver starts ticked, and the desk may untick it
    assert re.search(r'name="receipt_waived" value="1" id="receipt_waived"\s*checked', page)
    asked = pledge_goods(fund, 5, donor=donor, wants_receipt=True)
    wanted = text(desk.get(f"/desk/pledges/{asked.id}", headers=EN))
    assert re.search(r'name="receipt_waived" value="1" id="receipt_waived"\s*>', wanted)

    form = {"csrf_token": token, "version": "0", "nonce": nonce,
            "lines-0-pledge_line_id": str(pledge.lines[0].id), "lines-0-accepted": "48",
            "lines-0-rejected": "2", "lines-0-reject_reason": "", "lines-0-unit_value": "12.50"}
    no_reason = desk.post(f"/desk/pledges/{pledge.id}/receive", headers=EN, data=form)
    assert no_reason.status_code == 422
    assert "This is required." in text(no_reason)
    # the box that needs attention says so to a screen reader, and points at the message
    assert ('name="lines-0-reject_reason" aria-invalid="true" '
            'aria-describedby="lines-0-reject_reason-error"') in text(no_reason)
    assert 'id="lines-0-reject_reason-error"' in text(no_reason)
    assert 'name="lines-0-accepted" value="48"' in text(no_reason)  # what was typed stays
    no_receipt = desk.post(f"/desk/pledges/{pledge.id}/receive", headers=EN,
                           data={**form, "lines-0-reject_reason": "破损"})
    assert no_receipt.status_code == 422 and "tick that the donor waived it" in text(no_receipt)
    assert _count(Fulfilment) == 0

    good = {**form, "lines-0-reject_reason": "破损", "receipt_waived": "1"}
    done = desk.post(f"/desk/pledges/{pledge.id}/receive", headers=EN, data=good)
    assert done.status_code == 302
    again = desk.post(f"/desk/pledges/{pledge.id}/receive", headers=EN, data=good)  # double tap
    assert again.status_code == 302 and _count(Fulfilment) == 1

    page = text(desk.get(f"/desk/pledges/{pledge.id}", headers=EN))
    assert 'data-state="fulfilled">Received in full<' in page
    assert "not accepted" in page and "破损" in page
    assert '<span class="money">¥12.50</span> each' in page
    assert f'action="/desk/pledges/{pledge.id}/receive"' not in page  # nothing left to do

    resident = app.test_client()
    login(resident, donor)
    mine = text(resident.get("/pledges", headers=EN))
    assert pledge.reference in mine and "Received in full" in mine
    detail = text(resident.get(f"/pledges/{pledge.id}", headers=EN))
    assert "Received in full" in detail and "破损" in detail
    assert "Something has already been received" in detail  # why it can no longer change
    assert "Withdraw this pledge" not in detail


def test_a_changed_pledge_is_not_recorded_twice(app, make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    pledge = pledge_money(fund, "500.00")
    desk = app.test_client()
    token = login(desk, coordinator)
    page = text(desk.get(f"/desk/pledges/{pledge.id}", headers=EN))
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    assert 'name="amount" type="text"\n      value="500.00"' in page
    receive(pledge, coordinator, amount="200.00")  # recorded at another table meanwhile
    stale = desk.post(f"/desk/pledges/{pledge.id}/receive", headers=EN, data={
        "csrf_token": token, "version": "0", "nonce": nonce, "amount": "500",
        "receipt_no": "JZ-0001"})
    assert stale.status_code == 409 and "This pledge has just changed" in text(stale)
    assert 'name="version" value="1"' in text(stale)
    assert _count(Fulfilment) == 1


def test_hand_set_ends_need_a_reason_and_reversals_are_kept(app, make_fund, pledge_money,
                                                             receive):
    fund, coordinator = make_fund()
    waiting = pledge_money(fund, "200.00")
    got = pledge_money(fund, "100.00")
    fulfilment = receive(got, coordinator, amount="100.00")
    desk = app.test_client()
    token = login(desk, coordinator)
    blank = desk.post(f"/desk/pledges/{waiting.id}/reject", headers=EN,
                      data={"csrf_token": token, "reason": ""})
    assert blank.status_code == 422 and "This is required." in text(blank)
    assert desk.post(f"/desk/pledges/{waiting.id}/accept", headers=EN,
                     data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert pledges.state(waiting) == "accepted"
    assert desk.post(f"/desk/pledges/{waiting.id}/cancel", headers=EN,
                     data={"csrf_token": token, "reason": "捐赠人联系不上"}).status_code == 302
    assert 'data-state="cancelled"' in text(desk.get(f"/desk/pledges/{waiting.id}", headers=EN))

    reason_missing = desk.post(f"/desk/fulfilments/{fulfilment.id}/reverse", headers=EN,
                               data={"csrf_token": token, "reason": " "})
    assert reason_missing.status_code == 422
    reversed_ = desk.post(f"/desk/fulfilments/{fulfilment.id}/reverse", headers=EN,
                          data={"csrf_token": token, "reason": "金额录错"})
    assert reversed_.status_code == 302 and pledges.state(got) == "accepted"
    page = text(desk.get(f"/desk/pledges/{got.id}", headers=EN))
    assert "Reversal" in page and "Reversed" in page and "金额录错" in page
    assert desk.post("/desk/fulfilments/999999/reverse", headers=EN,
                     data={"csrf_token": token, "reason": "x"}).status_code == 404


def test_people_who_do_not_run_the_fund_cannot_use_the_desk(
        app, books, make_user, make_node, grant):
    fund, _coordinator, _donor, pledge = books
    elsewhere = make_user(name="别处的协调员")
    grant(elsewhere, "coordinator", make_node(name="别的街道", kind="street"))
    # funds are public, so their desk pages say "only its coordinators"; a pledge holds a
    # donor's details, so to anyone else it does not exist (as the API says)
    urls = [f"/desk/funds/{fund.id}/batch", f"/desk/funds/{fund.id}/distribute",
            f"/desk/funds/{fund.id}/edit"]
    for person, desk_status in ((make_user(name="居民"), 403), (elsewhere, 200)):
        client = app.test_client()
        token = login(client, person)
        assert client.get("/desk", headers=EN).status_code == desk_status
        for url in urls:
            resp = client.get(url, headers=EN)
            assert resp.status_code == 403, url
            assert "Only the fund&#39;s coordinators" in text(resp) or \
                "Only the fund's coordinators" in text(resp)
        assert client.get(f"/desk/pledges/{pledge.id}", headers=EN).status_code == 404
        post = client.post(f"/desk/pledges/{pledge.id}/receive", headers=EN,
                           data={"csrf_token": token, "version": "1", "amount": "1"})
        assert post.status_code == 404
    resident_desk = app.test_client()
    login(resident_desk, make_user(name="另一个居民"))
    assert resident_desk.get("/desk/funds").status_code == 403
    # the donor's own page is theirs alone
    assert resident_desk.get(f"/pledges/{pledge.id}").status_code == 404
    anonymous = app.test_client().get("/desk")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_batch_that_does_not_match_is_re_rendered_with_the_text(app, make_fund, pledge_money):
    fund, coordinator = make_fund()
    first, second = pledge_money(fund, "100.00"), pledge_money(fund, "250.00")
    desk = app.test_client()
    token = login(desk, coordinator)
    typed = f"{first.reference} 100\n\n{second.reference.lower()}，250.00 JZ-88"
    resp = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "2", "expected_total": "300",
        "items": typed, "receipt_waived": "1"})
    page = text(resp)
    assert resp.status_code == 422
    assert "The batch does not match what was counted: ¥350.00 / ¥300.00" in page
    assert typed in page.replace("&#39;", "'")  # what was typed is kept, as typed
    assert 'value="300"' in page and _count(Fulfilment) == 0

    unreadable = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "2", "items": f"{first.reference} 100\n张三"})
    assert unreadable.status_code == 422
    assert "Line 2 should be a reference code and an amount" in text(unreadable)
    unknown = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "1", "items": "ZZZZZZ 10"})
    assert unknown.status_code == 422 and "No pledge has the reference code ZZZZZZ" in text(unknown)
    bad_amount = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "1", "items": f"\n{first.reference} 1.005"})
    assert "Line 2: Yuan have at most two decimal places" in text(bad_amount)

    ok = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "2", "expected_total": "350",
        "items": typed, "receipt_waived": "1"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/desk?fund={fund.id}")
    assert _count(Fulfilment) == 2
    assert pledges.state(first) == pledges.state(second) == "fulfilled"
    assert db.session.scalars(select(Fulfilment.receipt_no).where(
        Fulfilment.pledge_id == second.id)).one() == "JZ-88"


def test_giving_out_more_than_the_stock_shows_the_stock_error(app, client, books):
    fund, coordinator, _donor, pledge = books
    desk = app.test_client()
    token = login(desk, coordinator)
    page = text(desk.get(f"/desk/funds/{fund.id}/distribute", headers=EN))
    key = "picture_books|儿童绘本|book"
    assert f'value="{key}"' in page and "儿童绘本 · 48 books" in page
    form = {"csrf_token": token, "kind": "goods", "stock_item": key, "quantity": "60",
            "recipient_kind": "household", "recipient_name": "赵大爷", "purpose": "送书",
            "signed_by": "赵大爷", "nonce": "n-1"}
    over = desk.post(f"/desk/funds/{fund.id}/distribute", headers=EN, data=form)
    assert over.status_code == 409
    assert re.search(r"Only 48 book\S* of 儿童绘本 are in stock\.", text(over))
    assert 'id="quantity-error"' in text(over) and 'value="60"' in text(over)
    assert _count(Distribution) == 0
    cash = desk.post(f"/desk/funds/{fund.id}/distribute", headers=EN, data={
        **form, "kind": "money", "amount": "10", "decision_ref": "", "nonce": "n-2"})
    assert cash.status_code in (409, 422) and _count(Distribution) == 0

    ok = desk.post(f"/desk/funds/{fund.id}/distribute", headers=EN,
                   data={**form, "quantity": "30"})
    assert ok.status_code == 302
    again = desk.post(f"/desk/funds/{fund.id}/distribute", headers=EN,
                      data={**form, "quantity": "30"})  # the same form sent twice
    assert again.status_code == 302 and _count(Distribution) == 1
    page = text(desk.get(f"/desk/funds/{fund.id}/distribute", headers=EN))
    assert "To 赵大爷" in page and "儿童绘本 · 18 books" in page
    public = text(client.get(f"/funds/{fund.id}/ledger", headers=EN))
    assert "赵**家" in public and "赵大爷" not in public

    resident = app.test_client()
    login(resident, pledge.donor)
    funded = text(resident.get(f"/pledges/{pledge.id}", headers=EN))
    assert "What my gift funded" in funded and "赵**家" in funded
    assert re.search(r"Still in stock:\s*儿童绘本 <span class=\"gift-num\">18</span>", funded)


def test_my_pledge_can_be_changed_renamed_and_withdrawn(client, make_fund, make_user,
                                                        pledge_money):
    fund, _ = make_fund()
    donor = make_user(name="欧阳娜娜")
    pledge = pledge_money(fund, "200.00", donor=donor)
    token = login(client, donor)
    edit = text(client.get(f"/pledges/{pledge.id}/edit", headers=EN))
    assert 'value="200.00"' in edit
    changed = client.post(f"/pledges/{pledge.id}/edit", headers=EN, data={
        "csrf_token": token, "amount": "300", "due_on": ""})
    db.session.expire_all()  # the page wrote through its own session
    assert changed.status_code == 302 and pledge.amount == Decimal("300.00")

    renamed = client.post(f"/pledges/{pledge.id}/display", headers=EN, data={
        "csrf_token": token, "display": "surname", "title": "ms"})
    assert renamed.status_code == 302
    assert "欧阳女士" in text(client.get(f"/pledges/{pledge.id}", headers=EN))
    no_title = client.post(f"/pledges/{pledge.id}/display", headers=EN, data={
        "csrf_token": token, "display": "surname"})
    assert no_title.status_code == 422 and "Choose Ms or Mr" in text(no_title)

    no_reason = client.post(f"/pledges/{pledge.id}/withdraw", headers=EN, data={
        "csrf_token": token, "reason_choice": "other", "reason_other": ""})
    assert no_reason.status_code == 422 and "This is required." in text(no_reason)
    gone = client.post(f"/pledges/{pledge.id}/withdraw", headers=EN, data={
        "csrf_token": token, "reason_choice": "gave_elsewhere"})
    assert gone.status_code == 302
    db.session.expire_all()
    # kept in Chinese for the coordinators, though this donor reads English
    assert pledges.state(pledge) == "withdrawn" and pledge.end_reason == "已通过其他方式捐赠"
    page = text(client.get(f"/pledges/{pledge.id}", headers=EN))
    assert 'data-state="withdrawn"' in page and "Reason: 已通过其他方式捐赠" in page
    locked = client.get(f"/pledges/{pledge.id}/edit", headers=EN)
    assert locked.status_code == 302  # back to the pledge, which says why


def test_me_offers_my_pledges_and_the_desk_to_those_who_run_funds(app, make_fund, make_user):
    _fund, coordinator = make_fund()
    resident = app.test_client()
    login(resident, make_user())
    page = text(resident.get("/me", headers=EN))
    assert 'href="/pledges"' in page and 'href="/desk"' not in page
    staff = app.test_client()
    login(staff, coordinator)
    assert 'href="/desk"' in text(staff.get("/me", headers=EN))


def test_a_coordinator_opens_and_edits_a_fund(app, make_node, make_org, make_user, grant):
    street = make_node(name="魏善庄镇", kind="town")
    village = make_node(name="赵庄子村", kind="village", parent=street)
    host = make_org(name="魏善庄慈善基金会", node=street, kind="charity")
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", street)
    desk = app.test_client()
    token = login(desk, coordinator)
    page = text(desk.get("/desk/funds", headers=EN))
    assert f'<option value="{host.id}"' in page and f'<option value="{village.id}"' in page
    form = {"csrf_token": token, "kind": "fund", "title": "赵庄子爱心救助基金",
            "purpose": "大病救助", "host_id": str(host.id), "node_id": str(village.id),
            "target_amount": "210000.001", "accepts_money": "1"}
    bad = desk.post("/desk/funds", headers=EN, data=form)
    assert bad.status_code == 422 and "Yuan have at most two decimal places" in text(bad)
    assert 'value="赵庄子爱心救助基金"' in text(bad) and _count(Fund) == 0
    made = desk.post("/desk/funds", headers=EN, data={**form, "target_amount": "210000"})
    assert made.status_code == 302
    fund = db.session.scalars(select(Fund)).one()
    assert fund.target_amount == Decimal("210000.00") and not fund.accepts_goods
    edited = desk.post(f"/desk/funds/{fund.id}/edit", headers=EN, data={
        "csrf_token": token, "kind": "fund", "title": "赵庄子爱心救助基金", "purpose": "大病救助",
        "criteria": "本村户籍大病患者", "accepts_money": "1", "accepts_goods": "1"})
    db.session.expire_all()
    assert edited.status_code == 302 and fund.criteria == "本村户籍大病患者" and fund.accepts_goods
    closed = desk.post(f"/desk/funds/{fund.id}/status", headers=EN,
                       data={"csrf_token": token, "status": "closed"})
    db.session.expire_all()
    assert closed.status_code == 302 and fund.status == "closed"


def test_a_quantity_reads_with_its_unit_in_each_language(app):
    """1 book, 20 books, 20本: not "20book(s)" (the gift-received message) or "20 book(s)"."""
    from flask_babel import force_locale

    from server.donations.vocab import counted
    with app.test_request_context(), force_locale("en"):
        assert (counted(1, "book"), counted(20, "book"), counted(3, "box"),
                counted(2, "kg")) == ("1 book", "20 books", "3 boxes", "2 kg")
    with app.test_request_context(), force_locale("zh_CN"):
        assert (counted(20, "book"), counted(2, "kg")) == ("20本", "2千克")
