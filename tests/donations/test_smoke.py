from decimal import Decimal

from server.donations import allocation, distribute, ledger, pledges


def test_books_flow(make_fund, pledge_goods, receive, now):
    fund, coordinator = make_fund(title="图书捐赠")
    p = pledge_goods(fund, 50, display="surname", title="ms")
    assert pledges.state(p) == "submitted"
    receive(p, coordinator, accepted=48, rejected=2, reason="破损")
    assert pledges.state(p) == "fulfilled"
    prog = ledger.progress(fund)
    assert prog.goods[0].received == 48 and prog.goods[0].pledged == 50
    assert prog.in_kind_received == Decimal("480.00")
    rows = ledger.entries(fund)
    assert rows[0].quantity == 48 and pledges.public_name(rows[0].pledge) == "王女士"
    d = distribute.distribute(fund.id, {"kind": "goods", "recipient_kind": "organisation",
                                        "recipient_name": "白玉县小学", "purpose": "送书",
                                        "signed_by": "张老师",
                                        "lines": [{"category": "picture_books", "item": "儿童绘本",
                                                   "unit": "book", "quantity": 30}]},
                              actor=coordinator, now=now)
    assert ledger.stock(fund.id)[0].quantity == 18
    assert ledger.stock(fund.id)[0].value == Decimal("180.00")
    f = allocation.funded_by(p)
    assert f.uses[0].quantity == 30 and f.held_goods == {("儿童绘本", "book"): 18}
    assert d.lines[0].quantity == 30


def test_money_flow(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "500.10")
    receive(p, coordinator, amount="200.05")
    assert pledges.state(p) == "partial"
    assert ledger.cash_balance(fund.id) == Decimal("200.05")
    receive(p, coordinator, amount="400.00")
    assert pledges.state(p) == "fulfilled"
    assert ledger.progress(fund).received == Decimal("600.05")
