"""Found in review: bounded numbers, batches sent twice, values too large for a record,
edits that change nothing, who may decide what, and what the public sees."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.core.clock import local
from server.donations.movements import Fulfilment, IntakeBatch
from server.donations.services import distribute, intake, ledger, pledges, queue
from server.extensions import db


def _raw(client, url, text, method="POST"):
    return client.open(url, method=method, data=text, content_type="application/json")


# --- numbers in JSON ---------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    '{"kind": "money", "amount": 1e1000000}',        # would become a million-digit integer
    '{"kind": "money", "amount": 1' + "0" * 5000 + "}",  # beyond Python's int parsing
    '{"kind": "money", "amount": NaN}',
    '{"kind": "money", "amount": Infinity}',
])
def test_absurd_json_numbers_are_a_clear_400(as_user, make_fund, make_user, body):
    fund, _ = make_fund()
    resp = _raw(as_user(make_user()), f"/api/v1/funds/{fund.id}/pledges", body)
    assert resp.status_code == 400 and resp.get_json()["status"] == 400
    assert db.session.scalar(select(func.count()).select_from(pledges.Pledge)) == 0


def test_a_count_with_a_fraction_is_refused_not_cut(as_user, make_fund, make_user):
    fund, _ = make_fund()
    resp = _raw(as_user(make_user()), f"/api/v1/funds/{fund.id}/pledges",
                '{"kind": "goods", "lines": [{"category": "books", "item": "童书", '
                '"unit": "book", "quantity": 48.9}]}')
    assert resp.status_code == 422 and "lines.0.quantity" in resp.get_json()["errors"]
    ok = _raw(as_user(make_user()), f"/api/v1/funds/{fund.id}/pledges",
              '{"kind": "goods", "lines": [{"category": "books", "item": "童书", '
              '"unit": "book", "quantity": 48.0}]}')
    assert ok.status_code == 201 and ok.get_json()["lines"][0]["quantity"] == 48


def test_the_login_endpoint_answers_giant_numbers_with_400(as_user):
    resp = _raw(as_user(), "/api/v1/auth/login",
                '{"phone": ' + "1" * 5000 + ', "password": "x"}')
    assert resp.status_code == 400


# --- batches -------------------------------------------------------------------------------

def test_a_batch_sent_twice_is_recorded_once(make_fund, pledge_money, now):
    fund, coordinator = make_fund()
    gifts = [pledge_money(fund, "100.00"), pledge_money(fund, "50.00")]
    data = {"nonce": "box-7", "expected_count": 2, "expected_total": Decimal("150.00"),
            "receipt_waived": True,
            "items": [{"reference": p.reference, "amount": p.amount} for p in gifts]}
    first = intake.record_batch(fund.id, data, actor=coordinator, now=now)
    again = intake.record_batch(fund.id, data, actor=coordinator, now=now)
    assert [f.id for f in again] == [f.id for f in first]
    assert db.session.scalar(select(func.count(Fulfilment.id))) == 2
    assert db.session.scalar(select(func.count(IntakeBatch.id))) == 1
    assert ledger.cash_balance(fund.id) == Decimal("150.00")


def test_a_batch_names_the_line_of_an_ended_or_own_pledge(make_fund, pledge_money, now):
    fund, coordinator = make_fund()
    fine, ended = pledge_money(fund, "10.00"), pledge_money(fund, "20.00")
    pledges.transition(ended, "cancel", actor=coordinator, now=now, reason="联系不上")
    own = pledge_money(fund, "30.00", donor=coordinator)
    base = {"expected_count": 2, "receipt_waived": True}
    with pytest.raises(pledges.errors.PledgeEnded) as exc:
        intake.record_batch(fund.id, {**base, "items": [
            {"reference": fine.reference, "amount": Decimal("10")},
            {"reference": ended.reference, "amount": Decimal("20")}]}, actor=coordinator,
            now=now)
    # each line's own words, not "choose one of the options"
    assert {k: [str(t) for t in v] for k, v in exc.value.errors.items()} == {
        "items.1.reference": [exc.value.text()]}
    with pytest.raises(pledges.errors.OwnPledge) as exc:
        intake.record_batch(fund.id, {**base, "items": [
            {"reference": own.reference, "amount": Decimal("30")},
            {"reference": fine.reference, "amount": Decimal("10")}]}, actor=coordinator,
            now=now)
    assert {k: [str(t) for t in v] for k, v in exc.value.errors.items()} == {
        "items.0.reference": [exc.value.text()]}
    assert db.session.scalar(select(func.count(Fulfilment.id))) == 0


# --- values a record cannot hold -------------------------------------------------------------

def test_an_intake_worth_more_than_a_record_holds_is_refused(make_fund, pledge_goods, receive):
    fund, coordinator = make_fund()
    pledge = pledge_goods(fund, 100_000)
    with pytest.raises(intake.errors.ValueTooLarge) as exc:
        receive(pledge, coordinator, accepted=100_000, unit_value="100000.00")
    assert exc.value.code == "value_too_large"
    assert ledger.count(fund) == 0


# --- editing ----------------------------------------------------------------------------------

def test_saving_the_same_promise_keeps_it_accepted(as_user, make_fund, make_user, now):
    fund, coordinator = make_fund()
    donor = make_user()
    made = as_user(donor).post(f"/api/v1/funds/{fund.id}/pledges",
                               json={"kind": "money", "amount": "500.00"}).get_json()
    pledge = pledges.get_pledge(made["id"])
    pledges.transition(pledge, "accept", actor=coordinator, now=now)
    resp = as_user(donor).patch(f"/api/v1/me/pledges/{made['id']}",
                                json={"amount": "500", "note": "周五送到"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "accepted"
    assert pledges.get_pledge(made["id"]).version == 0
    changed = as_user(donor).patch(f"/api/v1/me/pledges/{made['id']}", json={"amount": "400"})
    assert changed.get_json()["state"] == "submitted"


def test_an_overdue_pledge_may_still_change_its_note(make_fund, pledge_money, now):
    fund, _ = make_fund()
    pledge = pledge_money(fund, "100.00", due_on=local(now).date() + timedelta(days=1))
    later = now + timedelta(days=5)
    assert pledges.is_overdue(pledge, now=later)
    pledges.edit_pledge(pledge, {"note": "下周一定送到", "due_on": pledge.due_on},
                        actor=pledge.donor, now=later)
    assert pledge.note == "下周一定送到"
    with pytest.raises(pledges.errors.ValidationError) as exc:
        pledges.edit_pledge(pledge, {"due_on": local(later).date() - timedelta(days=1)},
                            actor=pledge.donor, now=later)
    assert exc.value.code == "due_in_past"


def test_a_resident_pledges_under_their_own_name(as_user, make_fund, make_user):
    fund, _ = make_fund()
    resp = as_user(make_user(name="李秀英")).post(
        f"/api/v1/funds/{fund.id}/pledges",
        json={"kind": "money", "amount": "20", "display": "full_name", "donor_name": "马云"})
    assert resp.status_code == 422 and "donor_name" in resp.get_json()["errors"]
    fine = as_user(make_user(name="李秀英")).post(
        f"/api/v1/funds/{fund.id}/pledges",
        json={"kind": "money", "amount": "20", "display": "full_name"})
    assert fine.status_code == 201
    assert db.session.scalars(select(pledges.Pledge.donor_name)).all() == ["李秀英"]


# --- who decides ------------------------------------------------------------------------------

def test_nobody_decides_their_own_pledge(make_fund, pledge_money, now):
    fund, coordinator = make_fund()
    own = pledge_money(fund, "100.00", donor=coordinator)
    for action in ("accept", "reject", "cancel"):
        with pytest.raises(pledges.errors.OwnPledge):
            pledges.transition(own, action, actor=coordinator, now=now, reason="x")
    assert pledges.desk_actions(own, "submitted", coordinator) == []


def test_after_a_reversed_receipt_the_donor_can_no_longer_withdraw(make_fund, pledge_money,
                                                                   receive, now):
    fund, coordinator = make_fund()
    pledge = pledge_money(fund, "100.00")
    got = receive(pledge, coordinator, amount="100.00")
    intake.reverse(got, actor=coordinator, reason="录错了", now=now)
    assert pledges.state(pledge) == "accepted" and not pledges.changeable(pledge)
    with pytest.raises(pledges.errors.PledgeLocked):
        pledges.transition(pledge, "withdraw", actor=pledge.donor, now=now, reason="不捐了")


# --- funds that are closed ------------------------------------------------------------------

def test_a_campaign_past_its_closing_day_takes_no_pledge(make_fund, pledge_money, now):
    fund, _ = make_fund(kind="campaign")
    fund.closes_on = local(now).date() - timedelta(days=1)
    with pytest.raises(pledges.errors.FundClosed):
        pledge_money(fund, "10.00")
    fund.closes_on = local(now).date()
    assert pledge_money(fund, "10.00").reference


# --- figures ---------------------------------------------------------------------------------

def test_a_released_goods_pledge_counts_what_arrived_as_pledged(make_fund, pledge_goods,
                                                               receive, now):
    fund, coordinator = make_fund()
    pledge = pledge_goods(fund, 50)
    receive(pledge, coordinator, accepted=10)
    pledges.transition(pledge, "release", actor=coordinator, now=now, reason="其余不送了")
    [goods] = ledger.progress(fund).goods
    assert (goods.pledged, goods.received) == (10, 10)


def test_reversing_an_intake_after_some_left_leaves_no_value_behind(make_fund, pledge_goods,
                                                                   receive, now):
    fund, coordinator = make_fund()
    dear = receive(pledge_goods(fund, 10), coordinator, accepted=10, unit_value="10.00")
    receive(pledge_goods(fund, 10), coordinator, accepted=10, unit_value="0.00")
    distribute.distribute(fund.id, {
        "kind": "goods", "recipient_kind": "organisation", "recipient_name": "魏庄村图书角",
        "purpose": "图书角", "signed_by": "村主任", "lines": [{
            "category": "picture_books", "item": "儿童绘本", "unit": "book", "quantity": 10}]},
        actor=coordinator, now=now)
    intake.reverse(dear, actor=coordinator, reason="这批不是捐给本基金的", now=now)
    assert ledger.stock(fund.id) == []
    receive(pledge_goods(fund, 10), coordinator, accepted=10, unit_value="10.00")
    [held] = ledger.stock(fund.id)
    assert (held.quantity, held.value) == (10, Decimal("100.00"))


def test_the_desk_finds_old_open_work_behind_many_closed_pledges(make_fund, pledge_money, now):
    fund, coordinator = make_fund()
    old = pledge_money(fund, "10.00")
    for _ in range(4):
        pledges.transition(pledge_money(fund, "5.00"), "cancel", actor=coordinator, now=now,
                           reason="联系不上")
    # open work comes first, before the newer closed pledges, on the first page
    found = queue.desk(coordinator, now=now, per_page=2)
    assert [r.pledge.id for r in found.rows][0] == old.id and len(found.rows) == 2
    assert (found.total, found.pages) == (5, 3)
    rest = queue.desk(coordinator, now=now, per_page=2, page=3).rows
    assert [r.state for r in rest] == ["cancelled"]


# --- second review ---------------------------------------------------------------------------

def test_a_blank_batch_nonce_is_refused_not_stored(as_user, make_fund, pledge_money):
    fund, coordinator = make_fund()
    gift = pledge_money(fund, "10.00")
    body = {"nonce": "", "expected_count": 1, "receipt_waived": True,
            "items": [{"reference": gift.reference, "amount": "10.00"}]}
    resp = as_user(coordinator).post(f"/api/v1/desk/funds/{fund.id}/batches", json=body)
    assert resp.status_code == 422 and "nonce" in resp.get_json()["errors"]
    assert db.session.scalar(select(func.count(IntakeBatch.id))) == 0


def test_json_in_another_encoding_is_a_400_not_garbled_text(as_user, make_fund, make_user):
    fund, _ = make_fund()
    client = as_user(make_user())
    url = f"/api/v1/funds/{fund.id}/pledges"
    gbk = '{"kind": "money", "amount": "10", "note": "给孩子们买书"}'.encode("gbk")
    assert client.open(url, method="POST", data=gbk,
                       content_type="application/json").status_code == 400
    with_bom = '\ufeff{"kind": "money", "amount": "10", "note": "给孩子们买书"}'.encode()
    made = client.open(url, method="POST", data=with_bom, content_type="application/json")
    assert made.status_code == 201 and made.get_json()["note"] == "给孩子们买书"


def test_the_api_says_what_may_still_happen_to_a_pledge(as_user, make_fund, pledge_goods,
                                                        receive, now):
    fund, coordinator = make_fund(kind="campaign")
    pledge = pledge_goods(fund, 50)
    receive(pledge, coordinator, accepted=30)
    desk = as_user(coordinator).get(f"/api/v1/desk/pledges/{pledge.id}").get_json()
    assert desk["actions"] == ["release"] and desk["changeable"] is False
    assert desk["lines"][0]["outstanding"] == 20
    [row] = as_user(coordinator).get("/api/v1/desk/pledges").get_json()["items"]
    assert row["actions"] == ["release"]
    mine = as_user(pledge.donor).get(f"/api/v1/me/pledges/{pledge.id}").get_json()
    assert mine["changeable"] is False and mine["state"] == "partial"
    fund.closes_on = local(now).date() - timedelta(days=1)
    db.session.flush()
    listed = as_user().get(f"/api/v1/funds/{fund.id}").get_json()
    assert listed["status"] == "open" and listed["takes_pledges"] is False


def test_a_note_may_change_after_the_fund_stopped_taking_that_kind(make_fund, pledge_goods, now):
    fund, _ = make_fund()
    pledge = pledge_goods(fund, 5)
    fund.accepts_goods = False
    pledges.edit_pledge(pledge, {"note": "周末送到"}, actor=pledge.donor, now=now)
    assert pledge.note == "周末送到"
    with pytest.raises(pledges.errors.KindNotAccepted):
        pledges.edit_pledge(pledge, {"lines": [{**{
            "category": "picture_books", "item": "儿童绘本", "unit": "book"}, "quantity": 6}]},
            actor=pledge.donor, now=now)


@pytest.mark.parametrize(("number", "amount"), [("1e2", "100.00"), ("1E+2", "100.00"),
                                                 ("5e-1", "0.50"), ("50.10", "50.10")])
def test_a_json_number_is_the_amount_it_says_however_it_is_written(as_user, make_fund,
                                                                    make_user, number, amount):
    fund, _ = make_fund()
    resp = _raw(as_user(make_user()), f"/api/v1/funds/{fund.id}/pledges",
                f'{{"kind": "money", "amount": {number}}}')
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["amount"] == amount


_BOOKS = {"category": "books", "item": "童书", "unit": "book", "quantity": 5}


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"kind": "goods", "amount": "50.00", "lines": [_BOOKS]}, "amount_not_for_goods", "amount"),
    ({"kind": "money", "amount": "50.00", "lines": [_BOOKS]}, "lines_not_for_money", "lines"),
])
def test_the_other_kinds_part_is_refused_not_dropped(as_user, make_fund, make_user, body,
                                                     code, field):
    """An amount with goods (or goods lines with money) was kept silently out of the
    pledge: the donor believed they had promised both."""
    fund, _ = make_fund()
    resp = as_user(make_user()).post(f"/api/v1/funds/{fund.id}/pledges", json=body)
    got = resp.get_json()
    assert resp.status_code == 422 and got["code"] == code, got
    assert got["errors"][field] and "%(" not in got["message"]
    assert db.session.scalar(select(func.count()).select_from(pledges.Pledge)) == 0


def test_an_edit_sending_the_other_kinds_part_changes_nothing(as_user, make_fund,
                                                              pledge_goods, pledge_money):
    fund, _ = make_fund()
    goods, money = pledge_goods(fund, 5), pledge_money(fund, "80.00")
    client = as_user(goods.donor)
    resp = client.patch(f"/api/v1/me/pledges/{goods.id}", json={"amount": "20.00",
                                                                 "note": "周末送到"})
    assert resp.status_code == 422 and resp.get_json()["code"] == "amount_not_for_goods"
    db.session.refresh(goods)
    assert goods.amount is None and goods.note != "周末送到"
    client = as_user(money.donor)
    resp = client.patch(f"/api/v1/me/pledges/{money.id}", json={"lines": [_BOOKS]})
    assert resp.status_code == 422 and resp.get_json()["code"] == "lines_not_for_money"
    db.session.refresh(money)
    assert money.amount == Decimal("80.00") and money.lines == []
