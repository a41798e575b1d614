"""Coordinators at two tables at the same instant (run on SQLite and PostgreSQL).

Each racing call has its own app context, session and connection and commits for real, as
separate requests would. The pledge row (intake, hand-set ends) and the fund row
(distributions) are the locks.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.donations.models import Pledge
from server.donations.movements import Distribution, Fulfilment, LedgerEntry
from server.donations.services import distribute, intake, ledger, pledges
from server.extensions import db
from tests.racing import race

pytestmark = pytest.mark.concurrency


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


@pytest.fixture
def desk(make_fund, make_user, grant):
    """desk(n) -> (fund, [coordinator ids]): a fund and n coordinators of its town."""

    def make(n):
        fund, first = make_fund()
        others = [make_user(name=f"协调员{i}") for i in range(1, n)]
        for other in others:
            grant(other, "coordinator", fund.node.parent)
        return fund, [first.id, *(o.id for o in others)]
    return make


def _confirm(pledge_id, user_id, now, **data):
    def call():
        pledge = db.session.get(Pledge, pledge_id)
        return intake.record(pledge, {"receipt_waived": True, **data},
                             actor=db.session.get(User, user_id), now=now).id
    return call


@pytest.mark.parametrize("n", [2, 4])
def test_coordinators_confirming_the_same_pledge_record_it_once(app, desk, pledge_money, n,
                                                                now):
    fund, coordinators = desk(n)
    pledge = pledge_money(fund, "500.00")
    db.session.commit()
    pledge_id, fund_id = pledge.id, fund.id

    # each saw version 0 on screen; each tapped confirm with their own request nonce
    results = race(app, [_confirm(pledge_id, uid, now, version=0, amount=Decimal("500.00"),
                                  nonce=f"table-{i}")
                         for i, uid in enumerate(coordinators)])

    recorded = [r for r in results if isinstance(r, int)]
    assert len(recorded) == 1, results
    assert Counter(r for r in results if not isinstance(r, int)) == {"pledge_changed": n - 1}
    db.session.expire_all()
    assert _count(Fulfilment, pledge_id=pledge_id) == 1
    assert _count(LedgerEntry, fund_id=fund_id) == 1
    assert ledger.cash_balance(fund_id) == Decimal("500.00")
    pledge = db.session.get(Pledge, pledge_id)
    assert (pledge.version, pledges.state(pledge)) == (1, "fulfilled")


def test_the_same_confirmation_sent_by_several_threads_is_recorded_once(app, desk,
                                                                        pledge_goods, now):
    """A phone on a bad network resends the same confirmation: same nonce, same version."""
    fund, [coordinator] = desk(1)
    pledge = pledge_goods(fund, 50)
    db.session.commit()
    pledge_id, line_id, fund_id = pledge.id, pledge.lines[0].id, fund.id
    data = {"version": 0, "nonce": "3f9a-resend",
            "lines": [{"pledge_line_id": line_id, "accepted": 48, "rejected": 2,
                       "reject_reason": "破损", "unit_value": Decimal("10.00")}]}

    results = race(app, [_confirm(pledge_id, coordinator, now, **data) for _ in range(5)])

    assert all(isinstance(r, int) for r in results), results
    assert len(set(results)) == 1
    db.session.expire_all()
    assert _count(Fulfilment, pledge_id=pledge_id) == 1
    assert ledger.on_hand(fund_id, "picture_books", "儿童绘本", "book") == 48
    assert db.session.get(Pledge, pledge_id).version == 1


def _give_out(fund_id, user_id, now, quantity):
    def call():
        return distribute.distribute(fund_id, {
            "kind": "goods", "recipient_kind": "household", "recipient_name": f"村民{user_id}",
            "purpose": "冬衣暖心行动", "signed_by": "本人",
            "lines": [{"category": "picture_books", "item": "儿童绘本", "unit": "book",
                       "quantity": quantity}]}, actor=db.session.get(User, user_id), now=now).id
    return call


def test_two_coordinators_giving_out_the_last_stock(app, desk, pledge_goods, receive, now):
    fund, coordinators = desk(2)
    pledge = pledge_goods(fund, 10)
    receive(pledge, db.session.get(User, coordinators[0]), accepted=10)
    db.session.commit()
    fund_id = fund.id

    results = race(app, [_give_out(fund_id, uid, now, 10) for uid in coordinators])

    assert sum(isinstance(r, int) for r in results) == 1, results
    assert results.count("insufficient_stock") == 1, results
    db.session.expire_all()
    assert ledger.on_hand(fund_id, "picture_books", "儿童绘本", "book") == 0
    assert _count(Distribution, fund_id=fund_id) == 1
    assert _count(LedgerEntry, fund_id=fund_id, kind="goods_out") == 1


def test_many_coordinators_never_take_stock_below_zero(app, desk, pledge_goods, receive, now):
    fund, coordinators = desk(5)
    pledge = pledge_goods(fund, 10)
    receive(pledge, db.session.get(User, coordinators[0]), accepted=10)
    db.session.commit()
    fund_id = fund.id

    results = race(app, [_give_out(fund_id, uid, now, 3) for uid in coordinators])

    assert Counter(type(r).__name__ if isinstance(r, int) else r for r in results) == {
        "int": 3, "insufficient_stock": 2}, results
    db.session.expire_all()
    assert ledger.on_hand(fund_id, "picture_books", "儿童绘本", "book") == 1


def test_two_payouts_of_the_whole_balance(app, desk, pledge_money, receive, now):
    fund, coordinators = desk(2)
    receive(pledge_money(fund, "1000.00"), db.session.get(User, coordinators[0]),
            amount="1000.00")
    db.session.commit()
    fund_id = fund.id

    def pay(user_id):
        def call():
            return distribute.distribute(fund_id, {
                "kind": "money", "amount": Decimal("1000.00"), "recipient_kind": "household",
                "recipient_name": "张建华", "decision_ref": f"第{user_id}号",
                "purpose": "大病救助", "signed_by": "张建华"},
                actor=db.session.get(User, user_id), now=now).id
        return call

    results = race(app, [pay(uid) for uid in coordinators])

    assert sum(isinstance(r, int) for r in results) == 1, results
    assert "insufficient_funds" in results
    db.session.expire_all()
    assert ledger.cash_balance(fund_id) == Decimal("0.00")


def test_withdraw_and_receipt_racing_one_wins(app, desk, make_user, now):
    """The donor withdraws at the moment a coordinator records the gift: either the gift is
    recorded (and withdrawing is refused) or the pledge is withdrawn (and the receipt is
    refused); never both."""
    fund, [coordinator] = desk(1)
    donor = make_user(name="王小红")
    ids = [pledges.create_pledge(fund, {"kind": "money", "amount": Decimal("200.00")},
                                 actor=donor, now=now).id for _ in range(4)]
    db.session.commit()
    donor_id, fund_id = donor.id, fund.id

    def withdraw(pledge_id):
        def call():
            pledge = db.session.get(Pledge, pledge_id)
            return pledges.transition(pledge, "withdraw", actor=db.session.get(User, donor_id),
                                      now=now, reason="临时有事").end_state
        return call

    for i, pledge_id in enumerate(ids):
        calls = [withdraw(pledge_id), _confirm(pledge_id, coordinator, now, version=0,
                                               amount=Decimal("200.00"))]
        if i % 2:  # start them in both orders
            calls.reverse()
        results = race(app, calls)
        if i % 2:
            results.reverse()
        withdrawn, received = results
        db.session.expire_all()
        pledge = db.session.get(Pledge, pledge_id)
        if withdrawn == "withdrawn":
            assert received == "pledge_ended", results
            assert pledges.state(pledge) == "withdrawn"
            assert _count(Fulfilment, pledge_id=pledge_id) == 0
            assert _count(LedgerEntry, pledge_id=pledge_id) == 0
        else:
            assert isinstance(received, int) and withdrawn == "pledge_bad_transition", results
            assert pledges.state(pledge) == "fulfilled" and pledge.end_state is None
            assert _count(Fulfilment, pledge_id=pledge_id) == 1
    db.session.expire_all()
    total = db.session.scalar(select(func.count()).select_from(Fulfilment)) * Decimal("200.00")
    assert ledger.cash_balance(fund_id) == total


def test_the_same_batch_sent_at_once_from_two_phones_is_recorded_once(app, desk, pledge_money,
                                                                      now):
    """A double tap on "record the batch": both requests carry the form's nonce."""
    fund, coordinators = desk(3)
    gifts = [pledge_money(fund, f"{10 * (i + 1)}.00") for i in range(5)]
    db.session.commit()
    fund_id = fund.id
    data = {"nonce": "box-2026-11-29", "expected_count": 5,
            "expected_total": Decimal("150.00"), "receipt_waived": True,
            "items": [{"reference": p.reference, "amount": p.amount} for p in gifts]}

    def send(user_id, items):
        def call():
            done = intake.record_batch(fund_id, {**data, "items": items},
                                       actor=db.session.get(User, user_id), now=now)
            return sorted(f.id for f in done)
        return call

    # the third request lists the same gifts in another order: locks are taken in id order,
    # so none waits on another in a circle
    results = race(app, [send(coordinators[0], data["items"]),
                         send(coordinators[1], data["items"]),
                         send(coordinators[2], list(reversed(data["items"])))])
    assert all(isinstance(r, list) for r in results), results
    assert results[0] == results[1] == results[2]
    db.session.expire_all()
    assert _count(Fulfilment, fund_id=fund_id) == 5
    assert ledger.cash_balance(fund_id) == Decimal("150.00")


