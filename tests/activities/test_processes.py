"""Races between separate server processes (a real gunicorn, several workers) found by
outside testing: a publish and a cancel at once, an edit beside a cancel or a finish, and one
person taking places in two overlapping activities at once (two sign-ups, or a promotion
beside a sign-up). Each decision reads the activity's status, and the person's places,
under the lock that the change it races with takes."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.activities.models import Activity, Signup
from server.extensions import db
from tests.live import at_once

pytestmark = pytest.mark.concurrency
TRIALS = 5


def _call(c, method, path, body=None):
    def call():
        status, data, _ = c.call(method, path, body if body is not None else {})
        return status, data.get("code") if status >= 400 else data.get("status")
    return call


@pytest.fixture
def organiser(make_org, make_user, grant):
    org = make_org()
    person = make_user(name="组织者")
    grant(person, "organiser", org.node, organisation=org)
    return org, person


def _status(activity_id) -> tuple[str, str | None, str]:
    db.session.expire_all()
    a = db.session.get(Activity, activity_id)
    return a.status, a.cancel_reason, a.place


def test_a_publish_and_a_cancel_at_once_never_reopen_a_cancelled_draft(
        connect, organiser, make_activity):
    org, person = organiser
    ids = [make_activity(org=org, status="draft", creator=person).id for _ in range(TRIALS)]
    db.session.commit()
    desks = [connect(person), connect(person)]
    for activity_id in ids:
        base = f"/api/v1/activities/{activity_id}"
        results = at_once([_call(desks[0], "POST", f"{base}/publish"),
                           _call(desks[1], "POST", f"{base}/cancel", {"reason": "场地取消"})])
        status, reason, _ = _status(activity_id)
        # a draft may be cancelled, or published and then cancelled: it ends cancelled
        assert status == "cancelled" and reason == "场地取消", (results, status)
        assert (200, "cancelled") in results, results


def test_an_edit_beside_a_cancel_never_changes_a_cancelled_activity(connect, organiser,
                                                                    make_activity):
    org, person = organiser
    ids = [make_activity(org=org, creator=person).id for _ in range(TRIALS)]
    db.session.commit()
    desks = [connect(person), connect(person)]
    for activity_id in ids:
        base = f"/api/v1/activities/{activity_id}"
        results = at_once([
            _call(desks[0], "PATCH", base, {"place": "新地点", "capacity": 50}),
            _call(desks[1], "POST", f"{base}/cancel", {"reason": "天气原因"})])
        status, _reason, place = _status(activity_id)
        assert status == "cancelled", results
        # the edit either landed before the cancel or was refused after it
        if place == "新地点":
            assert results[0] == (200, "published"), results
        else:
            assert results[0] == (409, "activity_bad_transition"), results


def test_an_edit_beside_a_finish_never_moves_a_finished_activity(
        connect, organiser, make_activity, make_user, give_place):
    org, person = organiser
    ids = []
    for _ in range(TRIALS):
        activity = make_activity(org=org, creator=person, starts_in=-timedelta(hours=1),
                                 hours=3)
        volunteer = make_user()
        give_place(activity, volunteer)
        db.session.execute(Signup.__table__.update().where(
            Signup.activity_id == activity.id).values(scan_seq=1))
        ids.append((activity.id, activity.starts_at))
    db.session.commit()  # each sign-up counts one successful scan: people have checked in
    desks = [connect(person), connect(person)]
    for activity_id, starts_at in ids:
        base = f"/api/v1/activities/{activity_id}"
        earlier = starts_at - timedelta(hours=3)
        results = at_once([
            _call(desks[0], "PATCH", base, {
                "starts_at": earlier.isoformat(), "ends_at": (earlier + timedelta(
                    hours=2)).isoformat(), "place": "挪走了"}),
            _call(desks[1], "POST", f"{base}/finish")])
        status, _reason, place = _status(activity_id)
        assert results[1] == (200, "finished") and status == "finished", results
        assert place != "挪走了", results
        assert results[0][0] in (409, 422), results


def test_one_person_signing_up_for_two_overlapping_activities_at_once_gets_one(
        connect, make_activity, make_user):
    person = make_user(name="赵大妈")
    pairs = []
    for trial in range(TRIALS):
        first = make_activity(starts_in=timedelta(days=3 + trial))
        second = make_activity(starts_in=timedelta(days=3 + trial, hours=1))
        pairs.append((first.id, second.id))
    person_id = person.id
    db.session.commit()
    phones = [connect(person), connect(person)]
    for pair in pairs:
        results = at_once([_call(phone, "POST", f"/api/v1/activities/{a}/signups")
                           for phone, a in zip(phones, pair, strict=True)])
        assert Counter(results) == {(201, "confirmed"): 1, (409, "time_clash"): 1}, results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.user_id == person_id, Signup.status == "confirmed")) == TRIALS


def test_a_promotion_beside_a_sign_up_for_an_overlapping_activity_gives_one_place(
        connect, make_activity, make_user):
    """X is full and the person waits on it; its holder gives the place up while the
    person signs up for Y, which overlaps X: they end up confirmed in one of the two."""
    person = make_user(name="钱阿姨")
    trials = []
    for trial in range(TRIALS):
        x = make_activity(capacity=1, starts_in=timedelta(days=3 + trial))
        y = make_activity(starts_in=timedelta(days=3 + trial, hours=1))
        holder = make_user()
        trials.append((x.id, y.id, holder))
    person_id = person.id
    db.session.commit()
    me = connect(person)
    for x_id, y_id, holder in trials:
        theirs = connect(holder)
        status, held, _ = theirs.call("POST", f"/api/v1/activities/{x_id}/signups", {})
        assert (status, held["status"]) == (201, "confirmed"), held
        status, waiting, _ = me.call("POST", f"/api/v1/activities/{x_id}/signups", {})
        assert (status, waiting["status"]) == (201, "waitlisted"), waiting
        at_once([_call(theirs, "POST", f"/api/v1/signups/{held['id']}/withdraw"),
                 _call(me, "POST", f"/api/v1/activities/{y_id}/signups")])
        db.session.expire_all()
        places = db.session.scalar(select(func.count()).select_from(Signup).where(
            Signup.user_id == person_id, Signup.activity_id.in_((x_id, y_id)),
            Signup.status == "confirmed"))
        assert places == 1, (x_id, y_id)
