"""What Wushe holds about a person, for them to read and download, and deleting their
account at their request (个人信息保护法: access, copy, deletion; DOMAIN.md)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.accounts import erasure
from server.accounts.errors import BadCredentials
from server.accounts.models import LoginSession, User
from server.accounts.services import authenticate
from server.activities import erasure as activity_erasure
from server.activities import signups
from server.activities.models import Signup
from server.checkin import codes
from server.checkin.models import PersonalCode
from server.core.errors import WusheError
from server.donations.models import Pledge
from server.extensions import db
from server.feedback.models import Feedback
from server.hours.models import HourEntry
from server.notifications.models import Notification
from server.teams.models import Membership
from tests.donations.conftest import make_fund, pledge_money  # noqa: F401 - fixtures
from tests.pages import EN, login, text
from tests.teams.conftest import enrol, make_team  # noqa: F401 - fixtures

PASSWORD = "wushe-test-pass1"


@pytest.fixture
def lived(make_user, make_activity, make_fund, pledge_money, make_team, enrol, now):  # noqa: F811
    """刘洋, with a place ahead (and someone waiting for it), hours of a past activity,
    a pledge, a team, feedback and a message."""
    person = make_user(name="刘洋", phone="13912345678", email="liu@example.org")
    ahead = make_activity(capacity=1, starts_in=timedelta(days=3), title="敬老院读书会")
    mine = signups.sign_up(ahead.id, user=person, now=now)
    waiting = signups.sign_up(ahead.id, user=make_user(name="罗敏"), now=now)
    past = make_activity(starts_in=timedelta(days=-3), hours=2, title="社区图书漂流")
    db.session.add(HourEntry(user_id=person.id, activity_id=past.id, kind="retroactive",
                             minutes=90, sources=[], flags=[], created_at=now))
    fund, _coordinator = make_fund()
    pledge = pledge_money(fund, donor=person, display="full_name")
    team = make_team(name="运河园志愿服务队")
    leader = make_user(name="队长")
    enrol(team, leader, role="leader")
    enrol(team, person)
    db.session.add(Feedback(activity_id=past.id, user_id=person.id, rating=5,
                            comment="很好，下次还来", created_at=now, updated_at=now))
    codes.active_code(person, now=now)
    from server.checkin.models import Scan
    from server.hours.models import Certificate, CorrectionRequest
    from server.notifications.services import notify
    db.session.add(Scan(activity_id=past.id, user_id=person.id, direction="entry",
                        result="not_signed_up", source="self", server_time=now,
                        effective_time=now, ip="203.0.113.9", latitude=39.7, longitude=116.4))
    entry = db.session.scalar(select(HourEntry).where(HourEntry.user_id == person.id))
    db.session.add(CorrectionRequest(entry_id=entry.id, user_id=person.id,
                                     message="那天我待到了五点", created_at=now))
    db.session.add(Certificate(user_id=person.id, organisation_id=past.organisation_id,
                               status="requested", requested_at=now, purpose="升学材料"))
    notify(leader.id, "team_join_requested", now=now, name="刘洋", team=team.name)
    db.session.flush()
    return person, mine, waiting, pledge


def test_a_person_reads_and_downloads_all_that_is_kept_about_them(client, api, lived,
                                                                   make_user):
    person, *_ = lived
    make_user(name="别人", phone="13900000099")
    db.session.commit()
    login(client, person)
    page = text(client.get("/me/data", headers=EN))
    for label in ("Profile", "Sign-ups", "Hours recorded", "Pledges", "Volunteer teams",
                  "Feedback given", "Logins"):
        assert label in page
    assert 'data-section="signups"' in page and "1 record" in page
    resp = client.get("/me/data.json")
    assert resp.headers["Cache-Control"] == "no-store"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = json.loads(resp.get_data(as_text=True))
    sections = body["sections"]
    assert sections["profile"][0]["phone"] == "13912345678"
    assert [s["activity"] for s in sections["signups"]] == ["敬老院读书会"]
    assert sections["hours"][0]["minutes"] == 90
    assert sections["pledges"][0]["amount"] == "500.00"
    assert sections["teams"][0]["team"] == "运河园志愿服务队"
    assert sections["feedback"][0]["comment"] == "很好，下次还来"
    assert len(sections["logins"]) == 1
    assert "13900000099" not in resp.get_data(as_text=True)  # nobody else's
    api.login(person)
    assert api.get("/api/v1/me/data").get_json()["sections"]["hours"][0]["minutes"] == 90


def test_deleting_ones_account_forgets_the_person_and_keeps_the_records(client, lived, now):
    person, mine, waiting, pledge = lived
    person_id = person.id
    db.session.commit()
    token = login(client, person)
    unticked = client.post("/me/data/erase", data={"csrf_token": token}, headers=EN)
    assert unticked.status_code == 422 and "Tick the box" in text(unticked)
    done = client.post("/me/data/erase", data={"csrf_token": token, "confirm": "1"})
    assert done.status_code == 302
    assert client.get("/me").status_code == 302  # logged out
    db.session.expire_all()
    gone = db.session.get(User, person_id)
    assert (gone.name, gone.phone, gone.email, gone.active) == ("已注销用户", None, None, False)
    assert gone.birth_date is None and gone.erased_at is not None
    with pytest.raises(BadCredentials):
        authenticate(phone="13912345678", password=PASSWORD)
    # what identified them elsewhere is gone too; what they did still counts
    assert db.session.get(Signup, mine.id).status == "withdrawn"
    assert db.session.get(Signup, waiting.id).status == "confirmed"  # the place moved on
    assert db.session.scalar(select(func.sum(HourEntry.minutes)).where(
        HourEntry.user_id == person_id)) == 90
    kept = db.session.get(Pledge, pledge.id)
    assert (kept.donor_name, kept.donor_phone, kept.display) == ("已注销用户", None,
                                                                  "anonymous")
    assert kept.amount is not None
    assert db.session.scalar(select(Feedback.comment).where(
        Feedback.user_id == person_id)) == ""
    assert db.session.scalar(select(Membership.state).where(
        Membership.user_id == person_id)) == "left"
    assert db.session.scalar(select(func.count()).select_from(PersonalCode).where(
        PersonalCode.user_id == person_id, PersonalCode.revoked_at.is_(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == person_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == person_id, LoginSession.ended_at.is_(None))) == 0
    assert db.session.scalar(select(LoginSession.user_agent).where(
        LoginSession.user_id == person_id)) is None
    from server.checkin.models import Scan
    from server.hours.models import Certificate, CorrectionRequest
    scan = db.session.scalar(select(Scan).where(Scan.user_id == person_id))
    assert (scan.ip, scan.latitude, scan.longitude) == (None, None, None)
    assert db.session.scalar(select(Certificate.status).where(
        Certificate.user_id == person_id)) == "declined"
    asked = db.session.scalar(select(CorrectionRequest).where(
        CorrectionRequest.user_id == person_id))
    assert (asked.answer, asked.message) == ("declined", "")
    # the leader's message about her request no longer names her
    [told] = db.session.scalars(select(Notification).where(
        Notification.kind == "team_join_requested")).all()
    assert told.params["name"] == "已注销用户"
    # and nothing is sent to an account that is gone
    from server.notifications.services import notify
    assert notify(person_id, "work_digest", now=now, hours=1) is None


def test_not_while_managing_family_holding_a_role_or_alone_leading_a_team(
        api, client, make_user, make_node, grant, make_team, enrol, now):  # noqa: F811
    from server.accounts import family
    guardian = make_user(name="李秀英")
    member = family.add_member(guardian, name="李大爷", relation="parent",
                               birth_date=None, now=now, consent=True)
    staff = make_user(name="社工")
    grant(staff, "coordinator", make_node(kind="community"))
    leader = make_user(name="唯一的队长")
    enrol(make_team(), leader, role="leader")
    db.session.commit()
    for person, code in ((guardian, "account_manages_family"), (staff, "account_holds_roles"),
                         (leader, "team_last_leader")):
        api.login(person)
        resp = api.post("/api/v1/me/erase", json={"confirm": True})
        assert (resp.status_code, resp.get_json()["code"]) == (409, code)
        db.session.expire_all()
        assert db.session.get(User, person.id).erased_at is None
    assert db.session.get(User, member.id).active
    # the page says so before anyone asks, and offers no button
    login(client, leader)
    page = text(client.get("/me/data", headers=EN))
    assert "erase-refused" in page and 'action="/me/data/erase"' not in page
    with pytest.raises(WusheError) as refused:
        erasure.erase(guardian, confirmed=False, now=now)
    assert refused.value.code == "erasure_not_confirmed"


def test_someone_already_inside_keeps_their_attendance(make_user, make_activity, grant,
                                                       scan, now):
    """Checked in early, twenty minutes before the start, then deleted their account: the
    place is not given away under them, and their attendance becomes hours as anyone's."""
    activity = make_activity(capacity=1, starts_in=timedelta(minutes=20), hours=2)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    person = make_user(name="钱敏")
    signup = signups.sign_up(activity.id, user=person, now=now - timedelta(days=1))
    waiting = signups.sign_up(activity.id, user=make_user(name="罗敏"),
                              now=now - timedelta(days=1))
    assert scan(activity, organiser, code=codes.personal_payload(
        codes.active_code(person, now=now))).result == "ok"
    erasure.erase(person, confirmed=True, now=now)
    db.session.expire_all()
    assert (db.session.get(Signup, signup.id).status,
            db.session.get(Signup, signup.id).presence) == ("confirmed", "in")
    assert db.session.get(Signup, waiting.id).status == "waitlisted"


