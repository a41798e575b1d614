"""Simultaneous sign-ups from many connections at once (run on SQLite and PostgreSQL).

Each thread has its own app context, session and database connection, and
commits for real, as separate requests would.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from server.activities import signups
from server.activities.models import Signup
from server.extensions import db
from tests.racing import race

pytestmark = pytest.mark.concurrency




def test_forty_simultaneous_sign_ups_for_ten_places(app, make_activity, make_user, now):
    activity = make_activity(capacity=10)
    people = [make_user(name=f"居民{i:02d}") for i in range(40)]
    db.session.commit()
    activity_id, user_ids = activity.id, [p.id for p in people]

    def sign_up(user_id):
        def call():
            from server.accounts.models import User
            return signups.sign_up(activity_id, user=db.session.get(User, user_id),
                                   now=now).status
        return call

    results = race(app, [sign_up(uid) for uid in user_ids])

    assert [r for r in results if r not in ("confirmed", "waitlisted")] == []
    assert Counter(results) == {"confirmed": 10, "waitlisted": 30}
    db.session.expire_all()
    rows = db.session.scalars(select(Signup).where(Signup.activity_id == activity_id)
                              .order_by(Signup.queue_no)).all()
    # FIFO: the first ten through the lock hold places, the next thirty wait in that order
    assert [r.queue_no for r in rows] == list(range(1, 41))
    assert [r.status for r in rows] == ["confirmed"] * 10 + ["waitlisted"] * 30
    assert [signups.waitlist_position(r) for r in rows[10:]] == list(range(1, 31))
    created = [r.created_at for r in rows]
    assert created == sorted(created)
    db.session.refresh(activity)
    assert (activity.confirmed_count, activity.waitlist_count) == (10, 30)


def test_same_person_tapping_five_times_gets_one_sign_up(app, make_activity, make_user, now):
    activity = make_activity(capacity=3)
    person = make_user()
    db.session.commit()
    activity_id, user_id = activity.id, person.id

    def call():
        from server.accounts.models import User
        return signups.sign_up(activity_id, user=db.session.get(User, user_id), now=now).status

    results = race(app, [call] * 5)
    assert Counter(results) == {"confirmed": 1, "already_signed_up": 4}
    assert db.session.query(Signup).filter_by(activity_id=activity_id).count() == 1


def test_withdrawals_racing_promote_each_waiting_person_once(app, make_activity, make_user,
                                                             now):
    activity = make_activity(capacity=3)
    holders = [make_user(name=f"占位{i}") for i in range(3)]
    waiting = [make_user(name=f"候补{i}") for i in range(5)]
    db.session.commit()
    held = [signups.sign_up(activity.id, user=u, now=now) for u in holders]
    for u in waiting:
        signups.sign_up(activity.id, user=u, now=now)
    db.session.commit()
    ids = [(s.id, s.user_id) for s in held]

    def withdraw(signup_id, user_id):
        def call():
            from server.accounts.models import User
            signup = db.session.get(Signup, signup_id)
            return signups.withdraw(signup, actor=db.session.get(User, user_id), now=now).status
        return call

    results = race(app, [withdraw(*pair) for pair in ids])
    assert results == ["withdrawn"] * 3
    db.session.expire_all()
    statuses = [s.status for s in db.session.scalars(
        select(Signup).where(Signup.activity_id == activity.id,
                             Signup.user_id.in_([u.id for u in waiting]))
        .order_by(Signup.queue_no))]
    assert statuses == ["confirmed"] * 3 + ["waitlisted"] * 2
