"""Races between separate server processes (a real gunicorn, several workers): two
leaders approving one request, a request and an invitation crossing, two leaders
inviting one phone, an invitation taken back or its number registered while it is
delivered, and the last two leaders leaving at once. Each ends with exactly one
open membership (or one leader), whichever worker wins: the database's partial unique
index and the row locks decide, and the losers are told the truth.

An invitation reaches its person once the leader's answer has gone out
(teams.invitations.deliver): the test waits for that to have happened, not for a time."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.teams.models import Invitation, Membership
from tests.live import at_once

pytestmark = pytest.mark.concurrency
TRIALS = 6


@pytest.fixture
def two_leaders(make_team, make_user, enrol):
    team = make_team(name="魏善庄镇助老服务队")
    leaders = [make_user(name=f"队长{i}") for i in range(2)]
    for leader in leaders:
        enrol(team, leader, role="leader")
    # plain values: on SQLite, reading an expired object after the commit would open a
    # transaction that holds the write lock while the server's workers wait for it
    return team.id, leaders


def _post(c, path, body=None):
    def call():
        status, data, _ = c.call("POST", path, body or {})
        return status, data.get("code") if status >= 400 else data.get("state")
    return call


def _open_rows(team_id, user_id) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Membership.state).where(
        Membership.team_id == team_id, Membership.user_id == user_id,
        Membership.state.in_(("invited", "requested", "active")))))


def _settled(read, done, deadline: float = 30.0):
    """What `read` gives once `done` holds of it (what the server does after its answer
    has gone out), or as it stands at the deadline, for the assertion to show."""
    end = time.monotonic() + deadline
    while True:
        value = read()
        # on SQLite a transaction holds the write lock: the test's must end for the
        # server's delivery to write (tests.live._idle)
        db.session.rollback()
        if done(value) or time.monotonic() > end:
            return value
        time.sleep(0.05)


def test_two_leaders_approving_one_request_approve_it_once(connect, two_leaders, make_user):
    team_id, leaders = two_leaders
    people = [make_user(name=f"申请人{i}") for i in range(TRIALS)]
    ids = [p.id for p in people]
    db.session.commit()
    desks = [connect(leader) for leader in leaders]
    for person, person_id in zip(people, ids, strict=True):
        phone = connect(person)
        status, data, _ = phone.call("POST", f"/api/v1/teams/{team_id}/requests", {})
        assert status == 201, data
        path = f"/api/v1/team-memberships/{data['id']}/approve"
        results = at_once([_post(d, path) for d in desks])
        assert Counter(results) == {(200, "active"): 1, (409, "team_already_answered"): 1}, \
            results
        assert _open_rows(team_id, person_id) == ["active"]


def test_a_request_and_an_invitation_crossing_make_one_membership(connect, two_leaders,
                                                                  make_user):
    team_id, leaders = two_leaders
    people = [make_user(name=f"居民{i}") for i in range(TRIALS)]
    known = [(p.id, p.phone) for p in people]
    db.session.commit()
    desk = connect(leaders[0])
    for person, (person_id, number) in zip(people, known, strict=True):
        phone = connect(person)
        results = at_once([
            _post(phone, f"/api/v1/teams/{team_id}/requests"),
            _post(desk, f"/api/v1/teams/{team_id}/invitations", {"phone": number}),
        ])
        # whichever came first was answered as it stood then; the second found it and
        # completed it: a member now, never a second row
        assert [status for status, _ in results] == [201, 201], results
        assert _settled(lambda person_id=person_id: _open_rows(team_id, person_id),
                        lambda rows: rows == ["active"]) == ["active"]
    total = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.team_id == team_id, Membership.user_id.in_([i for i, _ in known])))
    assert total == TRIALS


def test_two_leaders_inviting_one_phone_send_one_invitation(connect, two_leaders, make_user):
    team_id, leaders = two_leaders
    known = [(p.id, p.phone) for p in (make_user(name=f"受邀{i}") for i in range(TRIALS))]
    db.session.commit()
    desks = [connect(leader) for leader in leaders]
    for person_id, number in known:
        results = at_once([_post(d, f"/api/v1/teams/{team_id}/invitations",
                                 {"phone": number}) for d in desks])
        # both answered alike (an invitation records, whoever has the number), one sent
        assert [status for status, _ in results] == [201, 201], results
        assert _settled(lambda person_id=person_id: _open_rows(team_id, person_id),
                        lambda rows: rows == ["invited"]) == ["invited"]
    for number in ("13999991001", "13999991002"):  # numbers nobody has: one waits
        results = at_once([_post(d, f"/api/v1/teams/{team_id}/invitations",
                                 {"phone": number}) for d in desks])
        assert [status for status, _ in results] == [201, 201], results
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.team_id == team_id, Invitation.phone == number)) == 1


def _rows(team_id, user_id) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Membership.state).where(
        Membership.team_id == team_id, Membership.user_id == user_id)
        .order_by(Membership.id)))


def test_an_invitation_taken_back_while_it_is_delivered_reaches_nobody(connect, two_leaders,
                                                                        make_user):
    """One leader invites a registered number and the other takes it back at once, while
    the delivery runs after the first answer: taken back either before it (nothing made)
    or after it (its membership taken back), never an invitation left open."""
    team_id, leaders = two_leaders
    known = [(p.id, p.phone) for p in (make_user(name=f"受邀{i}") for i in range(TRIALS))]
    db.session.commit()
    desks = [connect(leader) for leader in leaders]
    for person_id, number in known:
        status, made, _ = desks[0].call("POST", f"/api/v1/teams/{team_id}/invitations",
                                        {"phone": number})
        assert status == 201, made
        status, taken, _ = desks[1].call(
            "POST", f"/api/v1/teams/{team_id}/invitations/{made['id']}/cancel", {})
        assert status == 200 and taken["cancelled_at"], taken
        # the take-back waited for a delivery holding the invitation's lock, and one after
        # it finds it taken back: what is there now stays
        assert _rows(team_id, person_id) in ([], ["cancelled"])
        db.session.expire_all()
        invitation = db.session.get(Invitation, made["id"])
        assert invitation.cancelled_at is not None
        db.session.rollback()


def test_a_number_registered_while_its_invitation_is_delivered_gets_it_once(
        connect, gunicorn, two_leaders):
    """A leader invites a number at the moment someone registers with it: the
    registration claims the invitation (PHONE_CLAIMED), or the delivery after the
    leader's answer finds the new account; one invitation reaches them, once."""
    from bench.loadgen import Client
    from server.accounts.models import User
    from server.notifications.models import Notification
    team_id, leaders = two_leaders
    db.session.commit()
    desk = connect(leaders[0])
    for trial in range(TRIALS):
        number, name = f"1399992{trial:04d}", "新来" + "甲乙丙丁戊己"[trial]
        newcomer = Client(gunicorn.port, timeout=60)
        status, data, headers = newcomer.call("GET", "/api/v1/auth/csrf")
        newcomer._keep_cookies(headers)
        newcomer.csrf = data["csrf_token"]
        results = at_once([
            _post(desk, f"/api/v1/teams/{team_id}/invitations", {"phone": number}),
            lambda number=number, newcomer=newcomer, name=name: newcomer.call(
                "POST", "/api/v1/auth/register",
                {"phone": number, "password": "correct horse 9", "name": name,
                 "accept_privacy": True})[:2]])
        newcomer.close_all()
        assert results[0][0] == 201 and results[1][0] == 201, results
        db.session.expire_all()
        user_id = db.session.scalar(select(User.id).where(User.phone == number))
        assert _settled(lambda user_id=user_id: _rows(team_id, user_id),
                        lambda rows: rows != []) == ["invited"]
        db.session.expire_all()
        [invitation] = db.session.scalars(select(Invitation).where(
            Invitation.team_id == team_id, Invitation.phone == number)).all()
        assert invitation.membership_id is not None
        assert db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == user_id, Notification.kind == "team_invited")) == 1
        db.session.rollback()


