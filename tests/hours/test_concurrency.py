"""Two reviewers approving the same entry at the same instant approve it once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.activities.models import Signup
from server.core.errors import WusheError
from server.extensions import db
from server.hours import review, services
from server.hours.models import HourEntry, HourReview

pytestmark = pytest.mark.concurrency


def test_the_same_entry_approved_twice_at_once_is_approved_once(app, make_activity, make_user,
                                                                 grant, now):
    activity = make_activity(starts_in=timedelta(days=-1), hours=2)
    reviewers = [make_user(name=f"审核人{i}") for i in range(4)]
    for r in reviewers:
        grant(r, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="志愿者")
    signup = Signup(activity_id=activity.id, user_id=volunteer.id, status="confirmed",
                    queue_no=1, created_at=now)
    db.session.add(signup)
    db.session.flush()
    entry = HourEntry(user_id=volunteer.id, activity_id=activity.id, signup_id=signup.id,
                      kind="attendance", minutes=120, sources=["organiser_scan"], flags=[],
                      created_at=now)
    db.session.add(entry)
    db.session.commit()
    entry_id, reviewer_ids, volunteer_id = entry.id, [r.id for r in reviewers], volunteer.id
    db.session.rollback()  # on SQLite the test's own transaction would hold the write lock

    barrier = threading.Barrier(len(reviewer_ids))
    results: list = [None] * len(reviewer_ids)

    def approve(i):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                reviewer = db.session.get(User, reviewer_ids[i])
                results[i] = review.approve(entry_id, reviewer=reviewer, now=now).status
                db.session.commit()
            except WusheError as exc:
                db.session.rollback()
                results[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - shown by the assertion
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(len(reviewer_ids))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert Counter(results) == {"approved": 1, "already_reviewed": 3}
    assert db.session.scalar(select(func.count()).select_from(HourReview)) == 1
    total = services.summary(db.session.get(User, volunteer_id), now=now).total_minutes
    assert total == 120
