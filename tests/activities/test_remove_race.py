"""A removal beside a scan at the door: the removal takes the sign-up's lock after the
activity's (as a scan takes it), so a check-in being decided is waited for and seen, and
the removal is refused: never a cancelled sign-up of someone inside.

The scan here is the test's own connection: it holds the sign-up's row lock, as a scan
deciding does, while the server (a real gunicorn worker) is asked to remove the person;
then it records her inside and commits. PostgreSQL only: on SQLite one transaction
writes at a time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from server.activities import signups
from server.activities.models import Signup
from server.extensions import db
from tests.live import server_waits_on

pytestmark = [pytest.mark.concurrency, pytest.mark.postgresql]


def test_a_removal_waits_for_a_check_in_being_decided_and_is_refused(
        gunicorn, connect, make_activity, make_user, grant, now):
    activity = make_activity(capacity=3, starts_in=timedelta(minutes=-10), hours=2)
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    signup = signups.sign_up(activity.id, user=make_user(name="赵丽"),
                             now=now - timedelta(days=1))
    db.session.commit()
    signup_id = signup.id
    desk = connect(organiser)
    answer: list = []
    with db.engine.connect() as scan:
        scan.execute(text("SET lock_timeout = '10s'"))
        scan.execute(text("SELECT id FROM signups WHERE id = :id FOR NO KEY UPDATE"),
                     {"id": signup_id})
        thread = threading.Thread(target=lambda: answer.append(desk.call(
            "POST", f"/api/v1/signups/{signup_id}/remove", {"reason": "重复报名"})))
        thread.start()
        server_waits_on("signups")
        scan.execute(text("UPDATE signups SET presence = 'in', scan_seq = 1 WHERE id = :id"),
                     {"id": signup_id})
        scan.commit()
    thread.join(timeout=60)
    status, body, _ = answer[0]
    assert (status, body.get("code")) == (409, "signup_attended"), body
    db.session.expire_all()
    row = db.session.get(Signup, signup_id)
    assert (row.status, row.presence) == ("confirmed", "in")
