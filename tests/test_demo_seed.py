"""The demo loads from the seed article relative to now, and a newcomer can use every role
in the first minute: an activity under way to scan at, hours in every reviewer's queue, a
resident with a star who gets a certificate; twice without duplicating, rebuilt when stale.

Seeding lives a year of history through the services (seconds, not milliseconds), so the
module seeds once, in a transaction never committed, and each test runs inside a savepoint
of it that is rolled back: each test starts from the freshly seeded demo.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import func, select
from sqlalchemy.orm import scoped_session, sessionmaker

from server.activities.models import Activity, Signup
from server.communities.models import Node, Organisation
from server.core import clock
from server.demo import upcoming
from server.demo.seed import DEMO_PASSWORD, NotADemo, empty_database, seed
from server.extensions import db
from tests.conftest import ApiClient

REVIEWERS = {"13800000002": "张丽娜", "13800000003": "周伟静", "13800000004": "王建国",
             "13800000005": "赵红梅", "13800000009": "陈志强"}
_addresses = iter(range(1, 10**6))


def _bind(connection):
    return scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
                          scopefunc=_app_ctx_id)


@pytest.fixture(scope="module")
def _seeded(app):
    """The connection holding the seeded demo, uncommitted, for the whole module."""
    original = db.session
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.session = _bind(connection)
        try:
            seed(now=clock.now().replace(microsecond=0))
            db.session.commit()  # into the outer transaction, which is rolled back below
        finally:
            db.session.remove()
            db.session = original
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture(autouse=True)
def _db(app, _seeded):
    """Overrides the suite's: each test in a savepoint of the seeded demo, rolled back."""
    ctx = app.app_context()
    ctx.push()
    savepoint = _seeded.begin_nested()
    original = db.session
    db.session = _bind(_seeded)
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original
        savepoint.rollback()
        ctx.pop()


def _counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def _as(app, phone: str) -> ApiClient:
    """An API client logged in as a demo account, with the demo's password."""
    client = ApiClient(app.test_client())
    n = next(_addresses)  # logins are throttled per address: each client has its own
    client.environ_base["REMOTE_ADDR"] = f"10.9.{n // 250}.{n % 250 + 1}"
    client.login(_user(phone), password=DEMO_PASSWORD)
    return client


def _live(title=upcoming.LIVE_TITLE) -> Activity:
    return db.session.scalar(select(Activity).where(Activity.title == title))


def test_seed_is_idempotent_and_tells_the_story(now):
    empty_database()
    first = seed(now=now)
    counts = _counts()
    second = seed(now=now + timedelta(minutes=20))
    assert (first.how, second.how) == ("seeded", "current")
    assert first.logins == second.logins and first.tips == second.tips
    assert _counts() == counts
    assert {role for role, *_ in first.logins} == {"resident", "organiser", "coordinator",
                                                   "admin"}
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


def test_every_demo_organisation_can_certify(now):
    from server.communities.services import normalise_contact_phone
    seed(now=now)
    orgs = db.session.scalars(select(Organisation)).all()
    assert len(orgs) >= 9
    for org in orgs:
        assert org.leader_name, org.name
        assert normalise_contact_phone(org.contact_phone) == org.contact_phone, org.name


def test_two_activities_are_under_way_whatever_the_hour(now):
    for hour in (15, 16):  # UTC: seeded at 23:41 and at 0:41 in Beijing, across midnight
        moment = now.replace(hour=hour, minute=41)
        seed(now=moment, reset=True)
        for title in (upcoming.LIVE_TITLE, upcoming.LIVE_TOWN_TITLE):
            live = _live(title)
            assert live.status == "published"
            assert live.starts_at <= moment - timedelta(minutes=25)
            assert live.ends_at >= moment + timedelta(hours=1, minutes=30), title
        ended = _live(upcoming.ENDED_TITLE)
        assert ended.status == "published" and ended.ends_at < moment


