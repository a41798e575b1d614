"""An activity that took place is finished, not cancelled: once someone has checked in after
its start, or hours are recorded for it, cancelling is refused with what to do instead (a
cancelled activity's approved hours went on counting in the statistics, and nowhere else).
Before its start it has not taken place, though people came early: it can be called off."""

from __future__ import annotations

from datetime import timedelta

import pytest

from server.activities import services as activities
from server.activities import signups
from server.activities.models import Activity
from server.checkin import codes
from server.checkin.closing import auto_check_out_due
from server.checkin.models import Scan
from server.core.errors import WusheError
from server.extensions import db
from server.hours import ledger, review


@pytest.fixture
def staffed(make_activity, make_user, grant, now):
    """staffed(starts_in): an activity with its organiser and one volunteer with a place."""
    def make(starts_in):
        activity = make_activity(starts_in=starts_in, hours=2)
        organiser = make_user(name="组织者")
        grant(organiser, "organiser", activity.node, activity.organisation)
        volunteer = make_user(name="刘洋")
        db.session.add(signups.Signup(activity_id=activity.id, user_id=volunteer.id,
                                      status="confirmed", queue_no=1,
                                      created_at=now - timedelta(days=1)))
        db.session.flush()
        return activity, organiser, volunteer
    return make


@pytest.fixture
def under_way(staffed):
    return staffed(timedelta(minutes=-30))


def _cancel(activity, organiser, now):
    return activities.cancel(activity, actor=organiser, now=now, reason="暴雨预警")


def test_nobody_came_yet_it_can_be_cancelled(under_way, now):
    activity, organiser, _ = under_way
    assert _cancel(activity, organiser, now).status == "cancelled"


def test_someone_checked_in_it_is_finished_instead(under_way, scan, now):
    activity, organiser, volunteer = under_way
    scan(activity, organiser, code=codes.personal_payload(codes.active_code(volunteer, now=now)))
    with pytest.raises(WusheError) as refused:
        _cancel(activity, organiser, now)
    assert refused.value.code == "people_checked_in" and refused.value.status == 409
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).status == "published"


def test_called_off_before_its_start_though_someone_came_early(staffed, scan, now):
    """A storm warning twenty minutes before the start, one volunteer checked in already:
    it is called off, she is checked out then, and no later job checks her out again."""
    activity, organiser, volunteer = staffed(timedelta(minutes=20))
    early = scan(activity, organiser,
                 code=codes.personal_payload(codes.active_code(volunteer, now=now)))
    assert early.result == "ok"
    assert _cancel(activity, organiser, now).status == "cancelled"
    exits = db.session.scalars(db.select(Scan).where(
        Scan.activity_id == activity.id, Scan.direction == "exit")).all()
    assert [(s.source, s.effective_time) for s in exits] == [("automatic", now)]
    assert auto_check_out_due(now=activity.ends_at + timedelta(hours=1)) == 0


@pytest.mark.parametrize("decided", ["approved", "rejected"])
def test_hours_recorded_it_is_finished_instead_unless_they_were_rejected(
        under_way, make_user, grant, now, decided):
    activity, organiser, volunteer = under_way
    claim = ledger.file_retroactive(actor=volunteer, activity=activity, user=volunteer,
                                    minutes=30, evidence="扫码的手机没联网，组织者可证明",
                                    now=now)
    if decided == "approved":
        review.approve(claim.id, reviewer=organiser, now=now)
        with pytest.raises(WusheError) as refused:
            _cancel(activity, organiser, now)
        assert refused.value.code == "hours_recorded"
    else:
        review.reject(claim.id, reviewer=organiser, now=now, reason="当天不在场")
        assert _cancel(activity, organiser, now).status == "cancelled"


def test_the_api_says_what_to_do(api, under_way, scan, now):
    activity, organiser, volunteer = under_way
    scan(activity, organiser, code=codes.personal_payload(codes.active_code(volunteer, now=now)))
    api.login(organiser)
    resp = api.post(f"/api/v1/activities/{activity.id}/cancel", json={"reason": "暴雨预警"},
                    headers={"Accept-Language": "zh-CN"})
    body = resp.get_json()
    assert resp.status_code == 409 and body["code"] == "people_checked_in"
    assert "请结束活动" in body["message"]
