"""Whatever gives places to several people in one transaction locks them in the order of their
ids (signups.lock_people), so two such transactions wait for each other instead of each
holding a person the other needs.

The other transaction here is a connection of the test's own, which holds the person with the
lower id and then asks for the one with the higher id, as a second promotion or team sign-up
taking the same people in id order would. The server's transaction (a real gunicorn worker)
gives places to both: in queue or request order it took the higher id first, and the two
closed a cycle that PostgreSQL broke by aborting one (the server retried it, and logged so).
PostgreSQL only: on SQLite one transaction writes at a time, and there is no cycle to close."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from server.activities.models import Signup
from server.extensions import db
from server.teams.models import Membership
from tests.live import retried_deadlocks, server_waits_on

pytestmark = [pytest.mark.concurrency, pytest.mark.postgresql]


def _signup(activity, user, status, queue_no, now):
    db.session.add(Signup(activity_id=activity.id, user_id=user.id, status=status,
                          queue_no=queue_no, created_at=now))


def _people(make_user):
    """Two people, the lower id made first."""
    low = make_user(name="孙阿姨")
    high = make_user(name="周大爷")
    assert low.id < high.id
    return low, high


def _race(gunicorn, call, low_id: int, high_id: int):
    """Hold `low`; start the server's call; once it waits, take `high` too (free, when the
    server took the people in id order: it waits at `low`). Returns the server's answer."""
    before = len(retried_deadlocks(gunicorn))
    answer: list = []
    with db.engine.connect() as other:
        other.execute(text("SET lock_timeout = '10s'"))
        other.execute(text("SELECT id FROM users WHERE id = :id FOR NO KEY UPDATE"),
                      {"id": low_id})
        thread = threading.Thread(target=lambda: answer.append(call()))
        thread.start()
        server_waits_on("users")  # the server, at the lower id
        other.execute(text("SELECT id FROM users WHERE id = :id FOR NO KEY UPDATE"),
                      {"id": high_id})
        other.commit()
    thread.join(timeout=60)
    assert retried_deadlocks(gunicorn)[before:] == []
    return answer[0]


def test_a_promotion_locks_the_people_waiting_in_id_order(
        gunicorn, connect, make_org, make_user, grant, make_activity, now):
    org = make_org()
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", org.node, organisation=org)
    activity = make_activity(org=org, capacity=2, starts_in=timedelta(days=4))
    low, high = _people(make_user)
    for queue_no, (person, status) in enumerate(
            [(make_user(), "confirmed"), (make_user(), "confirmed"),
             (high, "waitlisted"), (low, "waitlisted")], start=1):  # the higher id waits first
        _signup(activity, person, status, queue_no, now)
    activity.confirmed_count, activity.waitlist_count = 2, 2
    activity_id, low_id, high_id = activity.id, low.id, high.id
    db.session.commit()
    desk = connect(organiser)

    status, body, _ = _race(
        gunicorn, lambda: desk.call("PATCH", f"/api/v1/activities/{activity_id}",
                                    {"capacity": 4}), low_id, high_id)
    assert status == 200, body
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.activity_id == activity_id, Signup.status == "confirmed")) == 4


def test_a_team_sign_up_locks_the_members_in_id_order(
        gunicorn, connect, make_org, make_user, make_activity, now):
    team = make_org(name="运河园社区 BQteam-贤妈智囊团", kind="volunteer_team")
    leader = make_user(name="贤妈队长")
    low, high = _people(make_user)
    for person, role in ((leader, "leader"), (low, "member"), (high, "member")):
        db.session.add(Membership(team_id=team.id, user_id=person.id, state="active",
                                  role=role, origin="invitation", created_at=now,
                                  created_by_id=person.id, decided_at=now,
                                  decided_by_id=person.id, joined_at=now))
    activity = make_activity(starts_in=timedelta(days=4))
    team_id, activity_id, low_id, high_id = team.id, activity.id, low.id, high.id
    db.session.commit()
    boss = connect(leader)

    status, body, _ = _race(
        gunicorn, lambda: boss.call("POST", f"/api/v1/teams/{team_id}/signups",
                                    {"activity_id": activity_id,
                                     "user_ids": [high_id, low_id]}),  # the higher id first
        low_id, high_id)
    assert status == 200, body
    assert [r["status"] for r in body] == ["confirmed", "confirmed"], body