def test_the_organiser_scans_the_residents_code_at_once(app, now):
    seed(now=now)
    live = _live()
    resident, organiser = _as(app, "13800000001"), _as(app, "13800000002")
    code = resident.get("/api/v1/me/code").get_json()["payload"]
    state = organiser.get(f"/api/v1/activities/{live.id}/scanner/counts").get_json()
    assert state["present"] >= 3 and state["signed_up"] >= 7  # some already inside
    resp = organiser.post(f"/api/v1/activities/{live.id}/scans", json={
        "code": code, "direction": "entry", "nonce": "first-minute-0001"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["result"], body["ok"], body["person"]["name"]) == ("ok", True, "李秀英")
    # 周伟静 has hers in 魏庄村, and may not scan at 张丽娜's
    town = _live(upcoming.LIVE_TOWN_TITLE)
    zhou = _as(app, "13800000003")
    assert zhou.get(f"/api/v1/activities/{town.id}/scanner/counts").get_json()["present"] >= 2
    denied = zhou.post(f"/api/v1/activities/{live.id}/scans", json={"code": code})
    assert (denied.status_code, denied.get_json()["code"]) == (403, "scan_not_allowed")


def test_every_reviewer_has_hours_to_review(app, now):
    seed(now=now)
    seen_flags, seen_sources, kinds = set(), set(), set()
    for phone, name in REVIEWERS.items():
        body = _as(app, phone).get("/api/v1/hours/review").get_json()
        entries = [e for g in body["groups"] for e in g["entries"]]
        assert entries, name
        assert all(e["status"] == "pending" and e["volunteer_name"] != name for e in entries)
        for e in entries:
            seen_flags |= set(e["flags"])
            seen_sources |= set(e["sources"])
            kinds.add(e["kind"])
    assert {"auto_checkout", "self_checkin", "walk_in", "no_location"} <= seen_flags
    assert {"organiser_scan", "offline_upload", "self", "automatic"} <= seen_sources
    assert kinds == {"attendance", "retroactive"}
    zhang = _as(app, "13800000002").get("/api/v1/hours/review").get_json()
    assert zhang["corrections"], "王芳's correction request waits for 张丽娜"


def test_a_reviewer_approves_from_the_queue(app, now):
    seed(now=now)
    zhou = _as(app, "13800000003")
    group = zhou.get("/api/v1/hours/review").get_json()["groups"][0]
    entry = group["entries"][0]
    resp = zhou.post(f"/api/v1/hours/entries/{entry['id']}/approve")
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    resp = zhou.post(f"/api/v1/hours/activities/{group['activity']['id']}/approve-all")
    assert resp.status_code == 200 and resp.get_json()["approved"] == len(group["entries"]) - 1


def test_the_resident_has_a_star_and_is_certified_in_the_first_minute(app, now):
    seed(now=now)
    resident = _as(app, "13800000001")
    hours = resident.get("/api/v1/me/hours").get_json()
    assert hours["stars"] >= 1 and hours["total_minutes"] >= 100 * 60
    assert hours["pending"], "last week's reading afternoon waits for review"
    offered = resident.get("/api/v1/certificates/organisations").get_json()
    bqteam = next(o for o in offered if o["name"] == "运河园社区 BQteam-贤妈智囊团")
    resp = resident.post("/api/v1/certificates", json={"organisation_id": bqteam["id"],
                                                       "purpose": "社区表彰"})
    assert resp.status_code == 201, resp.get_json()
    cert_id = resp.get_json()["id"]

    zhang = _as(app, "13800000002")
    waiting = zhang.get("/api/v1/certificates/review").get_json()
    assert {c["volunteer"]["name"] for c in waiting} == {"王芳", "李秀英"}
    resp = zhang.post(f"/api/v1/certificates/{cert_id}/issue", json={})
    assert resp.status_code == 200, resp.get_json()
    cert = resp.get_json()
    assert cert["status"] == "issued" and cert["handler_name"] == "张丽娜"
    assert cert["leader_name"] and cert["contact"] and cert["id_number_masked"].startswith("110")
    assert float(cert["total_hours"]) >= 100
    pdf = resident.get(f"/api/v1/certificates/{cert_id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # 王芳's request, seeded, is as ready to issue
    other = next(c for c in waiting if c["volunteer"]["name"] == "王芳")
    assert _as(app, "13800000004").post(f"/api/v1/certificates/{other['id']}/issue",
                                        json={}).status_code == 200


def test_the_resident_was_promoted_and_can_say_she_cannot_come(app, now):
    seed(now=now)
    resident = _as(app, "13800000001")
    body = resident.get("/api/v1/me/notifications").get_json()
    # a year of messages, read as they came: a handful wait, the promotion among them
    assert 1 <= body["unread"] <= 10, body["unread"]
    promoted = next(n for n in body["items"] if n["kind"] == "promoted")
    assert "藏区捐赠图书" in promoted["text"] and not promoted["read"]
    [action] = promoted["actions"]
    signup_id = int(action["url"].split("/")[2])
    resp = resident.post(f"/api/v1/signups/{signup_id}/withdraw")
    assert resp.status_code == 200  # the next in line moves up
    after = resident.get("/api/v1/me/notifications").get_json()
    assert after["unread"] == body["unread"] - 1  # the promotion's question is answered
    books = _live("藏区捐赠图书：儿童绘本整理打包")
    assert books.confirmed_count == books.capacity


def test_the_scheduler_closes_the_ended_activity_and_summarises_for_reviewers(app, now):
    from server.notifications.models import Notification
    from server.scheduler import jobs
    seed(now=now)
    ended = _live(upcoming.ENDED_TITLE)
    assert ended.status == "published" and ended.ends_at < now  # to try by hand first
    assert jobs.finish_due(ended.ends_at + timedelta(minutes=61)).done == 1
    db.session.refresh(ended)
    assert ended.status == "finished"
    morning = clock.from_local(clock.local(now).replace(tzinfo=None, hour=8, minute=30))
    jobs.daily_digest(morning if morning > now else morning + timedelta(days=1))
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "work_digest")))
    assert {_user(phone).id for phone in ("13800000004", "13800000005", "13800000009")} <= told


