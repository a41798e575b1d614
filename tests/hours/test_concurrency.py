"""Two reviewers approving the same entry at the same instant approve it once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.accounts.models import User
from server.activities import services as activities
from server.activities.models import Activity, Signup
from server.extensions import db
from server.hours import ledger, review, services
from server.hours.models import HourEntry, HourQueue, HourReview
from tests.hours.test_queue_marker import movable  # noqa: F401 - the shared fixture
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


def test_a_claim_filed_while_its_activity_moves_waits_where_the_activity_went(
        app, movable, now):  # noqa: F811
    """补录 for an activity under way while its organiser moves it to another community:
    the claim's queue row copies the activity's place, so the claim waits for the move
    (both lock the activity) and its row names the new community, never the old one."""
    activity_id, organiser_id, there_id, phone = (
        movable.activity.id, movable.organiser.id, movable.there.id, movable.volunteer.phone)
    db.session.commit()
    filed: dict = {}

    def file_claim():
        with app.app_context():
            try:
                entry = ledger.file_for(
                    actor=db.session.get(User, organiser_id),
                    activity=db.session.get(Activity, activity_id), phone=phone, minutes=30,
                    evidence="签到表为证", now=now)
                db.session.commit()
                filed["id"] = entry.id
            except Exception as exc:  # noqa: BLE001 - shown by the assertion below
                db.session.rollback()
                filed["error"] = exc
            finally:
                db.session.remove()

    # the move, made and left uncommitted while the claim is filed beside it
    activities.update_activity(db.session.get(Activity, activity_id),
                               actor=db.session.get(User, organiser_id), now=now,
                               node_id=there_id)
    db.session.flush()
    claim = threading.Thread(target=file_claim)
    claim.start()
    claim.join(timeout=1.5)  # unguarded, the claim would commit here with the old place
    db.session.commit()
    claim.join(timeout=60)
    assert not claim.is_alive() and "error" not in filed, filed
    assert ledger.queue_drift() == []
    assert db.session.get(HourQueue, filed["id"]).node_id == there_id


def test_the_same_claim_filed_twice_at_once_is_filed_once(app, make_activity, make_user,
                                                          grant, give_place, now):
    """补录 sent twice at the same instant (a double tap, or the volunteer and the organiser
    together): one waiting entry, the other told the hours are already recorded."""
    activity = make_activity(starts_in=timedelta(days=-2), hours=2, status="finished")
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", activity.node, activity.organisation)
    volunteer = make_user(name="王小红", phone="13812340002")
    give_place(activity, volunteer)
    db.session.commit()
    activity_id, ids = activity.id, [volunteer.id, organiser.id, volunteer.id, organiser.id]

    def claim(actor_id):
        def call():
            entry = ledger.file_retroactive(
                actor=db.session.get(User, actor_id),
                activity=db.session.get(Activity, activity_id),
                user=db.session.get(User, ids[0]), minutes=60, evidence="签到表为证", now=now)
            return entry.kind
        return call

    results = race(app, [claim(i) for i in ids])
    assert Counter(results) == {"retroactive": 1, "already_recorded": 3}, results
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 1
