"""What really arrived: partial and over-fulfilment, goods accepted and turned away, batches
that must match what was counted, replays, and reversals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.core.clock import local
from server.core.errors import WusheError
from server.donations.movements import Fulfilment, IntakeBatch, LedgerEntry
from server.donations.services import distribute, intake, ledger, pledges
from server.extensions import db


def _code(call, *args, **kwargs) -> str:
    with pytest.raises(WusheError) as excinfo:
        call(*args, **kwargs)
    return excinfo.value.code


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def _books(fund, quantity, *, to="白玉县结对小学"):
    return {"kind": "goods", "recipient_kind": "organisation", "recipient_name": to,
            "purpose": "送书", "signed_by": "张老师",
            "lines": [{"category": "picture_books", "item": "儿童绘本", "unit": "book",
                       "quantity": quantity}]}


# --- money ------------------------------------------------------------------------------------

def test_money_partial_then_more_than_pledged(make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "500.00")
    f = receive(p, coordinator, amount="200.00")
    assert (f.kind, f.amount, f.fund_id, f.recorded_by_id) == (
        "money", Decimal("200.00"), fund.id, coordinator.id)
    assert pledges.state(p) == "partial"
    receive(p, coordinator, amount="400.00")
    assert pledges.state(p) == "fulfilled"
    got = pledges.received(p)
    assert (got.amount, got.count) == (Decimal("600.00"), 2)
    assert ledger.cash_balance(fund.id) == Decimal("600.00")
    assert ledger.progress(fund).received == Decimal("600.00")
    rows = ledger.entries(fund)
    assert [(r.kind, r.amount, r.pledge_id) for r in rows] == [
        ("cash_in", Decimal("400.00"), p.id), ("cash_in", Decimal("200.00"), p.id)]
    assert rows[0].purpose == fund.title and rows[0].fulfilment_id is not None


def test_exactly_the_pledged_amount_in_fen(make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "500.10")
    receive(p, coordinator, amount="500.09")
    assert pledges.state(p) == "partial"
    receive(p, coordinator, amount="0.01")
    assert pledges.state(p) == "fulfilled"
    assert pledges.received(p).amount == Decimal("500.10")


def test_money_needs_an_amount(make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    p = pledge_money(fund)
    assert _code(receive, p, coordinator) == "nothing_received"
    assert p.version == 0 and _count(Fulfilment) == 0


def test_a_receipt_number_or_a_waiver(make_fund, pledge_money, receive):
    fund, coordinator = make_fund()
    p = pledge_money(fund)
    assert _code(receive, p, coordinator, amount="500.00", receipt_waived=False) == (
        "receipt_required")
    assert _code(receive, p, coordinator, amount="500.00", receipt_waived=False,
                 receipt_no="   ") == "receipt_required"
    f = receive(p, coordinator, amount="500.00", receipt_waived=False,
                receipt_no=" 魏慈票2026-0012 ")
    assert (f.receipt_no, f.receipt_waived) == ("魏慈票2026-0012", False)


def test_received_on_may_be_earlier_but_not_tomorrow(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    p = pledge_money(fund)
    today = local(now).date()
    assert _code(receive, p, coordinator, amount="1.00",
                 received_on=today + timedelta(days=1)) == "received_in_future"
    f = receive(p, coordinator, amount="1.00", received_on=today - timedelta(days=3))
    assert f.received_on == today - timedelta(days=3)
    assert ledger.entries(fund)[0].occurred_on == today - timedelta(days=3)


def test_a_stale_version_is_told_to_refresh(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    p = pledge_money(fund)
    receive(p, coordinator, amount="100.00")
    assert p.version == 1
    assert _code(intake.record, p, {"version": 0, "amount": Decimal("100.00"),
                                    "receipt_waived": True},
                 actor=coordinator, now=now) == "pledge_changed"
    assert pledges.received(p).amount == Decimal("100.00")


def test_the_same_confirmation_sent_twice_is_recorded_once(make_fund, pledge_money, now):
    fund, coordinator = make_fund()
    p = pledge_money(fund)
    data = {"version": 0, "amount": Decimal("500.00"), "receipt_waived": True,
            "nonce": "c0ffee-1"}
    first = intake.record(p, data, actor=coordinator, now=now)
    again = intake.record(p, dict(data), actor=coordinator, now=now)
    assert again is first
    assert _count(Fulfilment) == 1 and ledger.count(fund) == 1 and p.version == 1


def test_a_nonce_from_another_pledge_is_refused(make_fund, pledge_money, now):
    fund, coordinator = make_fund()
    first, second = pledge_money(fund), pledge_money(fund)
    data = {"version": 0, "amount": Decimal("500.00"), "receipt_waived": True, "nonce": "n-1"}
    intake.record(first, data, actor=coordinator, now=now)
    assert _code(intake.record, second, dict(data), actor=coordinator, now=now) == (
        "nonce_reused")
    assert pledges.received(second).count == 0 and ledger.count(fund) == 1


# --- goods ------------------------------------------------------------------------------------

def test_goods_partial_then_accepted_and_rejected(make_fund, pledge_goods, receive):
    fund, coordinator = make_fund(title="图书捐赠")
    p = pledge_goods(fund, 50)
    receive(p, coordinator, accepted=30, unit_value="12.50")
    assert pledges.state(p) == "partial"
    f = receive(p, coordinator, accepted=18, rejected=2, reason=" 破损 ", unit_value="12.50")
    assert pledges.state(p) == "fulfilled"
    [line] = f.lines
    assert (line.accepted, line.rejected, line.reject_reason, line.unit_value) == (
        18, 2, "破损", Decimal("12.50"))
    assert f.in_kind_value == Decimal("225.00") and f.amount is None
    got = pledges.received(p)
    assert (got.delivered, got.accepted) == ({p.lines[0].id: 50}, {p.lines[0].id: 48})
    assert got.value == Decimal("600.00") and got.amount == 0
    [stock] = ledger.stock(fund.id)
    assert (stock.item, stock.quantity, stock.value) == ("儿童绘本", 48, Decimal("600.00"))
    newest = ledger.entries(fund)[0]
    assert (newest.kind, newest.quantity, newest.value, newest.amount) == (
        "goods_in", 18, Decimal("225.00"), None)
    assert (newest.rejected, newest.note) == (2, "破损")


def test_48_accepted_and_2_rejected_at_once_is_fulfilled(make_fund, pledge_goods, receive):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    receive(p, coordinator, accepted=48, rejected=2, reason="破损")
    assert pledges.state(p) == "fulfilled"
    assert ledger.on_hand(fund.id, "picture_books", "儿童绘本", "book") == 48


def test_more_goods_than_pledged_are_all_taken(make_fund, pledge_goods, receive):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    receive(p, coordinator, accepted=60)
    assert pledges.state(p) == "fulfilled"
    assert pledges.received(p).accepted == {p.lines[0].id: 60}
    assert ledger.on_hand(fund.id, "picture_books", "儿童绘本", "book") == 60
    assert ledger.progress(fund).in_kind_received == Decimal("600.00")


def test_all_rejected_posts_nothing_to_the_ledger(make_fund, pledge_goods, receive):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50, category="clothing", item="旧棉衣", unit="piece")
    receive(p, coordinator, accepted=0, rejected=50, reason="霉变，不符合接收标准")
    assert pledges.state(p) == "fulfilled"
    assert ledger.count(fund) == 0 and ledger.stock(fund.id) == []


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_turning_goods_away_needs_a_reason(make_fund, pledge_goods, receive, reason):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    assert _code(receive, p, coordinator, accepted=48, rejected=2, reason=reason) == (
        "reject_reason_required")
    assert p.version == 0 and _count(Fulfilment) == 0 and ledger.count(fund) == 0


def test_a_line_from_another_pledge_is_unknown(make_fund, pledge_goods, now):
    fund, coordinator = make_fund()
    p, other = pledge_goods(fund, 50), pledge_goods(fund, 10)
    data = {"version": 0, "receipt_waived": True,
            "lines": [{"pledge_line_id": other.lines[0].id, "accepted": 5}]}
    assert _code(intake.record, p, data, actor=coordinator, now=now) == "unknown_line"
    assert _count(Fulfilment) == 0


@pytest.mark.parametrize("lines", [
    [], [{"accepted": 0, "rejected": 0}], [{"accepted": None}]])
def test_nothing_received(make_fund, pledge_goods, lines, now):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    lines = [{"pledge_line_id": p.lines[0].id, **x} for x in lines]
    data = {"version": 0, "receipt_waived": True, "lines": lines}
    assert _code(intake.record, p, data, actor=coordinator, now=now) == "nothing_received"
    assert pledges.state(p) == "submitted" and p.accepted_at is None


def test_goods_outside_the_pledged_lines(make_fund, pledge_goods, now):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    extra = {"category": "stationery", "item": "铅笔", "unit": "box", "accepted": 3,
             "unit_value": Decimal("8.00")}
    assert _code(intake.record, p, {"version": 0, "receipt_waived": True,
                                    "lines": [{**extra, "item": ""}]},
                 actor=coordinator, now=now) == "line_incomplete"
    intake.record(p, {"version": 0, "receipt_waived": True, "lines": [extra]},
                  actor=coordinator, now=now)
    got = pledges.received(p)
    assert got.extra_quantity == 3 and got.delivered == {}
    assert pledges.state(p) == "partial"  # something arrived, the books did not
    assert ledger.on_hand(fund.id, "stationery", "铅笔", "box") == 3


# --- batches ----------------------------------------------------------------------------------

@pytest.fixture
def three(make_fund, pledge_money, make_user):
    """Three money pledges in one fund, for a donation box counted by hand."""
    fund, coordinator = make_fund(title="赵庄子村慈善公益节", kind="campaign")
    gifts = [pledge_money(fund, amount, donor=make_user(name=name))
             for amount, name in (("100.00", "赵一"), ("200.50", "钱二"), ("300.00", "孙三"))]
    return fund, coordinator, gifts


def _batch(gifts, amounts=("100.00", "200.50", "300.00"), **extra):
    return {"expected_count": len(gifts), "expected_total": sum(map(Decimal, amounts)),
            "receipt_waived": True, "note": "募捐箱开箱",
            "items": [{"reference": g.reference, "amount": Decimal(a)}
                      for g, a in zip(gifts, amounts, strict=True)], **extra}


def _nothing_written(fund):
    assert _count(IntakeBatch) == 0
    assert _count(Fulfilment) == 0
    assert _count(LedgerEntry, fund_id=fund.id) == 0


def test_a_batch_posts_one_ledger_row_per_gift(three, now):
    fund, coordinator, gifts = three
    done = intake.record_batch(fund.id, _batch(gifts), actor=coordinator, now=now)
    [batch] = db.session.scalars(select(IntakeBatch)).all()
    assert (batch.expected_count, batch.expected_total, batch.note) == (
        3, Decimal("600.50"), "募捐箱开箱")
    assert [(f.pledge_id, f.amount, f.batch_id) for f in done] == [
        (g.id, Decimal(a), batch.id) for g, a in zip(gifts, ("100.00", "200.50", "300.00"),
                                                     strict=True)]
    rows = ledger.entries(fund)
    assert sorted((r.pledge_id, r.amount) for r in rows) == sorted(
        (f.pledge_id, f.amount) for f in done)
    assert all(r.kind == "cash_in" for r in rows) and len(rows) == 3
    assert ledger.cash_balance(fund.id) == Decimal("600.50")
    assert [pledges.state(g) for g in gifts] == ["fulfilled"] * 3


def test_a_batch_without_an_expected_total_checks_the_count(three, now):
    fund, coordinator, gifts = three
    done = intake.record_batch(fund.id, _batch(gifts, expected_total=None), actor=coordinator,
                               now=now)
    assert len(done) == 3


@pytest.mark.parametrize("change", [{"expected_count": 4}, {"expected_count": 2},
                                    {"expected_total": Decimal("600.49")},
                                    {"expected_count": 2, "expected_total": Decimal("1.00")}])
def test_a_batch_that_does_not_match_writes_nothing(three, change, now):
    fund, coordinator, gifts = three
    with pytest.raises(WusheError) as excinfo:
        intake.record_batch(fund.id, _batch(gifts, **change), actor=coordinator, now=now)
    assert excinfo.value.code == "batch_mismatch"
    assert excinfo.value.status == 422
    _nothing_written(fund)
    assert [g.version for g in gifts] == [0, 0, 0]


def test_the_mismatch_says_what_was_counted(three, now):
    fund, coordinator, gifts = three
    with pytest.raises(WusheError) as excinfo:
        intake.record_batch(fund.id, _batch(gifts, expected_total=Decimal("600.00")),
                            actor=coordinator, now=now)
    assert excinfo.value.params["detail"] == "¥600.50 / ¥600.00"


def test_a_duplicate_reference_in_a_batch(three, now):
    fund, coordinator, gifts = three
    data = _batch(gifts)
    data["items"][2]["reference"] = gifts[0].reference.lower()
    assert _code(intake.record_batch, fund.id, data, actor=coordinator, now=now) == (
        "duplicate_in_batch")
    _nothing_written(fund)


def test_a_reference_from_another_fund_or_nowhere(three, make_fund, pledge_money, now):
    fund, coordinator, gifts = three
    elsewhere, _ = make_fund(title="别的基金")
    stranger = pledge_money(elsewhere, "100.00")
    data = _batch([*gifts[:2], stranger])
    assert _code(intake.record_batch, fund.id, data, actor=coordinator, now=now) == (
        "reference_not_found")
    data["items"][2]["reference"] = "ZZZZZZ"
    assert _code(intake.record_batch, fund.id, data, actor=coordinator, now=now) == (
        "reference_not_found")
    _nothing_written(fund)
    assert stranger.version == 0


def test_goods_pledges_are_not_batched(three, pledge_goods, now):
    fund, coordinator, gifts = three
    goods = pledge_goods(fund, 5)
    assert _code(intake.record_batch, fund.id, _batch([*gifts[:2], goods]),
                 actor=coordinator, now=now) == "kind_not_accepted"
    _nothing_written(fund)


def test_a_batch_by_someone_else_is_refused(three, make_user, now):
    fund, _, gifts = three
    assert _code(intake.record_batch, fund.id, _batch(gifts), actor=make_user(),
                 now=now) == "not_fund_manager"
    _nothing_written(fund)


# --- reversals of receipts --------------------------------------------------------------------

def test_reversing_money(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "500.00")
    first = receive(p, coordinator, amount="200.00")
    wrong = receive(p, coordinator, amount="3000.00")  # typed 3000 for 300
    assert pledges.state(p) == "fulfilled"
    later = now + timedelta(days=40)  # found the next month
    undo = intake.reverse(wrong, actor=coordinator, reason=" 金额录错，应为300元 ", now=later)
    assert (undo.amount, undo.reverses_id, undo.note, undo.kind) == (
        Decimal("-3000.00"), wrong.id, "金额录错，应为300元", "money")
    # dated as the receipt it undoes: that month's figures net out, not the month it was found
    assert undo.received_on == wrong.received_on and undo.recorded_at == later
    assert p.version == 3
    assert pledges.state(p) == "partial"
    assert pledges.received(p).amount == Decimal("200.00")
    original = db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.fulfilment_id == wrong.id))
    reversing = db.session.scalar(select(LedgerEntry).where(
        LedgerEntry.fulfilment_id == undo.id))
    assert (reversing.kind, reversing.amount, reversing.reverses_id, reversing.note) == (
        "cash_in", Decimal("-3000.00"), original.id, "金额录错，应为300元")
    assert ledger.count(fund) == 3  # nothing edited or deleted
    assert ledger.cash_balance(fund.id) == Decimal("200.00")
    assert ledger.progress(fund).received == Decimal("200.00")
    intake.reverse(first, actor=coordinator, reason="重复登记", now=later)
    assert pledges.state(p) == "accepted"  # back to where nothing arrived
    assert ledger.cash_balance(fund.id) == Decimal("0.00")


def test_reversing_goods(make_fund, pledge_goods, receive, now):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    f = receive(p, coordinator, accepted=48, rejected=2, reason="破损")
    undo = intake.reverse(f, actor=coordinator, reason="登记到了错误的认捐", now=now)
    [line] = undo.lines
    assert (line.accepted, line.rejected, line.pledge_line_id) == (-48, -2, p.lines[0].id)
    assert undo.in_kind_value == Decimal("-480.00")
    assert pledges.state(p) == "accepted"
    assert ledger.stock(fund.id) == []
    assert ledger.on_hand(fund.id, "picture_books", "儿童绘本", "book") == 0
    reversing = ledger.entries(fund)[0]
    assert (reversing.quantity, reversing.rejected, reversing.value, reversing.note) == (
        -48, -2, Decimal("-480.00"), "登记到了错误的认捐")
    progress = ledger.progress(fund)
    assert progress.in_kind_received == Decimal("0.00")
    assert progress.goods[0].received == 0


def test_a_reversal_once_and_never_of_a_reversal(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    p = pledge_money(fund)
    f = receive(p, coordinator, amount="500.00")
    undo = intake.reverse(f, actor=coordinator, reason="错账", now=now)
    assert _code(intake.reverse, f, actor=coordinator, reason="又一次", now=now) == (
        "already_reversed")
    assert _code(intake.reverse, undo, actor=coordinator, reason="撤销冲正",
                 now=now) == "cannot_reverse_reversal"
    assert _count(Fulfilment) == 2 and ledger.count(fund) == 2


def test_a_reversal_needs_a_reason_and_a_manager(make_fund, pledge_money, receive, make_user,
                                                 now):
    fund, coordinator = make_fund()
    p = pledge_money(fund)
    f = receive(p, coordinator, amount="500.00")
    assert _code(intake.reverse, f, actor=coordinator, reason=" ", now=now) == (
        "reason_required")
    assert _code(intake.reverse, f, actor=make_user(), reason="x", now=now) == (
        "not_fund_manager")
    assert _count(Fulfilment) == 1


def test_goods_already_given_out_cannot_be_unreceived(make_fund, pledge_goods, receive, now):
    fund, coordinator = make_fund()
    p = pledge_goods(fund, 50)
    f = receive(p, coordinator, accepted=48, rejected=2, reason="破损")
    distribute.distribute(fund.id, _books(fund, 30), actor=coordinator, now=now)
    with pytest.raises(WusheError) as excinfo:
        intake.reverse(f, actor=coordinator, reason="登记错误", now=now)
    assert excinfo.value.code == "insufficient_stock"
    assert excinfo.value.params["available"] == 18
    assert excinfo.value.errors == {}  # a reversal sends no quantity to point at
    assert ledger.on_hand(fund.id, "picture_books", "儿童绘本", "book") == 18
    assert pledges.state(p) == "fulfilled"


def test_money_already_paid_out_cannot_be_unreceived(make_fund, pledge_money, receive, now):
    fund, coordinator = make_fund()
    p = pledge_money(fund, "500.00")
    f = receive(p, coordinator, amount="500.00")
    distribute.distribute(fund.id, {"kind": "money", "amount": Decimal("300.00"),
                                    "recipient_kind": "household", "recipient_name": "张建华",
                                    "decision_ref": "救助〔2026〕1号", "purpose": "大病救助",
                                    "signed_by": "张建华"}, actor=coordinator, now=now)
    assert _code(intake.reverse, f, actor=coordinator, reason="x", now=now) == (
        "insufficient_funds")
    assert ledger.cash_balance(fund.id) == Decimal("200.00")