def test_a_run_while_the_live_activity_ends_rebuilds_for_the_new_moment(now):
    seed(now=now)
    first = db.session.scalar(select(func.min(Activity.starts_at)))
    counts = _counts()
    later = now + timedelta(days=30)
    again = seed(now=later)
    assert again.how == "rebuilt"
    # the same year of history behind the new moment (the weekly visits keep to Tuesdays)
    rebuilt_first = db.session.scalar(select(func.min(Activity.starts_at)))
    assert abs((later - rebuilt_first) - (now - first)) < timedelta(days=7)
    # the statistics kept ready are derived: how many rows depends on where month ends fall
    derived = ("stat_values",)
    after = _counts()
    assert after["stat_values"] > 0
    assert {k: v for k, v in after.items() if k not in derived} == {
        k: v for k, v in counts.items() if k not in derived}
    live = _live()
    assert live.starts_at <= later < live.ends_at
    # within the same afternoon too: once the live activity is nearly over
    assert seed(now=later + timedelta(hours=1)).how == "current"
    assert seed(now=later + timedelta(hours=2)).how == "rebuilt"
    assert _live().starts_at <= later + timedelta(hours=2) < _live().ends_at


def test_reset_empties_every_table_and_seeds_afresh(now, make_user):
    seed(now=now)
    counts = _counts()
    make_user(name="试用时注册的人", phone="13512340001")
    live = _live()
    live.title = "改过的标题"
    db.session.flush()
    result = seed(now=now, reset=True)
    assert result.how == "reset"
    assert _counts() == counts
    assert _live() is not None
    assert db.session.scalar(select(Activity.id).where(Activity.title == "改过的标题")) is None


