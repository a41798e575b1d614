"""Stored state beside the ledger: the fund's totals and stock, and what each gift funded,
kept with every movement and always equal to a recomputation from the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from server.core.clock import local
from server.donations import cli
from server.donations.movements import FundBalance, FundStock, GiftAllocation, LedgerEntry
from server.donations.services import allocation, distribute, intake, ledger
from server.extensions import db
from tests.donations.test_distribute import BOOKS, goods, payout


def _uses(pledge) -> list[tuple]:
    return [(u.kind, u.amount, u.quantity) for u in allocation.funded_by(pledge).uses]


@pytest.fixture
def history(make_fund, make_user, pledge_money, pledge_goods, receive, now):
    """Gifts, payouts, a back-dated gift, goods in and out, and reversals of each kind."""
    fund, coordinator = make_fund()
    today = local(now).date()
    first = pledge_money(fund, "300.00", donor=make_user(name="王小红"))
    second = pledge_money(fund, "500.00", donor=make_user(name="李大伟"))
    receive(first, coordinator, amount="300.00", received_on=today - timedelta(days=3))
    receive(second, coordinator, amount="500.00", received_on=today - timedelta(days=2))
    distribute.distribute(fund.id, payout("400.00"), actor=coordinator, now=now)
    wrong = distribute.distribute(fund.id, payout("100.00"), actor=coordinator, now=now)
    # a gift that arrived before the others, recorded late: it is spent first
    early = pledge_money(fund, "200.00", donor=make_user(name="赵六"))
    receive(early, coordinator, amount="200.00", received_on=today - timedelta(days=10))
    distribute.reverse(wrong, actor=coordinator, reason="重复登记", now=now)
    books = pledge_goods(fund, 30, donor=make_user(name="周七"))
    receive(books, coordinator, accepted=30)
    distribute.distribute(fund.id, goods((*BOOKS, 12)), actor=coordinator, now=now)
    mistake = pledge_money(fund, "50.00", donor=make_user(name="孙八"))
    got = receive(mistake, coordinator, amount="50.00")
    intake.reverse(got, actor=coordinator, reason="录错了", now=now)
    return fund, coordinator, {"first": first, "second": second, "early": early,
                               "books": books, "mistake": mistake}


def test_what_each_gift_funded_follows_first_in_first_out(history):
    fund, _, p = history
    # 400 paid out: the back-dated 200 first, then 200 of the first gift; 100 reversed
    assert _uses(p["early"]) == [("payout", Decimal("200.00"), None)]
    assert _uses(p["first"]) == [("payout", Decimal("200.00"), None)]
    assert allocation.funded_by(p["first"]).held_amount == Decimal("100.00")
    assert _uses(p["second"]) == [] and allocation.funded_by(
        p["second"]).held_amount == Decimal("500.00")
    assert _uses(p["books"]) == [("goods_out", None, 12)]
    assert allocation.funded_by(p["books"]).held_goods == {("儿童绘本", "book"): 18}
    assert _uses(p["mistake"]) == [] and allocation.funded_by(
        p["mistake"]).held_amount == Decimal("0.00")


def test_stored_state_equals_the_ledger_replayed(history):
    fund, _, _ = history
    assert cli.check() == []
    progress = ledger.progress(fund)
    assert (progress.received, progress.distributed, progress.payouts) == (
        Decimal("1000.00"), Decimal("400.00"), 1)
    assert ledger.cash_balance(fund.id) == Decimal("600.00")
    [stock] = ledger.stock(fund.id)
    assert (stock.quantity, stock.value) == (18, Decimal("180.00"))
    # the ledger's pages count its rows from the stored count, reversals included
    rows = db.session.scalar(select(func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.fund_id == fund.id))
    assert rows >= 10 and ledger.count(fund) == rows
    # the tracing changed by appending (a back-dated gift, a reversal), never by editing
    assert db.session.scalar(select(func.count()).select_from(GiftAllocation).where(
        GiftAllocation.amount < 0)) >= 1


def test_a_drift_is_found_and_a_rebuild_backfills(history, app):
    fund, _, p = history
    db.session.execute(update(FundBalance).where(FundBalance.fund_id == fund.id)
                       .values(received=FundBalance.received + 1, entries=3))
    db.session.execute(delete(GiftAllocation))
    db.session.execute(delete(FundStock))
    found = cli.check()
    assert any("received" in line for line in found)
    assert any(f"fund {fund.id} entries: stored 3" in line for line in found)
    assert any("allocation" in line for line in found)
    assert any("stock" in line for line in found)
    result = app.test_cli_runner().invoke(args=["donations", "check-stored"])
    assert result.exit_code == 1 and "received" in result.output
    assert cli.rebuild() >= 1
    assert cli.check() == []
    assert ledger.count(fund) == db.session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.fund_id == fund.id))
    assert _uses(p["early"]) == [("payout", Decimal("200.00"), None)]
    result = app.test_cli_runner().invoke(args=["donations", "check-stored"])
    assert result.exit_code == 0, result.output


def test_the_database_refuses_a_fund_below_nothing(history):
    fund, _, _ = history
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(FundBalance).where(FundBalance.fund_id == fund.id)
                           .values(distributed=FundBalance.received + 1))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(FundStock).where(FundStock.fund_id == fund.id)
                           .values(quantity=-1, received=0, distributed=1))


@pytest.fixture
def one_gift_at_a_time(monkeypatch):
    monkeypatch.setattr(allocation, "FRONT", 1)


def test_a_payout_reads_the_front_of_the_queue_a_few_gifts_at_a_time(one_gift_at_a_time,
                                                                     history):
    fund, _, p = history
    assert cli.check() == []
    assert _uses(p["first"]) == [("payout", Decimal("200.00"), None)]
