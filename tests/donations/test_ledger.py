"""The fund's totals and public ledger: pledged vs received vs distributed, cash and goods
apart, and what a gift funded (first in, first out)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from server.core.clock import local
from server.donations.services import allocation, distribute, intake, ledger, pledges, queue


def payout(amount, name="张建华", ref="救助〔2026〕第1号"):
    return {"kind": "money", "amount": Decimal(amount), "recipient_kind": "household",
            "recipient_name": name, "decision_ref": ref, "purpose": "大病救助",
            "signed_by": name}


def books_out(quantity, to="魏庄村图书角"):
    return {"kind": "goods", "recipient_kind": "organisation", "recipient_name": to,
            "purpose": "乡村图书角", "signed_by": "陈静",
            "lines": [{"category": "picture_books", "item": "儿童绘本", "unit": "book",
                       "quantity": quantity}]}


@pytest.fixture
def people(make_user):
    return make_user(name="赵一"), make_user(name="钱二"), make_user(name="孙三")


def test_pledged_counts_standing_promises_and_what_arrived_for_released_ones(
        make_fund, pledge_money, receive, people, now):
    fund, coordinator = make_fund()
    a, b, c = people
    open_ = pledge_money(fund, "500.00", donor=a)
    receive(open_, coordinator, amount="200.00")
    cancelled = pledge_money(fund, "300.00", donor=b)
    pledges.transition(cancelled, "cancel", actor=coordinator, now=now, reason="联系不上")
    withdrawn = pledge_money(fund, "50.00", donor=b)
    pledges.transition(withdrawn, "withdraw", actor=b, now=now, reason="改捐物资")
    released = pledge_money(fund, "1000.00", donor=c)
    receive(released, coordinator, amount="400.00")
    pledges.transition(released, "release", actor=coordinator, now=now,
                       reason="其余部分不再催缴")
    p = ledger.progress(fund)
    assert p.pledged == Decimal("900.00")  # 500 standing + 400 that arrived of the 1000
    assert p.received == Decimal("600.00")  # fulfilments only
    assert p.pledges == 1
    assert (p.distributed, p.balance, p.in_kind_received) == (
        Decimal("0.00"), Decimal("600.00"), Decimal("0.00"))


def test_received_counts_fulfilments_and_distributed_payouts(make_fund, pledge_money,
                                                             receive, now):
    fund, coordinator = make_fund()
    receive(pledge_money(fund, "500.00"), coordinator, amount="500.00")
    receive(pledge_money(fund, "80.00"), coordinator, amount="80.50")
    pledge_money(fund, "10000.00")  # promised, nothing arrived: not received
    distribute.distribute(fund.id, payout("300.00"), actor=coordinator, now=now)
    d = distribute.distribute(fund.id, payout("100.00", "李四"), actor=coordinator, now=now)
    distribute.reverse(d, actor=coordinator, reason="重复", now=now)
    p = ledger.progress(fund)
    assert (p.pledged, p.received, p.distributed, p.balance, p.payouts) == (
        Decimal("10580.00"), Decimal("580.50"), Decimal("300.00"), Decimal("280.50"), 1)
    assert ledger.cash_balance(fund.id) == p.balance


def test_cash_and_goods_value_are_kept_apart(make_fund, pledge_money, pledge_goods, receive,
                                            now):
    fund, coordinator = make_fund()
    receive(pledge_money(fund, "500.00"), coordinator, amount="500.00")
    receive(pledge_goods(fund, 50), coordinator, accepted=48, rejected=2, reason="破损",
            unit_value="15.00")
    distribute.distribute(fund.id, books_out(8), actor=coordinator, now=now)
    p = ledger.progress(fund)
    assert (p.pledged, p.received, p.in_kind_received) == (
        Decimal("500.00"), Decimal("500.00"), Decimal("720.00"))
    assert ledger.cash_balance(fund.id) == Decimal("500.00")
    [g] = p.goods
    assert (g.category, g.unit, g.pledged, g.received, g.distributed) == (
        "picture_books", "book", 50, 48, 8)
    [item] = ledger.stock(fund.id)
    assert (item.quantity, item.value) == (40, Decimal("600.00"))


def test_goods_progress_per_category_and_unit(make_fund, pledge_goods, receive, now):
    fund, coordinator = make_fund()
    receive(pledge_goods(fund, 100, category="clothing", item="羽绒服", unit="piece"),
            coordinator, accepted=60, unit_value="180.00")
    receive(pledge_goods(fund, 30, category="personal_care", item="看护通护理用品", unit="set"),
            coordinator, accepted=30, unit_value="150.00")
    ended = pledge_goods(fund, 500, category="clothing", item="羽绒服", unit="piece")
    pledges.transition(ended, "reject", actor=coordinator, now=now, reason="尺码不合适")
    p = ledger.progress(fund)
    assert [(g.category, g.unit, g.pledged, g.received) for g in p.goods] == [
        ("clothing", "piece", 100, 60), ("personal_care", "set", 30, 30)]
    assert p.in_kind_received == Decimal("15300.00")


def test_ledger_entries_newest_first(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    today = local(now).date()
    p = pledge_money(fund, "300.00")
    receive(p, coordinator, amount="100.00", received_on=today - timedelta(days=2))
    receive(p, coordinator, amount="100.00")
    receive(p, coordinator, amount="100.00", received_on=today - timedelta(days=5))
    rows = ledger.entries(fund)
    assert [r.occurred_on for r in rows] == [today, today - timedelta(days=2),
                                            today - timedelta(days=5)]
    assert ledger.count(fund) == 3
    assert [r.occurred_on for r in ledger.entries(fund, limit=1, offset=1)] == [
        today - timedelta(days=2)]


# --- what my gift funded ------------------------------------------------------------------

def test_payouts_draw_on_the_oldest_money_first(make_fund, pledge_money, receive, people,
                                                now):
    fund, coordinator = make_fund()
    a, b, _ = people
    first = pledge_money(fund, "300.00", donor=a)
    second = pledge_money(fund, "500.00", donor=b)
    receive(first, coordinator, amount="300.00")
    receive(second, coordinator, amount="500.00")
    distribute.distribute(fund.id, payout("400.00", "张建华", "第53号"), actor=coordinator,
                          now=now)
    distribute.distribute(fund.id, payout("200.00", "李国强", "第54号"), actor=coordinator,
                          now=now)
    mine = allocation.funded_by(first)
    assert [(u.kind, u.recipient, u.amount) for u in mine.uses] == [
        ("payout", "张**家", Decimal("300.00"))]
    assert mine.held_amount == Decimal("0.00")
    theirs = allocation.funded_by(second)
    assert [(u.recipient, u.amount, u.purpose) for u in theirs.uses] == [
        ("张**家", Decimal("100.00"), "大病救助"), ("李**家", Decimal("200.00"), "大病救助")]
    assert theirs.held_amount == Decimal("200.00")
    assert sum(u.amount for u in mine.uses + theirs.uses) == Decimal("600.00")


def test_reversed_movements_fund_nothing(make_fund, pledge_money, receive, people, now):
    fund, coordinator = make_fund()
    a, b, _ = people
    first = pledge_money(fund, "300.00", donor=a)
    wrong = receive(first, coordinator, amount="300.00")
    second = pledge_money(fund, "500.00", donor=b)
    receive(second, coordinator, amount="500.00")
    d = distribute.distribute(fund.id, payout("100.00"), actor=coordinator, now=now)
    distribute.reverse(d, actor=coordinator, reason="重复", now=now)
    assert allocation.funded_by(first).uses == []
    assert allocation.funded_by(first).held_amount == Decimal("300.00")
    intake.reverse(wrong, actor=coordinator, reason="到账未成功", now=now)
    distribute.distribute(fund.id, payout("150.00"), actor=coordinator, now=now)
    assert allocation.funded_by(first).held_amount == Decimal("0.00")
    assert [u.amount for u in allocation.funded_by(second).uses] == [Decimal("150.00")]


def test_goods_are_traced_per_item(make_fund, pledge_goods, receive, people, now):
    fund, coordinator = make_fund()
    a, b, _ = people
    first = pledge_goods(fund, 20, donor=a)
    second = pledge_goods(fund, 30, donor=b)
    receive(first, coordinator, accepted=20)
    receive(second, coordinator, accepted=30)
    distribute.distribute(fund.id, books_out(25), actor=coordinator, now=now)
    mine = allocation.funded_by(first)
    assert [(u.kind, u.recipient, u.quantity, u.item, u.unit) for u in mine.uses] == [
        ("goods_out", "魏庄村图书角", 20, "儿童绘本", "book")]
    assert mine.held_goods == {}
    theirs = allocation.funded_by(second)
    assert [u.quantity for u in theirs.uses] == [5]
    assert theirs.held_goods == {("儿童绘本", "book"): 25}


# --- the coordinators' desk -----------------------------------------------------------------

def test_the_desk_lists_open_work_first_with_overdue_computed(make_fund, pledge_money,
                                                             receive, make_user, now):
    fund, coordinator = make_fund()
    today = local(now).date()
    due = pledge_money(fund, "100.00", due_on=today + timedelta(days=1))
    partial = pledge_money(fund, "500.00")
    receive(partial, coordinator, amount="100.00")
    done = pledge_money(fund, "50.00")
    receive(done, coordinator, amount="50.00")
    gone = pledge_money(fund, "70.00")
    pledges.transition(gone, "cancel", actor=coordinator, now=now, reason="联系不上")
    later = now + timedelta(days=3)
    rows = queue.desk(coordinator, now=later).rows
    assert [(r.pledge.id, r.state, r.overdue) for r in rows] == [
        (due.id, "submitted", True), (partial.id, "partial", False),
        # then the rest, newest first
        (gone.id, "cancelled", False), (done.id, "fulfilled", False)]
    overdue = queue.desk(coordinator, now=later, overdue=True).rows
    assert [r.pledge.id for r in overdue] == [due.id]
    assert [r.pledge.id for r in queue.desk(coordinator, now=later,
                                            states=("cancelled",)).rows] == [gone.id]
    assert [r.pledge.id for r in queue.desk(coordinator, now=later,
                                            q=partial.reference.lower()).rows] == [partial.id]
    assert rows[1].received.amount == Decimal("100.00")
    assert queue.desk(make_user(), now=later).rows == []


def test_figures_for_several_funds_are_each_funds_own(make_fund, pledge_money, pledge_goods,
                                                      receive, now):
    cash_fund, coordinator = make_fund(title="救助基金")
    books_fund, other = make_fund(title="图书募集")
    receive(pledge_money(cash_fund, "300.00"), coordinator, amount="120.00")
    pledge_money(cash_fund, "50.00")
    receive(pledge_goods(books_fund, 40), other, accepted=35, rejected=5, reason="破损")
    both = ledger.progress_of([cash_fund, books_fund])
    assert both[cash_fund.id] == ledger.progress(cash_fund)
    assert both[books_fund.id] == ledger.progress(books_fund)
    assert (both[cash_fund.id].pledged, both[cash_fund.id].received,
            both[cash_fund.id].pledges, both[cash_fund.id].goods) == (
        Decimal("350.00"), Decimal("120.00"), 2, [])
    [books] = both[books_fund.id].goods
    assert (books.pledged, books.received, both[books_fund.id].received) == (
        40, 35, Decimal("0.00"))
    assert ledger.progress_of([]) == {}
