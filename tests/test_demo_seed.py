"""The demo data loads from the seed article, twice without duplicating."""

from __future__ import annotations

from sqlalchemy import func, select

from server.activities.models import Activity, Signup
from server.communities.models import Node, Organisation
from server.demo.seed import seed
from server.extensions import db


def test_seed_is_idempotent_and_tells_the_story(now):
    first = seed(now=now)
    second = seed(now=now)
    assert first == second
    assert {role for role, *_ in first} == {"resident", "organiser", "coordinator", "admin"}
    names = set(db.session.scalars(select(Node.name)))
    assert {"大兴区", "魏善庄镇", "赵庄子村", "通州区", "通运街道", "运河园社区"} <= names
    assert db.session.scalar(select(func.count()).select_from(Node).where(
        Node.name == "大兴区")) == 1
    assert db.session.scalar(select(Organisation.id).where(
        Organisation.name == "运河园社区 BQteam-贤妈智囊团"))
    books = db.session.scalar(select(Activity).where(Activity.kind == "book_drive",
                                                     Activity.capacity == 8))
    statuses = list(db.session.scalars(select(Signup.status).where(
        Signup.activity_id == books.id)))
    assert statuses.count("confirmed") == 8 and statuses.count("waitlisted") == 3


def test_a_later_run_moves_the_demo_to_today(now):
    from datetime import timedelta
    seed(now=now)
    first = db.session.scalar(select(func.min(Activity.starts_at)))
    seed(now=now + timedelta(days=30))
    assert db.session.scalar(select(func.min(Activity.starts_at))) == first + timedelta(days=30)


# --- donations ------------------------------------------------------------------------------

FUNDS = ("赵庄子爱心救助基金", "赵庄子村慈善公益节", "乡村图书角图书捐赠", "白玉县儿童绘本募集",
         "冬衣暖心行动")


def _donation_counts() -> dict:
    from server.donations.models import Fund, Pledge
    from server.donations.movements import Distribution, Fulfilment, IntakeBatch, LedgerEntry
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Fund, Pledge, Fulfilment, Distribution, IntakeBatch, LedgerEntry)}


def _funds() -> dict:
    from server.donations.models import Fund
    return {f.title: f for f in db.session.scalars(select(Fund))}


def _user(phone):
    from server.accounts.models import User
    return db.session.scalar(select(User).where(User.phone == phone))


def test_the_funds_of_the_seed_article(now):
    from decimal import Decimal

    from server.donations import ledger
    seed(now=now)
    found = _funds()
    assert set(FUNDS) <= set(found)
    for fund in found.values():
        assert fund.host.kind == "charity" and fund.status == "open"
    assert found["赵庄子爱心救助基金"].node.name == "赵庄子村"
    assert found["赵庄子村慈善公益节"].target_amount == Decimal("210000.00")
    assert found["白玉县儿童绘本募集"].node.name == "运河园社区"

    relief = ledger.progress(found["赵庄子爱心救助基金"])
    assert (relief.received, relief.distributed, relief.payouts) == (
        Decimal("38800.00"), Decimal("26500.00"), 3)
    books = ledger.progress(found["乡村图书角图书捐赠"])
    assert sum(g.received for g in books.goods) >= 3400
    assert books.received == Decimal("0.00")  # goods only
    baiyu = ledger.progress(found["白玉县儿童绘本募集"])
    assert [(g.category, g.received, g.distributed) for g in baiyu.goods] == [
        ("picture_books", 133, 133)]
    assert ledger.progress(found["冬衣暖心行动"]).in_kind_received == Decimal("36000.00")