def test_the_last_two_leaders_leaving_at_once_leave_one(connect, make_team, make_user,
                                                        enrol):
    for trial in range(TRIALS):
        team = make_team(name=f"服务队{trial}")
        pair = [make_user(name=f"队长{trial}-{i}") for i in range(2)]
        rows = [enrol(team, p, role="leader") for p in pair]
        ids, team_id = [r.id for r in rows], team.id
        db.session.commit()
        phones = [connect(p) for p in pair]
        results = at_once([_post(c, f"/api/v1/team-memberships/{mid}/leave")
                           for c, mid in zip(phones, ids, strict=True)])
        assert Counter(results) == {(200, "left"): 1, (409, "team_last_leader"): 1}, results
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.team_id == team_id, Membership.state == "active",
            Membership.role == "leader")) == 1


def test_two_leaders_removing_each_other_at_once_remove_one(connect, make_team, make_user,
                                                            enrol):
    """Three leaders, so the last-leader rule does not decide it: each removal checked its
    actor was a leader before the other's removal committed, and both went through."""
    for trial in range(TRIALS):
        team = make_team(name=f"互相移除{trial}")
        keeper, a, b = (make_user(name=f"队长{trial}-{i}") for i in range(3))
        enrol(team, keeper, role="leader")
        rows = [enrol(team, p, role="leader") for p in (a, b)]
        ids, team_id = [r.id for r in rows], team.id
        db.session.commit()
        # a removes b, b removes a
        calls = [_post(connect(a), f"/api/v1/team-memberships/{ids[1]}/remove",
                       {"reason": "不再负责"}),
                 _post(connect(b), f"/api/v1/team-memberships/{ids[0]}/remove",
                       {"reason": "不再负责"})]
        results = at_once(calls)
        assert Counter(results) == {(200, "removed"): 1, (403, "team_leaders_only"): 1}, \
            results
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.team_id == team_id, Membership.state == "active",
            Membership.role == "leader")) == 2