def test_one_nonce_on_two_batches_with_no_gift_in_common_records_one(app, desk, pledge_money,
                                                                     now):
    """The form sent twice after the coordinator edited every line: no pledge lock is shared,
    so the unique nonce decides; the other batch, not the same one sent again, is refused
    (nonce_reused) rather than told "recorded"."""
    fund, coordinators = desk(2)
    first = [pledge_money(fund, "10.00"), pledge_money(fund, "20.00")]
    second = [pledge_money(fund, "30.00"), pledge_money(fund, "40.00")]
    db.session.commit()
    fund_id = fund.id

    def send(user_id, gifts):
        items = [{"reference": p.reference, "amount": p.amount} for p in gifts]
        data = {"nonce": "same-form", "expected_count": 2, "receipt_waived": True,
                "items": items}

        def call():
            done = intake.record_batch(fund_id, data, actor=db.session.get(User, user_id),
                                       now=now)
            return sorted(f.id for f in done)
        return call

    results = race(app, [send(coordinators[0], first), send(coordinators[1], second)])
    recorded = [r for r in results if isinstance(r, list)]
    assert len(recorded) == 1 and len(recorded[0]) == 2, results
    assert [r for r in results if not isinstance(r, list)] == ["nonce_reused"], results
    db.session.expire_all()
    assert _count(Fulfilment, fund_id=fund_id) == 2
