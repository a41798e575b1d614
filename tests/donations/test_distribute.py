"""Giving out: payouts with a committee decision, goods within stock, recipients masked in
public, in-kind value leaving at the average intake value, and reversals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from server.core.clock import local
from server.core.errors import WusheError
from server.donations.movements import Distribution, Fulfilment
from server.donations.services import distribute, intake, ledger, pledges
from server.extensions import db


def _code(call, *args, **kwargs) -> str:
    with pytest.raises(WusheError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.code


def payout(amount, **extra):
    return {"kind": "money", "amount": Decimal(amount), "recipient_kind": "household",
            "recipient_name": "张建华", "decision_ref": "赵庄子救助〔2026〕第55号",
            "purpose": "大病救助", "signed_by": "张建华", **extra}


def goods(*lines, to="西南研垡村社工站图书角", kind="organisation", **extra):
    return {"kind": "goods", "recipient_kind": kind, "recipient_name": to,
            "purpose": "乡村图书角", "signed_by": "刘洋",
            "lines": [{"category": c, "item": i, "unit": u, "quantity": q}
                      for c, i, u, q in lines], **extra}


BOOKS = ("picture_books", "儿童绘本", "book")


@pytest.fixture
def cash(make_fund, pledge_money, receive):
    """A fund holding 1,000.00 yuan from one gift."""
    fund, coordinator = make_fund()
    p = pledge_money(fund, "1000.00")
    receive(p, coordinator, amount="1000.00")
    return fund, coordinator, p


@pytest.fixture
def books(make_fund, pledge_goods, receive):
    """A fund holding 48 picture books worth 10.00 each."""
    fund, coordinator = make_fund(title="乡村图书角图书捐赠")
    p = pledge_goods(fund, 50)
    receive(p, coordinator, accepted=48, rejected=2, reason="破损")
    return fund, coordinator, p


# --- money ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", [None, "", "   "])
def test_a_payout_needs_the_committee_decision(cash, ref, now):
    fund, coordinator, _ = cash
    assert _code(distribute.distribute, fund.id, payout("100.00", decision_ref=ref),
                 actor=coordinator, now=now) == "decision_required"
    assert ledger.cash_balance(fund.id) == Decimal("1000.00")
    assert db.session.query(Distribution).count() == 0


def test_a_payout_cannot_exceed_the_cash(cash, now):
    fund, coordinator, _ = cash
    with pytest.raises(WusheError) as excinfo:
        distribute.distribute(fund.id, payout("1000.01"), actor=coordinator, now=now)
    assert excinfo.value.code == "insufficient_funds"
    assert excinfo.value.params["balance"] == "¥1,000.00"
    d = distribute.distribute(fund.id, payout("1000.00"), actor=coordinator, now=now)
    assert ledger.cash_balance(fund.id) == Decimal("0.00")
    assert _code(distribute.distribute, fund.id, payout("0.01"), actor=coordinator,
                 now=now) == "insufficient_funds"
    [row] = [r for r in ledger.entries(fund) if r.kind == "payout"]
    assert (row.amount, row.distribution_id, row.purpose) == (
        Decimal("-1000.00"), d.id, "大病救助")


def test_goods_value_is_not_cash(books, now):
    fund, coordinator, _ = books
    assert ledger.progress(fund).in_kind_received == Decimal("480.00")
    assert _code(distribute.distribute, fund.id, payout("1.00"), actor=coordinator,
                 now=now) == "insufficient_funds"


def test_a_payout_needs_an_amount(cash, now):
    fund, coordinator, _ = cash
    assert _code(distribute.distribute, fund.id, {**payout("1.00"), "amount": None},
                 actor=coordinator, now=now) == "amount_required"


@pytest.mark.parametrize("name, shown", [
    ("张建华", "张**家"), ("张三", "张*家"), ("欧阳", "欧*家")])
def test_households_are_masked_in_public(cash, name, shown, now):
    fund, coordinator, _ = cash
    d = distribute.distribute(fund.id, payout("100.00", recipient_name=f" {name} "),
                              actor=coordinator, now=now)
    assert d.recipient_name == name  # the coordinators know who it is
    [row] = [r for r in ledger.entries(fund) if r.kind == "payout"]
    assert row.recipient_public == shown
    assert name not in row.recipient_public


def test_partner_organisations_are_named(books, make_org, now):
    fund, coordinator, _ = books
    school = make_org(name="魏庄村图书角")
    d = distribute.distribute(fund.id, goods((*BOOKS, 10), recipient_org_id=school.id,
                                             to=None), actor=coordinator, now=now)
    assert (d.recipient_name, d.recipient_org_id) == ("魏庄村图书角", school.id)
    assert ledger.entries(fund)[0].recipient_public == "魏庄村图书角"
    distribute.distribute(fund.id, goods((*BOOKS, 5), to="东枣林村图书角"),
                          actor=coordinator, now=now)
    assert ledger.entries(fund)[0].recipient_public == "东枣林村图书角"


@pytest.mark.parametrize("kind, extra", [
    ("household", {"to": ""}), ("household", {"to": "   "}),
    ("organisation", {"to": None}), ("organisation", {"to": None, "recipient_org_id": 999999}),
])
def test_a_recipient_is_required(books, kind, extra, now):
    fund, coordinator, _ = books
    assert _code(distribute.distribute, fund.id, goods((*BOOKS, 1), kind=kind, **extra),
                 actor=coordinator, now=now) == "recipient_required"


# --- goods ------------------------------------------------------------------------------------

def test_goods_cannot_exceed_stock(books, now):
    fund, coordinator, _ = books
    with pytest.raises(WusheError) as excinfo:
        distribute.distribute(fund.id, goods((*BOOKS, 49)), actor=coordinator, now=now)
    assert excinfo.value.code == "insufficient_stock"
    assert (excinfo.value.params["available"], excinfo.value.params["item"]) == (48, "儿童绘本")
    # stock is per (category, item, unit): the same books counted in sets, or filed under
    # another category, are not these books
    for line in (("picture_books", "儿童绘本", "set", 1), ("books", "儿童绘本", "book", 1),
                 ("picture_books", "儿童绘本2", "book", 1)):
        assert _code(distribute.distribute, fund.id, goods(line), actor=coordinator,
                     now=now) == "insufficient_stock"
    # two lines of the same item are added up before the check
    assert _code(distribute.distribute, fund.id, goods((*BOOKS, 30), (*BOOKS, 30)),
                 actor=coordinator, now=now) == "insufficient_stock"
    assert ledger.on_hand(fund.id, *BOOKS) == 48
    assert db.session.query(Distribution).count() == 0


def test_giving_out_goods(books, now):
    fund, coordinator, p = books
    d = distribute.distribute(fund.id, goods((*BOOKS, 20), ("picture_books", " 儿童绘本 ",
                                                            "book", 10)),
                              actor=coordinator, now=now)
    [line] = d.lines  # the same item twice is one line
    assert (line.item, line.quantity) == ("儿童绘本", 30)
    assert (d.kind, d.signed_by, d.amount, d.distributed_on) == (
        "goods", "刘洋", None, local(now).date())
    assert ledger.on_hand(fund.id, *BOOKS) == 18
    [row] = [r for r in ledger.entries(fund) if r.kind == "goods_out"]
    assert (row.quantity, row.value, row.amount) == (-30, Decimal("-300.00"), None)
    progress = ledger.progress(fund)
    assert [(g.pledged, g.received, g.distributed) for g in progress.goods] == [(50, 48, 30)]
    assert progress.distributed == Decimal("0.00")  # cash only


def test_distributed_in_the_future_is_refused(books, now):
    fund, coordinator, _ = books
    tomorrow = local(now).date() + timedelta(days=1)
    assert _code(distribute.distribute, fund.id, goods((*BOOKS, 1), distributed_on=tomorrow),
                 actor=coordinator, now=now) == "distributed_in_future"


def test_goods_need_lines(books, now):
    fund, coordinator, _ = books
    assert _code(distribute.distribute, fund.id, {**goods(), "lines": []},
                 actor=coordinator, now=now) == "lines_required"


def test_a_stranger_cannot_distribute(books, make_user, now):
    fund, _, _ = books
    assert _code(distribute.distribute, fund.id, goods((*BOOKS, 1)), actor=make_user(),
                 now=now) == "not_fund_manager"


def test_a_distribution_sent_twice_is_recorded_once(books, now):
    fund, coordinator, _ = books
    first = distribute.distribute(fund.id, goods((*BOOKS, 10), nonce="d-1"),
                                  actor=coordinator, now=now)
    again = distribute.distribute(fund.id, goods((*BOOKS, 10), nonce="d-1"),
                                  actor=coordinator, now=now)
    assert again is first
    assert ledger.on_hand(fund.id, *BOOKS) == 38


def test_value_leaves_at_the_average_and_the_last_unit_takes_the_remainder(
        make_fund, pledge_goods, receive, now):
    """Three books worth 10.00 together: 3.33, then 3.34 (half of 6.67, rounded half up),
    then the last one takes what is left, 3.33. Nothing is lost or made up."""
    fund, coordinator = make_fund()
    receive(pledge_goods(fund, 1), coordinator, accepted=1, unit_value="10.00")
    receive(pledge_goods(fund, 2), coordinator, accepted=2, unit_value="0.00")
    assert ledger.value_out(fund.id, *BOOKS, 1) == Decimal("3.33")
    assert ledger.value_out(fund.id, *BOOKS, 3) == Decimal("10.00")
    assert ledger.value_out(fund.id, *BOOKS, 5) == Decimal("10.00")
    values = []
    for _ in range(3):
        distribute.distribute(fund.id, goods((*BOOKS, 1)), actor=coordinator, now=now)
        values.append(ledger.entries(fund)[0].value)
    assert values == [Decimal("-3.33"), Decimal("-3.34"), Decimal("-3.33")]
    assert ledger.stock(fund.id) == []
    assert sum(r.value for r in ledger.entries(fund)) == Decimal("0.00")


def test_value_out_of_nothing_is_zero(make_fund):
    fund, _ = make_fund()
    assert ledger.value_out(fund.id, *BOOKS, 3) == Decimal("0.00")


# --- reversals of distributions ----------------------------------------------------------------

def test_reversing_a_distribution_returns_the_stock(books, now):
    fund, coordinator, p = books
    d = distribute.distribute(fund.id, goods((*BOOKS, 30)), actor=coordinator, now=now)
    undo = distribute.reverse(d, actor=coordinator, reason=" 重复登记 ", now=now)
    assert (undo.reverses_id, undo.reason, undo.lines[0].quantity) == (d.id, "重复登记", -30)
    assert ledger.on_hand(fund.id, *BOOKS) == 48
    [item] = ledger.stock(fund.id)
    assert item.value == Decimal("480.00")
    reversing = ledger.entries(fund)[0]
    assert (reversing.quantity, reversing.value, reversing.note, reversing.recipient_public) == (
        30, Decimal("300.00"), "重复登记", "西南研垡村社工站图书角")
    assert reversing.reverses_id is not None
    assert ledger.progress(fund).goods[0].distributed == 0
    assert _code(distribute.reverse, d, actor=coordinator, reason="x", now=now) == (
        "already_reversed")
    assert _code(distribute.reverse, undo, actor=coordinator, reason="x", now=now) == (
        "cannot_reverse_reversal")
    # what was reversed can now leave the fund again, and the receipt can be reversed
    received = db.session.query(Fulfilment).filter_by(pledge_id=p.id).one()
    intake.reverse(received, actor=coordinator, reason="认捐登记错误", now=now)
    assert ledger.stock(fund.id) == []


def test_reversing_a_payout_returns_the_cash(cash, now):
    fund, coordinator, _ = cash
    d = distribute.distribute(fund.id, payout("400.00"), actor=coordinator, now=now)
    assert _code(distribute.reverse, d, actor=coordinator, reason="", now=now) == (
        "reason_required")
    undo = distribute.reverse(d, actor=coordinator, reason="救助对象重复",
                              now=now + timedelta(days=40))
    assert (undo.amount, undo.decision_ref) == (Decimal("-400.00"), d.decision_ref)
    assert undo.distributed_on == d.distributed_on  # its month's figures net out
    assert ledger.cash_balance(fund.id) == Decimal("1000.00")
    progress = ledger.progress(fund)
    assert (progress.distributed, progress.payouts, progress.balance) == (
        Decimal("0.00"), 0, Decimal("1000.00"))
    reversing = ledger.entries(fund)[0]
    assert (reversing.amount, reversing.recipient_public) == (Decimal("400.00"), "张**家")


def test_get_distribution(books, now):
    fund, coordinator, _ = books
    d = distribute.distribute(fund.id, goods((*BOOKS, 1)), actor=coordinator, now=now)
    assert distribute.get_distribution(d.id) is d
    assert _code(distribute.get_distribution, d.id + 1000) == "distribution_not_found"
    assert pledges.state(books[2]) == "fulfilled"  # giving out never changes a pledge
