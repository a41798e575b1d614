"""Feedback rules: who may rate, when, how often; what staff read, and what they never see."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.activities.models import Programme
from server.core.boundary import InvalidCharacters
from server.core.errors import Forbidden, ValidationError
from server.extensions import db
from server.feedback import services
from server.feedback.errors import (
    FeedbackClosed,
    FeedbackLocked,
    FeedbackNotAttended,
    FeedbackNotOpen,
    FeedbackNotYet,
)
from server.feedback.models import Feedback


def _count(activity) -> int:
    return db.session.scalar(select(func.count()).select_from(Feedback).where(
        Feedback.activity_id == activity.id))


# --- who may rate --------------------------------------------------------------------------

def test_someone_checked_in_rates_a_finished_activity(finished, attended, make_user, now):
    activity = finished()
    user = make_user()
    attended(activity, user)
    assert services.state(activity, user, now=now).status == "open"
    given = services.give(activity, user=user, rating=4, comment="  讲得很清楚，谢谢！ ",
                          now=now)
    assert (given.rating, given.comment) == (4, "讲得很清楚，谢谢！")
    assert services.state(activity, user, now=now).status == "given"


def test_a_published_activity_that_ended_can_be_rated_before_it_is_marked_finished(
        make_activity, attended, make_user, now):
    activity = make_activity(starts_in=timedelta(hours=-3), hours=2)  # still "published"
    user = make_user()
    attended(activity, user)
    assert services.give(activity, user=user, rating=5, comment="", now=now).rating == 5


def test_not_before_the_end(make_activity, attended, make_user, now):
    activity = make_activity(starts_in=timedelta(hours=-1), hours=3)  # under way
    user = make_user()
    attended(activity, user)
    with pytest.raises(FeedbackNotYet) as excinfo:
        services.give(activity, user=user, rating=5, comment="", now=now)
    assert excinfo.value.code == "feedback_not_yet"
    assert services.state(activity, user, now=now).status == "not_ended"


def test_an_activity_marked_finished_early_opens_feedback_then(make_activity, attended,
                                                               make_user, now):
    activity = make_activity(starts_in=timedelta(hours=-1), hours=3, status="finished")
    user = make_user()
    attended(activity, user)
    assert services.give(activity, user=user, rating=3, comment="", now=now).rating == 3


def test_a_cancelled_activity_has_nothing_to_rate(make_activity, attended, make_user, now):
    activity = make_activity(starts_in=timedelta(days=-2), status="cancelled")
    user = make_user()
    attended(activity, user)
    with pytest.raises(FeedbackNotOpen) as excinfo:
        services.give(activity, user=user, rating=1, comment="", now=now)
    assert excinfo.value.code == "feedback_not_open"


def test_signing_up_is_not_taking_part(finished, give_place, make_user, now):
    activity = finished()
    user = make_user()
    give_place(activity, user)  # a place, never checked in
    with pytest.raises(FeedbackNotAttended) as excinfo:
        services.give(activity, user=user, rating=5, comment="", now=now)
    assert excinfo.value.code == "feedback_not_attended" and excinfo.value.status == 403
    assert services.state(activity, user, now=now).status == "not_attended"
    with pytest.raises(FeedbackNotAttended):
        services.give(activity, user=make_user(), rating=5, comment="", now=now)


def test_checked_in_by_a_real_scan(make_activity, make_user, grant, scan, now):
    from server.activities import services as activity_services
    from server.activities import signups
    from server.checkin import codes
    activity = make_activity(starts_in=timedelta(minutes=-30), hours=1)
    organiser = make_user(name="社工")
    grant(organiser, "organiser", activity.organisation.node, activity.organisation)
    volunteer = make_user()
    db.session.add(signups.Signup(activity_id=activity.id, user_id=volunteer.id,
                                  status="confirmed", queue_no=1, created_at=now))
    db.session.flush()
    code = codes.personal_payload(codes.active_code(volunteer, now=now))
    assert scan(activity, organiser, code=code).result == "ok"
    later = now + timedelta(hours=1)
    activity_services.finish(activity, actor=organiser, now=later)
    assert services.give(activity, user=volunteer, rating=5, comment="", now=later).rating == 5


def test_hours_count_as_taking_part_unless_rejected(finished, with_hours, make_user, now):
    activity = finished()
    imported, filed, rejected = make_user(), make_user(), make_user()
    with_hours(activity, imported, kind="imported", decision="approved")
    with_hours(activity, filed)  # 补录, not reviewed yet
    with_hours(activity, rejected, decision="rejected")
    assert services.give(activity, user=imported, rating=4, comment="", now=now)
    assert services.give(activity, user=filed, rating=2, comment="", now=now)
    with pytest.raises(FeedbackNotAttended):
        services.give(activity, user=rejected, rating=1, comment="", now=now)


# --- when, and how often -------------------------------------------------------------------

def test_feedback_closes_after_the_open_days(app, finished, attended, make_user, now):
    activity = finished()
    user = make_user()
    attended(activity, user)
    days = app.config["FEEDBACK_OPEN_DAYS"]
    late = activity.ends_at + timedelta(days=days)
    with pytest.raises(FeedbackClosed) as excinfo:
        services.give(activity, user=user, rating=5, comment="", now=late)
    assert excinfo.value.code == "feedback_closed"
    assert services.state(activity, user, now=late).status == "closed"
    just_in_time = late - timedelta(minutes=1)
    assert services.give(activity, user=user, rating=5, comment="", now=just_in_time)


def test_once_per_person_and_changeable_for_the_edit_days(app, finished, attended,
                                                          make_user, now):
    activity = finished()
    user = make_user()
    attended(activity, user)
    first = services.give(activity, user=user, rating=2, comment="时间太短", now=now)
    days = app.config["FEEDBACK_EDIT_DAYS"]
    changed = services.give(activity, user=user, rating=4, comment="补充：其实挺好",
                            now=now + timedelta(days=days) - timedelta(minutes=1))
    assert changed.id == first.id and (changed.rating, changed.comment) == (4, "补充：其实挺好")
    assert changed.updated_at > changed.created_at
    assert _count(activity) == 1
    too_late = now + timedelta(days=days)
    with pytest.raises(FeedbackLocked) as excinfo:
        services.give(activity, user=user, rating=1, comment="", now=too_late)
    assert excinfo.value.code == "feedback_locked"
    assert str(days) in excinfo.value.text()
    state = services.state(activity, user, now=too_late)
    assert state.status == "given" and state.editable_until is None and not state.can_give
    # the same answer sent again after the edit period is no change, so no refusal
    assert services.give(activity, user=user, rating=4, comment="补充：其实挺好",
                         now=too_late).id == first.id


def test_the_database_holds_one_feedback_per_person_and_activity(finished, attended,
                                                                 make_user, now):
    activity = finished()
    user = make_user()
    attended(activity, user)
    services.give(activity, user=user, rating=3, comment="", now=now)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Feedback(activity_id=activity.id, user_id=user.id, rating=5,
                                comment="", created_at=now, updated_at=now))
        db.session.flush()


@pytest.mark.parametrize("rating", [0, 6, -1, True, 2.5, "5", None])
def test_a_rating_outside_1_to_5_is_refused(finished, attended, make_user, now, rating):
    activity = finished()
    user = make_user()
    attended(activity, user)
    with pytest.raises(ValidationError) as excinfo:
        services.give(activity, user=user, rating=rating, comment="", now=now)
    assert excinfo.value.code == "validation_error"
    assert excinfo.value.errors == {"rating": ["range"]}
    assert _count(activity) == 0


def test_a_comment_is_at_most_500_characters_and_holds_no_control_characters(
        finished, attended, make_user, now):
    activity = finished()
    user = make_user()
    attended(activity, user)
    with pytest.raises(ValidationError) as excinfo:
        services.give(activity, user=user, rating=5, comment="好" * 501, now=now)
    assert excinfo.value.errors == {"comment": ["length"]}
    with pytest.raises(InvalidCharacters):
        services.give(activity, user=user, rating=5, comment="好\x00", now=now)
    assert services.give(activity, user=user, rating=5, comment="好" * 500,
                         now=now).comment == "好" * 500


# --- what staff read -----------------------------------------------------------------------

def _rated(finished, attended, make_user, now, ratings, **fields):
    activity = finished(**fields)
    for n, (rating, comment) in enumerate(ratings):
        user = make_user(name=f"志愿者{n}号")
        attended(activity, user)
        services.give(activity, user=user, rating=rating, comment=comment,
                      now=now + timedelta(minutes=n))
    return activity


def test_summary_has_average_count_distribution_and_comments_newest_first(
        finished, attended, make_user, organiser_of, now):
    activity = _rated(finished, attended, make_user, now,
                      [(5, "很有收获"), (4, ""), (4, "希望多办几期"), (1, "")])
    summary = services.activity_summary(activity, viewer=organiser_of(activity))
    assert summary.count == 4
    assert summary.average == Decimal("3.5")
    assert summary.distribution == {1: 1, 2: 0, 3: 0, 4: 2, 5: 1}
    assert [c.comment for c in summary.comments] == ["希望多办几期", "很有收获"]
    assert not hasattr(summary.comments[0], "user_id")


def test_an_activity_without_feedback_has_an_empty_summary(finished, organiser_of):
    activity = finished()
    summary = services.activity_summary(activity, viewer=organiser_of(activity))
    assert (summary.count, summary.average, summary.comments) == (0, None, [])


def test_coordinators_above_read_the_summary_volunteers_and_others_do_not(
        finished, attended, make_user, grant, make_node, now):
    activity = _rated(finished, attended, make_user, now, [(5, "好")])
    above = make_user(name="街道协调员")
    grant(above, "coordinator", activity.node.parent)
    assert services.activity_summary(activity, viewer=above).count == 1
    elsewhere = make_user(name="别处协调员")
    grant(elsewhere, "coordinator", make_node(name="别的社区"))
    volunteer = db.session.scalar(select(Feedback).where(
        Feedback.activity_id == activity.id)).user
    for viewer in (elsewhere, volunteer, None):
        with pytest.raises(Forbidden):
            services.activity_summary(activity, viewer=viewer)


def test_programme_summary_adds_up_its_activities(finished, attended, make_user, make_org,
                                                  grant, now):
    org = make_org()
    programme = Programme(organisation_id=org.id, name="全职妈妈成长计划", created_at=now)
    db.session.add(programme)
    db.session.flush()
    one = _rated(finished, attended, make_user, now, [(5, "第一期很好"), (3, "")],
                 org=org, programme_id=programme.id)
    _rated(finished, attended, make_user, now, [(4, "第二期也不错")], org=org,
           programme_id=programme.id)
    _rated(finished, attended, make_user, now, [(1, "别的计划")], org=org)
    organiser = make_user(name="计划负责人")
    grant(organiser, "organiser", org.node, org)
    summary = services.programme_summary(programme, viewer=organiser)
    assert (summary.count, summary.activities, summary.average) == (3, 2, Decimal("4.0"))
    assert summary.distribution == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1}
    assert {c.comment for c in summary.comments} == {"第一期很好", "第二期也不错"}
    assert {c.activity_id for c in summary.comments if c.comment == "第一期很好"} == {one.id}
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", org.node.parent)
    assert services.programme_summary(programme, viewer=coordinator).count == 3
    with pytest.raises(Forbidden):
        services.programme_summary(programme, viewer=make_user())


# --- what waits for the person -------------------------------------------------------------

def test_awaiting_lists_what_the_person_took_part_in_until_they_rate_it(
        app, finished, attended, give_place, make_activity, make_user, now):
    user = make_user()
    recent, older = finished(title="最近的活动"), finished(
        title="早些的活动", starts_in=timedelta(days=-3))
    attended(recent, user)
    attended(older, user)
    give_place(finished(title="只报了名"), user)
    stale = finished(title="太久以前", starts_in=-timedelta(
        days=app.config["FEEDBACK_OPEN_DAYS"] + 2))
    attended(stale, user)
    coming = make_activity(title="还没开始")
    attended(coming, user)
    assert [a.title for a in services.awaiting(user, now=now)] == ["最近的活动", "早些的活动"]
    services.give(recent, user=user, rating=5, comment="", now=now)
    assert [a.title for a in services.awaiting(user, now=now)] == ["早些的活动"]
    assert services.awaiting(None, now=now) == []


# --- the message after the activity ----------------------------------------------------------

def test_finishing_an_activity_asks_those_checked_in_once(app, make_activity, attended,
                                                         give_place, make_user, grant, now):
    from server.activities import services as activity_services
    from server.notifications.models import Notification
    activity = make_activity(starts_in=timedelta(hours=-3), hours=2, title="敬老院探访")
    came, answered, absent = make_user(name="来了"), make_user(name="已评"), make_user(
        name="没来")
    attended(activity, came)
    attended(activity, answered)
    give_place(activity, absent)
    services.give(activity, user=answered, rating=5, comment="", now=now)
    organiser = make_user(name="社工")
    grant(organiser, "organiser", activity.organisation.node, activity.organisation)
    activity_services.finish(activity, actor=organiser, now=now)
    notes = db.session.scalars(select(Notification).where(
        Notification.kind == "feedback_request")).all()
    assert [n.user_id for n in notes] == [came.id]
    assert notes[0].activity_id == activity.id
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from server.notifications import kinds
        kind = kinds.get("feedback_request")
        assert "敬老院探访" in kind.text(notes[0].params)
        assert kind.link(notes[0]) == f"/activities/{activity.id}/feedback"