def test_the_donation_ledgers_add_up(now):
    from decimal import Decimal

    from server.donations import ledger
    from server.donations.movements import LedgerEntry
    seed(now=now)
    for fund in _funds().values():
        rows = ledger.entries(fund)
        assert rows, fund.title

        def total(kind, column, rows=rows):
            return sum((getattr(r, column) for r in rows if r.kind == kind), Decimal("0.00"))
        p = ledger.progress(fund)
        assert p.received == total("cash_in", "amount"), fund.title
        assert p.distributed == -total("payout", "amount"), fund.title
        assert p.in_kind_received == total("goods_in", "value"), fund.title
        assert ledger.cash_balance(fund.id) == p.balance >= 0
        assert all(item.quantity > 0 and item.value >= 0 for item in ledger.stock(fund.id))
        # households are never named in public
        for row in rows:
            if row.distribution_id and row.recipient_public.endswith("家"):
                assert "*" in row.recipient_public
    corrections = db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.reverses_id.is_not(None))).all()
    assert [r.note for r in corrections] == ["金额录入错误：实收300元，误录为3000元"]


def test_the_demo_desks_have_work_and_the_resident_has_pledges(now):
    from server.donations import funds, pledges, queue
    seed(now=now)
    zhao, wang, resident = _user("13800000005"), _user("13800000004"), _user("13800000001")
    found = _funds()
    managed = {f.title for f in funds.managed_funds(zhao)}
    assert managed == set(FUNDS) - {"白玉县儿童绘本募集"}
    assert {f.title for f in funds.managed_funds(wang)} == {"白玉县儿童绘本募集"}
    rows = queue.desk(zhao, now=now)
    states = {r.state for r in rows}
    assert {"submitted", "accepted", "partial", "fulfilled", "withdrawn", "rejected"} <= states
    overdue = queue.desk(zhao, now=now, overdue=True)
    assert [r.pledge.donor_org for r in overdue] == ["北京京南物流有限公司"]
    assert any(r.state in ("submitted", "accepted") for r in queue.desk(wang, now=now))
    mine = pledges.pledges_of(resident)
    assert {pledges.state(p) for p in mine} == {"submitted", "accepted", "fulfilled"}
    assert {p.fund.title for p in mine} == {"白玉县儿童绘本募集", "赵庄子村慈善公益节"}
    shown = {pledges.public_name(p) for p in mine}
    assert "李女士" in shown and "李秀英" not in shown
    assert found["白玉县儿童绘本募集"].id in {p.fund_id for p in mine}


def test_seeding_donations_twice_is_stable(now):
    seed(now=now)
    first = _donation_counts()
    seed(now=now)
    assert _donation_counts() == first
    assert first["Fund"] == len(FUNDS)
    assert db.session.scalar(select(func.count()).select_from(Organisation).where(
        Organisation.name == "北京市大兴区魏善庄镇慈善协会")) == 1


def test_donations_are_added_to_a_demo_seeded_before_them(now):
    from server.donations.models import Fund
    seed(now=now)
    # as if seeded before donations existed: no funds yet
    for model in reversed(db.metadata.sorted_tables):
        if model.name in ("ledger_entries", "distribution_lines", "distributions",
                          "fulfilment_lines", "fulfilments", "intake_batches", "pledge_lines",
                          "pledges", "funds"):
            db.session.execute(model.delete())
    db.session.expunge_all()
    assert db.session.scalar(select(func.count()).select_from(Fund)) == 0
    seed(now=now)
    assert set(FUNDS) <= set(_funds())


def test_a_later_run_keeps_the_donations_current(now):
    from datetime import timedelta

    from server.donations import queue
    from server.donations.movements import LedgerEntry
    from server.notifications.models import Notification
    seed(now=now)
    first = db.session.scalar(select(func.min(LedgerEntry.occurred_on)))
    thanked = select(func.min(Notification.created_at)).where(
        Notification.kind == "gift_received")
    first_thanks = db.session.scalar(thanked)
    later = now + timedelta(days=30)
    seed(now=later)
    assert db.session.scalar(select(func.min(LedgerEntry.occurred_on))) == first + timedelta(
        days=30)
    assert db.session.scalar(thanked) == first_thanks + timedelta(days=30)
    zhao = _user("13800000005")
    overdue = queue.desk(zhao, now=later, overdue=True)
    assert [r.pledge.donor_org for r in overdue] == ["北京京南物流有限公司"]
