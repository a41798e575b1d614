"""Two reviewers approving the same entry at the same instant approve it once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.activities.models import Signup
from server.extensions import db
from server.hours import review, services
from server.hours.models import HourEntry, HourReview
from tests.racing import race

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
    def approve(i):
        def call():
            reviewer = db.session.get(User, reviewer_ids[i])
            return review.approve(entry_id, reviewer=reviewer, now=now).status
        return call

    results = race(app, [approve(i) for i in range(len(reviewer_ids))])
    assert Counter(results) == {"approved": 1, "already_reviewed": 3}
    assert db.session.scalar(select(func.count()).select_from(HourReview)) == 1
    total = services.summary(db.session.get(User, volunteer_id), now=now).total_minutes
    assert total == 120
