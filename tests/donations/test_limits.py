"""What one account may promise a fund and leave ungiven, whose gift the desk may not
confirm, and the fund's stored total at the limit of its column (services/limits.py,
stored.py): through the API and the pledge page alike."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from server.core.errors import WusheError
from server.donations.models import Pledge
from server.donations.money import MAX_MONEY
from server.donations.movements import FundBalance
from server.donations.services import funds, limits, pledges
from server.extensions import db
from tests.pages import EN, login, text


def _open(fund) -> int:
    return db.session.scalar(select(func.count(Pledge.id)).where(
        Pledge.fund_id == fund.id, Pledge.end_state.is_(None)))


def _pledged(fund) -> Decimal:
    db.session.expire_all()
    return db.session.get(FundBalance, fund.id).pledged


def test_one_account_holds_a_few_open_pledges_of_at_most_ten_million_in_all(
        as_user, make_fund, make_user):
    fund, _ = make_fund()
    donor = make_user(name="李秀英")
    phone = as_user(donor)
    path = f"/api/v1/funds/{fund.id}/pledges"
    big = phone.post(path, json={"kind": "money", "amount": "9999000"})
    assert big.status_code == 201
    over = phone.post(path, json={"kind": "money", "amount": "1000.01"})
    assert over.status_code == 422, over.get_json()
    body = over.get_json()
    assert body["code"] == "open_amount_too_large"
    assert body["errors"]["amount"] == [body["message"]] and "¥1,000.00" in body["message"]
    assert phone.post(path, json={"kind": "money", "amount": "1000"}).status_code == 201
    for _ in range(limits.OPEN_PLEDGES - 2):
        assert phone.post(path, json={"kind": "goods", "lines": [
            {"category": "clothing", "item": "羽绒服", "unit": "piece",
             "quantity": 1}]}).status_code == 201
    sixth = phone.post(path, json={"kind": "goods", "lines": [
        {"category": "clothing", "item": "羽绒服", "unit": "piece", "quantity": 1}]})
    assert (sixth.status_code, sixth.get_json()["code"]) == (409, "too_many_open_pledges")
    assert _open(fund) == limits.OPEN_PLEDGES
    assert _pledged(fund) == Decimal("10000000.00")
    # raising an open pledge counts the others too
    [first] = [p for p in db.session.scalars(select(Pledge).where(
        Pledge.fund_id == fund.id, Pledge.amount == Decimal("9999000")))]
    raised = phone.patch(f"/api/v1/me/pledges/{first.id}", json={"amount": "9999001"})
    assert (raised.status_code, raised.get_json()["code"]) == (422, "open_amount_too_large")
    # another fund is another count
    other, _ = make_fund(title="白玉县绘本漂流")
    assert phone.post(f"/api/v1/funds/{other.id}/pledges",
                      json={"kind": "money", "amount": "50"}).status_code == 201


def test_the_pledge_page_says_the_same(client, make_fund, make_user, pledge_money):
    fund, _ = make_fund()
    donor = make_user(name="李秀英")
    pledge_money(fund, "9999999", donor=donor)
    token = login(client, donor)
    before = _open(fund)
    resp = client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
        "csrf_token": token, "kind": "money", "amount": "2", "display": "anonymous"})
    assert resp.status_code == 422
    error = re.search(r'id="amount-error" role="alert">([^<]*)<', text(resp))
    assert error and "at most ¥10,000,000.00 in all; ¥1.00 is left" in error.group(1)
    assert _open(fund) == before


def test_more_is_promised_only_while_the_fund_takes_pledges(
        as_user, make_fund, make_user, pledge_money, now):
    fund, coordinator = make_fund()
    donor = make_user(name="李秀英")
    pledge = pledge_money(fund, "1", donor=donor)
    funds.set_status(fund, "closed", actor=coordinator)
    phone = as_user(donor)
    raised = phone.patch(f"/api/v1/me/pledges/{pledge.id}", json={"amount": "9999999"})
    assert (raised.status_code, raised.get_json()["code"]) == (409, "fund_closed")
    assert _pledged(fund) == Decimal("1.00")


def test_the_stored_total_refuses_past_its_column_instead_of_failing(
        as_user, make_fund, make_user, pledge_money):
    fund, _ = make_fund()
    pledge_money(fund, "10")
    db.session.execute(update(FundBalance).where(FundBalance.fund_id == fund.id)
                       .values(pledged=MAX_MONEY - Decimal("5")))
    db.session.flush()
    phone = as_user(make_user(name="陈志强"))
    full = phone.post(f"/api/v1/funds/{fund.id}/pledges", json={"kind": "money", "amount": "6"})
    assert (full.status_code, full.get_json()["code"]) == (409, "fund_total_full")
    assert _pledged(fund) == MAX_MONEY - Decimal("5")
    assert phone.post(f"/api/v1/funds/{fund.id}/pledges",
                      json={"kind": "money", "amount": "5"}).status_code == 201
    assert _pledged(fund) == MAX_MONEY


@pytest.mark.parametrize("how", ["own phone", "own name", "spaced name", "hidden mark"])
def test_a_coordinator_does_not_confirm_a_gift_taken_down_as_their_own(
        app, as_user, make_fund, how):
    fund, coordinator = make_fund()
    desk = as_user(coordinator)
    name = {"own name": coordinator.name, "spaced name": " \u3000".join(coordinator.name),
            "hidden mark": coordinator.name[:1] + "\u200b" + coordinator.name[1:]}.get(
        how, "王大爷")
    taken = desk.post(f"/api/v1/desk/funds/{fund.id}/pledges", json={
        "kind": "money", "amount": "5", "donor_name": name,
        **({"donor_phone": coordinator.phone} if how == "own phone" else {})})
    assert taken.status_code == 201, taken.get_json()
    pledge_id = taken.get_json()["id"]
    receipt = desk.post(f"/api/v1/desk/pledges/{pledge_id}/receipts", json={
        "version": 0, "amount": "5", "receipt_waived": True})
    assert (receipt.status_code, receipt.get_json()["code"]) == (403, "own_pledge")
    accept = desk.post(f"/api/v1/desk/pledges/{pledge_id}/accept")
    assert (accept.status_code, accept.get_json()["code"]) == (403, "own_pledge")
    # and the desk's page offers no form to record it (the service would refuse it)
    page = app.test_client()
    login(page, coordinator)
    shown = text(page.get(f"/desk/pledges/{pledge_id}", headers=EN))
    assert "intake-form" not in shown
    assert "Nobody confirms their own gift: ask another coordinator." in shown


def test_a_gift_taken_down_for_someone_else_is_the_desks_to_confirm(make_fund, now):
    fund, coordinator = make_fund()
    pledge = pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("20"),
                                          "for_someone_else": True, "donor_name": "王大爷"},
                                   actor=coordinator, now=now)
    assert not limits.is_own(pledge, coordinator)
    done = pledges.transition(pledge, "accept", actor=coordinator, now=now)
    assert done.accepted_by_id == coordinator.id
    with pytest.raises(WusheError):
        pledges.transition(pledge, "accept", actor=coordinator, now=now)


@pytest.mark.parametrize(("line", "words"), [
    ("A7K2Q9 1,000", ["A7K2Q9", "1,000"]),
    ("A7K2Q9 ¥1,000 JZ-8", ["A7K2Q9", "1,000", "JZ-8"]),
    ("A7K2Q9 ￥１，０００", ["A7K2Q9", "1,000"]),  # full width, from a Chinese keyboard
    ("A7K2Q9 12,50", ["A7K2Q9", "12,50"]),  # no amount (refused as such), never ¥12 + "50"
    ("A7K2Q9,500,001", ["A7K2Q9", "500", "001"]),  # a row written with commas
    ("a7k2q9，250.00 JZ-88", ["a7k2q9", "250.00", "JZ-88"]),
])
def test_a_batch_line_is_read_as_it_was_meant(line, words):
    from server.donations.page_forms import batch_rows
    assert batch_rows(line) == [(1, words)]


def test_a_batch_line_reads_1_000_as_a_thousand_yuan(app, make_fund, pledge_money):
    """A comma that groups thousands is not a field's end: "REF 1,000" is ¥1,000 (it was
    ¥1.00 with receipt number 000), while "REF,250.00 JZ-8" still has three fields."""
    from server.donations.movements import Fulfilment
    fund, coordinator = make_fund()
    big, small = pledge_money(fund, "1000.00"), pledge_money(fund, "250.00")
    desk = app.test_client()
    token = login(desk, coordinator)
    done = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "2", "receipt_waived": "1",
        "items": f"{big.reference} 1,000\n{small.reference}，250.00 JZ-8"})
    assert done.status_code == 302, text(done)
    got = dict(db.session.execute(select(Fulfilment.pledge_id, Fulfilment.amount)).all())
    assert got == {big.id: Decimal("1000.00"), small.id: Decimal("250.00")}
    assert pledges.state(big) == pledges.state(small) == "fulfilled"


def test_nothing_arrives_or_is_handed_out_before_the_fund_opened(
        as_user, make_fund, pledge_money, now):
    from datetime import timedelta

    from server.core.clock import local
    from tests.donations.api_helpers import counts
    fund, coordinator = make_fund()  # opened thirty days ago
    opened = local(fund.created_at).date()
    pledge = pledge_money(fund, "100.00")
    desk = as_user(coordinator)
    before = counts()
    early = desk.post(f"/api/v1/desk/pledges/{pledge.id}/receipts", json={
        "version": 0, "amount": "100", "receipt_waived": True,
        "received_on": str(opened - timedelta(days=1))})
    assert (early.status_code, early.get_json()["code"]) == (422, "received_before_fund")
    assert early.get_json()["errors"]["received_on"] == [early.get_json()["message"]]
    payout = {"kind": "money", "amount": "10", "recipient_kind": "household",
              "recipient_name": "张三丰", "decision_ref": "〔2026〕1号", "purpose": "大病救助",
              "signed_by": "张三丰", "nonce": "payout-early",
              "distributed_on": "2001-01-01"}
    refused = desk.post(f"/api/v1/desk/funds/{fund.id}/distributions", json=payout)
    assert (refused.status_code, refused.get_json()["code"]) == (422, "distributed_before_fund")
    assert counts() == before
    on_the_day = desk.post(f"/api/v1/desk/pledges/{pledge.id}/receipts", json={
        "version": 0, "amount": "100", "receipt_waived": True, "received_on": str(opened)})
    assert on_the_day.status_code == 201
    assert local(now).date() > opened


def test_a_goods_item_of_spaces_only_is_missing(as_user, make_fund, make_user):
    fund, _ = make_fund()
    phone = as_user(make_user(name="李秀英"))
    for nothing in (" \u3000 ", "\u200b", "\ufeff\u3164"):
        blank = phone.post(f"/api/v1/funds/{fund.id}/pledges", json={"kind": "goods", "lines": [
            {"category": "clothing", "item": nothing, "unit": "piece", "quantity": 2}]})
        assert blank.status_code == 422 and "lines.0.item" in blank.get_json()["errors"]
    trimmed = phone.post(f"/api/v1/funds/{fund.id}/pledges", json={"kind": "goods", "lines": [
        {"category": "clothing", "item": " 羽绒服 ", "unit": "piece", "quantity": 2}]})
    assert trimmed.status_code == 201
    assert trimmed.get_json()["lines"][0]["item"] == "羽绒服"


def test_the_desk_refuses_the_other_kinds_part_as_pledges_do(as_user, make_fund,
                                                            pledge_money, receive):
    from tests.donations.api_helpers import counts
    fund, coordinator = make_fund()
    pledge = pledge_money(fund, "20.00")
    receive(pledge_money(fund, "100.00"), coordinator, amount="100.00")
    desk = as_user(coordinator)
    before = counts()
    mixed = desk.post(f"/api/v1/desk/pledges/{pledge.id}/receipts", json={
        "version": 0, "amount": "20", "receipt_waived": True, "lines": [
            {"category": "books", "item": "书", "unit": "book", "accepted": 5}]})
    assert (mixed.status_code, mixed.get_json()["code"]) == (422, "lines_not_for_money")
    goods = desk.post(f"/api/v1/desk/funds/{fund.id}/distributions", json={
        "kind": "goods", "amount": "50", "recipient_kind": "household",
        "recipient_name": "李四", "purpose": "冬季送暖", "signed_by": "李四", "nonce": "g-1",
        "lines": [{"category": "clothing", "item": "羽绒服", "unit": "piece", "quantity": 1}]})
    assert (goods.status_code, goods.get_json()["code"]) == (422, "amount_not_for_goods")
    assert counts() == before


def test_a_nonce_sent_again_with_another_sum_is_refused_not_taken_for_the_first(
        as_user, make_fund, pledge_money, receive):
    """The same one-time key with the same body is the same record (a retry); with another
    amount it is refused, or the sender would believe ¥999 was paid out."""
    fund, coordinator = make_fund()
    receive(pledge_money(fund, "500.00"), coordinator, amount="500.00")
    desk = as_user(coordinator)
    url = f"/api/v1/desk/funds/{fund.id}/distributions"
    payout = {"kind": "money", "amount": "100", "recipient_kind": "household",
              "recipient_name": "张三丰", "decision_ref": "〔2026〕1号", "purpose": "大病救助",
              "signed_by": "张三丰", "nonce": "payout-d1"}
    first = desk.post(url, json=payout)
    assert first.status_code == 201
    assert desk.post(url, json=payout).get_json()["id"] == first.get_json()["id"]
    changed = desk.post(url, json={**payout, "amount": "999"})
    assert (changed.status_code, changed.get_json()["code"]) == (409, "nonce_reused")
    pledge = pledge_money(fund, "20.00")
    receipt = {"version": 0, "amount": "20", "receipt_waived": True, "nonce": "receipt-r1"}
    assert desk.post(f"/api/v1/desk/pledges/{pledge.id}/receipts",
                     json=receipt).status_code == 201
    other = desk.post(f"/api/v1/desk/pledges/{pledge.id}/receipts",
                      json={**receipt, "version": 1, "amount": "19"})
    assert (other.status_code, other.get_json()["code"]) == (409, "nonce_reused")
    # a batch page sent back with other gifts under the same key
    one, two = pledge_money(fund, "10.00"), pledge_money(fund, "30.00")
    batch = {"expected_count": 1, "receipt_waived": True, "nonce": "batch-b1",
             "items": [{"reference": one.reference, "amount": "10"}]}
    url = f"/api/v1/desk/funds/{fund.id}/batches"
    assert desk.post(url, json=batch).status_code == 201
    assert desk.post(url, json=batch).status_code == 201  # the same, again: the same answer
    next_box = desk.post(url, json={**batch, "items": [{"reference": two.reference,
                                                          "amount": "30"}]})
    assert (next_box.status_code, next_box.get_json()["code"]) == (409, "nonce_reused")
    assert pledges.state(two) == "submitted"


def test_the_pledge_page_of_a_closed_fund_goes_back_to_the_fund(client, make_fund, make_user):
    fund, coordinator = make_fund()
    funds.set_status(fund, "closed", actor=coordinator)
    token = login(client, make_user(name="李秀英"))
    for resp in (client.get(f"/funds/{fund.id}/pledge", headers=EN),
                 client.post(f"/funds/{fund.id}/pledge", headers=EN, data={
                     "csrf_token": token, "kind": "money", "amount": "5"})):
        assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/funds/{fund.id}")
    page = text(client.get(f"/funds/{fund.id}", headers=EN))
    assert "This fund is closed and takes no new pledges." in page
    assert db.session.scalar(select(func.count(Pledge.id)).where(
        Pledge.fund_id == fund.id)) == 0


def test_a_batch_line_without_its_receipt_number_is_named(app, as_user, make_fund, pledge_money):
    """One line of a batch lacks the host's receipt number: the refusal says which line, on
    the page and in the API (items.1.receipt_no), and nothing is recorded."""
    from server.donations.movements import Fulfilment
    fund, coordinator = make_fund()
    first, second = pledge_money(fund, "100.00"), pledge_money(fund, "50.00")
    desk = as_user(coordinator)
    resp = desk.post(f"/api/v1/desk/funds/{fund.id}/batches", json={
        "expected_count": 2, "items": [
            {"reference": first.reference, "amount": "100", "receipt_no": "R-1"},
            {"reference": second.reference, "amount": "50"}]})
    body = resp.get_json()
    assert (resp.status_code, body["code"]) == (422, "receipt_required")
    assert list(body["errors"]) == ["items.1.receipt_no"]
    assert body["errors"]["items.1.receipt_no"] == [body["message"]]
    page = app.test_client()
    token = login(page, coordinator)
    shown = text(page.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "2",
        "items": f"{first.reference} 100 R-1\n{second.reference} 50"})).replace("&#39;", "'")
    assert "Line 2: Enter the host charity's receipt number" in shown
    assert db.session.scalar(select(func.count(Fulfilment.id))) == 0


def test_a_goods_receipt_sent_again_must_be_the_same_goods(make_fund, pledge_goods, receive):
    fund, coordinator = make_fund()
    books = pledge_goods(fund, 10)
    first = receive(books, coordinator, accepted=4, nonce="goods-g1")
    assert receive(books, coordinator, accepted=4, nonce="goods-g1").id == first.id
    with pytest.raises(WusheError) as refused:  # as many, but turned away instead
        receive(books, coordinator, accepted=0, rejected=4, reason="破损", nonce="goods-g1")
    assert refused.value.code == "nonce_reused"


def test_goods_have_a_limit_too_and_are_not_raised_after_the_fund_closed(
        as_user, make_fund, make_user):
    fund, coordinator = make_fund()
    phone = as_user(make_user(name="李秀英"))
    url = f"/api/v1/funds/{fund.id}/pledges"

    def books(n):
        return {"lines": [{"category": "picture_books", "item": "儿童绘本", "unit": "book",
                           "quantity": n}]}
    made = phone.post(url, json={"kind": "goods", **books(90_000)})
    assert made.status_code == 201
    over = phone.post(url, json={"kind": "goods", **books(10_001)})
    body = over.get_json()
    assert (over.status_code, body["code"]) == (422, "open_goods_too_many")
    assert "10,000" in body["message"] or "10000" in body["message"]
    pledge_id = made.get_json()["id"]
    funds.set_status(fund, "closed", actor=coordinator)
    db.session.flush()
    fewer = phone.patch(f"/api/v1/me/pledges/{pledge_id}", json=books(80_000))
    assert fewer.status_code == 200, fewer.get_json()  # fewer may still be promised
    raised = phone.patch(f"/api/v1/me/pledges/{pledge_id}", json=books(80_001))
    assert (raised.status_code, raised.get_json()["code"]) == (409, "fund_closed")
    other = phone.patch(f"/api/v1/me/pledges/{pledge_id}", json={"lines": [
        {"category": "clothing", "item": "羽绒服", "unit": "piece", "quantity": 1}]})
    assert (other.status_code, other.get_json()["code"]) == (409, "fund_closed")


@pytest.mark.parametrize(("amount", "typed"), [
    ("1 000", "1 000"), ("¥1 000 JZ-8", "¥1 000"), ("12 345 678", "12 345 678"),
    ("1　000.50", "1 000.50"), ("1 000元", "1 000")])
def test_a_batch_line_with_spaced_thousands_is_refused_on_its_line(app, make_fund,
                                                                   pledge_money, amount,
                                                                   typed):
    """"REF 1 000" is ¥1,000 to whoever wrote it, and was recorded as ¥1 with receipt
    number 000: either reading is plausible, so the line is refused and says how to write
    it; nothing of the batch is recorded."""
    from server.donations.movements import Fulfilment
    fund, coordinator = make_fund()
    first, second = pledge_money(fund, "20.00"), pledge_money(fund, "1000.00")
    desk = app.test_client()
    token = login(desk, coordinator)
    refused = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "2", "receipt_waived": "1",
        "items": f"{first.reference} 20\n{second.reference} {amount}"})
    assert refused.status_code == 422, text(refused)
    page = text(refused)
    assert f"Line 2: “{typed}” could be one amount with a space between its thousands" in page
    assert db.session.scalar(select(func.count()).select_from(Fulfilment)) == 0
    assert pledges.state(first) == pledges.state(second) == "submitted"


def test_a_receipt_number_after_a_semicolon_is_one_and_a_grouped_amount_is_read(
        app, make_fund, pledge_money):
    from server.donations.movements import Fulfilment
    fund, coordinator = make_fund()
    big, small = pledge_money(fund, "1000.00"), pledge_money(fund, "500.00")
    pasted = pledge_money(fund, "50.00")  # columns pasted from a spreadsheet: tabs
    desk = app.test_client()
    token = login(desk, coordinator)
    done = desk.post(f"/desk/funds/{fund.id}/batch", headers=EN, data={
        "csrf_token": token, "expected_count": "3",
        "items": f"{big.reference} 1000 000123\n{small.reference} 500; 123\n"
                 f"{pasted.reference}\t50\t123"})
    assert done.status_code == 302, text(done)
    got = {pid: (amount, receipt) for pid, amount, receipt in db.session.execute(
        select(Fulfilment.pledge_id, Fulfilment.amount, Fulfilment.receipt_no))}
    assert got == {big.id: (Decimal("1000.00"), "000123"), small.id: (Decimal("500.00"), "123"),
                   pasted.id: (Decimal("50.00"), "123")}
