"""The pledged figures stored beside the fund (fund_balances.pledged, pledges, pledges_made):
after every kind of change they equal a recomputation from the pledges, and the fund page
and the desk read them."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import update

from server.donations import cli
from server.donations.movements import FundBalance
from server.donations.services import intake, ledger, pledges, queue, stored
from server.extensions import db


def _stored(fund) -> tuple:
    row = db.session.scalars(db.select(FundBalance).where(FundBalance.fund_id == fund.id)
                             .execution_options(populate_existing=True)).one()
    return row.pledged, row.pledges, row.pledges_made


def _agrees(fund, pledged: str, standing: int, made: int) -> None:
    assert cli.check([fund.id]) == []
    assert _stored(fund) == (Decimal(pledged), standing, made)
    progress = ledger.progress(fund)
    assert (progress.pledged, progress.pledges) == (Decimal(pledged), standing)


def test_every_pledge_change_keeps_the_stored_figures_equal_to_the_pledges(
        make_fund, make_user, pledge_money, pledge_goods, receive, now):
    fund, coordinator = make_fund()
    donor = make_user(name="王小红")
    _agrees(fund, "0.00", 0, 0)
    first = pledge_money(fund, "300.00", donor=donor)
    _agrees(fund, "300.00", 1, 1)
    pledge_goods(fund, 20, donor=make_user(name="周七"))  # goods have no amount
    _agrees(fund, "300.00", 2, 2)
    pledges.edit_pledge(first, {"amount": Decimal("450.00")}, actor=donor, now=now)
    _agrees(fund, "450.00", 2, 2)
    pledges.transition(first, "withdraw", actor=donor, now=now, reason="改主意了")
    _agrees(fund, "0.00", 1, 2)
    rejected = pledge_money(fund, "80.00", donor=make_user(name="李大伟"))
    pledges.transition(rejected, "reject", actor=coordinator, now=now, reason="不符合")
    _agrees(fund, "0.00", 1, 3)
    cancelled = pledge_money(fund, "60.00", donor=make_user(name="赵六"))
    pledges.transition(cancelled, "accept", actor=coordinator, now=now)
    _agrees(fund, "60.00", 2, 4)
    pledges.transition(cancelled, "cancel", actor=coordinator, now=now, reason="联系不上")
    _agrees(fund, "0.00", 1, 4)
    # released after part arrived: what arrived still counts as pledged
    part = pledge_money(fund, "500.00", donor=make_user(name="孙八"))
    got = receive(part, coordinator, amount="200.00")
    receive(part, coordinator, amount="100.00")
    _agrees(fund, "500.00", 2, 5)
    pledges.transition(part, "release", actor=coordinator, now=now, reason="余款不再催")
    _agrees(fund, "300.00", 1, 5)
    # a receipt of the released pledge reversed: less of it counts
    intake.reverse(got, actor=coordinator, reason="录错了", now=now)
    _agrees(fund, "100.00", 1, 5)


def test_a_drift_in_the_pledged_figures_is_found_and_rebuilt(make_fund, pledge_money):
    fund, _ = make_fund()
    pledge_money(fund, "300.00")
    db.session.execute(update(FundBalance).where(FundBalance.fund_id == fund.id).values(
        pledged=FundBalance.pledged + 1, pledges_made=FundBalance.pledges_made + 2))
    found = cli.check([fund.id])
    assert any("pledged" in line for line in found)
    assert any("pledges_made" in line for line in found)
    cli.rebuild([fund.id])
    _agrees(fund, "300.00", 1, 1)


def test_the_desk_shows_open_pledges_oldest_first_then_the_rest_newest_first(
        make_fund, make_user, pledge_money, receive, now):
    fund, coordinator = make_fund()
    made = [pledge_money(fund, "100.00", donor=make_user(name=f"捐赠人{i}")) for i in range(7)]
    for p in (made[1], made[4]):
        receive(p, coordinator, amount="100.00")  # fulfilled: no longer open
    pledges.transition(made[2], "reject", actor=coordinator, now=now, reason="不符合")
    want = [made[i].id for i in (0, 3, 5, 6, 4, 2, 1)]
    assert db.session.scalar(stored.pledge_counts([fund.id])) == 7
    for per_page in (2, 3, 4, 7):
        seen, page = [], 1
        while True:
            found = queue.desk(coordinator, now=now, page=page, per_page=per_page)
            assert found.total == 7
            if not found.rows:
                break
            seen += [r.pledge.id for r in found.rows]
            page += 1
        assert seen == want, per_page
    # filtered: counted, in the same order
    open_only = queue.desk(coordinator, now=now, states=("submitted",), per_page=3)
    assert open_only.total == 4 and [r.pledge.id for r in open_only.rows] == want[:3]