def test_a_database_that_is_not_the_demo_is_left_alone(now, make_user):
    empty_database()
    make_user(name="真实用户")
    with pytest.raises(NotADemo):
        seed(now=now)
    assert seed(now=now, reset=True).how == "reset"
    assert db.session.scalar(select(func.count()).select_from(Node).where(
        Node.name == "大兴区")) == 1


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

    from server.donations.services import ledger
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

    from server.donations.movements import LedgerEntry
    from server.donations.services import ledger
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
    from server.donations.services import donor_display, funds, pledges, queue
    seed(now=now)
    zhao, wang, resident = _user("13800000005"), _user("13800000004"), _user("13800000001")
    found = _funds()
    managed = {f.title for f in funds.managed_funds(zhao)}
    assert managed == set(FUNDS) - {"白玉县儿童绘本募集"}
    assert {f.title for f in funds.managed_funds(wang)} == {"白玉县儿童绘本募集"}
    rows = queue.desk(zhao, now=now).rows
    states = {r.state for r in rows}
    assert {"submitted", "accepted", "partial", "fulfilled", "withdrawn", "rejected"} <= states
    overdue = queue.desk(zhao, now=now, overdue=True).rows
    assert [r.pledge.donor_org for r in overdue] == ["北京京南物流有限公司"]
    assert any(r.state in ("submitted", "accepted") for r in queue.desk(wang, now=now).rows)
    mine = pledges.pledges_of(resident)
    assert {pledges.state(p) for p in mine} == {"submitted", "accepted", "fulfilled"}
    assert {p.fund.title for p in mine} == {"白玉县儿童绘本募集", "赵庄子村慈善公益节"}
    shown = {donor_display.public_name(p) for p in mine}
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
        if model.name in ("gift_allocations", "fund_stock", "fund_balances",
                          "ledger_entries", "distribution_lines", "distributions",
                          "fulfilment_lines", "fulfilments", "intake_batches", "pledge_lines",
                          "pledges", "funds"):
            db.session.execute(model.delete())
    db.session.expunge_all()
    assert db.session.scalar(select(func.count()).select_from(Fund)) == 0
    seed(now=now)
    assert set(FUNDS) <= set(_funds())


def test_a_later_run_keeps_the_donations_current(now):
    from datetime import timedelta

    from server.donations.movements import LedgerEntry
    from server.donations.services import queue
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
    overdue = queue.desk(zhao, now=later, overdue=True).rows
    assert [r.pledge.donor_org for r in overdue] == ["北京京南物流有限公司"]


def test_each_coordinator_reads_their_figures_in_the_first_minute(app, now):
    """The seeded year is in the dashboard at once (the seed rebuilds the rollups): each
    coordinator's first place shows the services held and the people who served this
    year, and the programmes with their own figures."""
    seed(now=now)
    # the year the seeded services were held in: this year, but in the first days of
    # January the seed's past is last year's
    held = db.session.scalar(select(func.max(Activity.ends_at)).where(
        Activity.status == "finished"))
    year = str(clock.local(held).year)
    served = {}
    for phone in ("13800000004", "13800000005", "13800000009"):
        reader = _as(app, phone)
        places = reader.get("/api/v1/stats/places").get_json()
        assert places, phone
        found = [reader.get(f"/api/v1/stats/{p['id']}?period={year}").get_json()["figures"]
                 for p in places]
        assert sum(f["activities"] for f in found) > 0, phone
        served[phone] = sum(f["person_times"] for f in found)
    # 魏善庄镇's hours wait in 赵红梅's queue; 通运街道's approved ones are counted
    assert served["13800000004"] > 0 and served["13800000009"] >= served["13800000004"]
    admin = _as(app, "13800000009")
    shown = {p["name"] for top in admin.get("/api/v1/stats/places").get_json()
             for p in admin.get(f"/api/v1/stats/{top['id']}?period={year}").get_json()[
                 "programmes"]}
    assert "银龄相伴·每周助老" in shown
    programmes = admin.get("/api/v1/programmes").get_json()["items"]
    assert {"全职妈妈成长计划", "银龄相伴·每周助老"} <= {p["name"] for p in programmes}
    # the mothers' programme has a session held (the reading afternoon, its hours still
    # waiting for review) and sessions ahead
    [mums] = [p for p in programmes if p["name"] == "全职妈妈成长计划"]
    figures = admin.get(f"/api/v1/programmes/{mums['id']}").get_json()["figures"]
    assert figures["activities"] >= 1 and figures["upcoming"] >= 1
