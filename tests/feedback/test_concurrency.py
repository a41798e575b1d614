"""A double submit of feedback, from two threads and from two server processes at once:
one feedback row, and both answers succeed (the second found the first's row)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.feedback import services
from server.feedback.models import Feedback
from tests.live import at_once
from tests.racing import race

pytestmark = pytest.mark.concurrency
TRIALS = 4


def _rows(activity_id) -> list[tuple[int, str]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(Feedback.rating, Feedback.comment).where(Feedback.activity_id == activity_id))]


def test_five_taps_at_once_make_one_feedback(app, finished, attended, make_user, now):
    activity = finished()
    user = make_user()
    attended(activity, user)
    db.session.commit()
    activity_id, user_id = activity.id, user.id

    def call():
        from server.accounts.models import User
        from server.activities.models import Activity
        return services.give(db.session.get(Activity, activity_id),
                             user=db.session.get(User, user_id), rating=4, comment="好",
                             now=now).rating

    assert race(app, [call] * 5) == [4] * 5
    assert _rows(activity_id) == [(4, "好")]


def test_two_server_processes_taking_the_same_feedback_keep_one(connect, finished, attended,
                                                               make_user):
    user = make_user()
    activities = [finished(title=f"活动{i}") for i in range(TRIALS)]
    for activity in activities:
        attended(activity, user)
    ids = [a.id for a in activities]
    db.session.commit()
    phones = [connect(user), connect(user)]
    for activity_id in ids:
        path = f"/api/v1/activities/{activity_id}/feedback/mine"
        results = at_once([
            lambda p=p, path=path: p.call("PUT", path, {"rating": 5, "comment": "很好"})[:2]
            for p in phones])
        assert [status for status, _ in results] == [200, 200], results
        assert all(body["feedback"]["rating"] == 5 for _, body in results)
        assert _rows(activity_id) == [(5, "很好")]
    total = db.session.scalar(select(func.count()).select_from(Feedback).where(
        Feedback.user_id == user.id))
    assert total == TRIALS