def test_a_deleted_account_is_given_no_place_and_its_left_open_check_sees_one(
        make_user, make_activity, now):
    """The checks both sides of the race make under the person's lock
    (tests/accounts/test_erasure_race.py races them for real): a sign-up for an account
    deleted meanwhile is refused; a place ahead still live after the domains let go makes
    the erasure run again, and one already inside does not."""
    ahead = make_activity(capacity=3, starts_in=timedelta(days=2))
    person = make_user(name="刘洋")
    assert not activity_erasure.place_left_open(person, now)
    signups.sign_up(ahead.id, user=person, now=now)
    assert activity_erasure.place_left_open(person, now)
    erasure.erase(person, confirmed=True, now=now)
    assert not activity_erasure.place_left_open(person, now)
    other = make_activity(capacity=3, starts_in=timedelta(days=4))
    with pytest.raises(WusheError) as refused:
        signups.sign_up(other.id, user=person, now=now)
    assert refused.value.code == "account_closed"
    assert db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == other.id)) == 0


@pytest.mark.parametrize("through", ["page", "api"])
def test_an_erasure_that_met_something_new_runs_again_on_the_page_and_the_api(
        client, api, make_user, monkeypatch, through):
    """What a concurrent sign-up or pledge does (tests/accounts/test_erasure_race.py), here
    by a check that finds something left open once: the unit of work runs the erasure
    again, for the page as for the API, and the person is told it is done."""
    person = make_user(name="刘洋")
    met: list[int] = []

    def once(user, now):
        met.append(user.id)
        return len(met) == 1
    monkeypatch.setattr(erasure, "LEFT_OPEN", [*erasure.LEFT_OPEN, once])
    db.session.commit()
    if through == "page":
        token = login(client, person)
        done = client.post("/me/data/erase", data={"csrf_token": token, "confirm": "1"})
        assert done.status_code == 302 and "/login" not in done.headers["Location"]
    else:
        api.login(person)
        assert api.post("/api/v1/me/erase", json={"confirm": True}).status_code == 204
    assert met == [person.id, person.id]
    db.session.expire_all()
    assert db.session.get(User, person.id).erased_at is not None
