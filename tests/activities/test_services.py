"""Sign-up and lifecycle rules, asserted by their stable error codes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.activities import services, signups
from server.activities.models import Signup
from server.core.errors import WusheError
from server.extensions import db
from server.notifications.models import Notification


def codes(excinfo) -> str:
    return excinfo.value.code


def test_places_then_fifo_waitlist(make_activity, make_user, now):
    activity = make_activity(capacity=2)
    people = [make_user(name=f"志愿者{i}") for i in range(4)]
    results = [signups.sign_up(activity.id, user=p, now=now) for p in people]
    assert [s.status for s in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [signups.waitlist_position(s) for s in results[2:]] == [1, 2]
    assert (activity.confirmed_count, activity.waitlist_count) == (2, 2)


def test_withdraw_promotes_first_in_line_and_tells_them(make_activity, make_user, now):
    activity = make_activity(capacity=1)
    first, second, third = (make_user(name=n) for n in ("王芳", "刘洋", "陈静"))
    place = signups.sign_up(activity.id, user=first, now=now)
    waiting2 = signups.sign_up(activity.id, user=second, now=now)
    waiting3 = signups.sign_up(activity.id, user=third, now=now)

    signups.withdraw(place, actor=first, now=now)

    assert (place.status, waiting2.status, waiting3.status) == (
        "withdrawn", "confirmed", "waitlisted")
    assert signups.waitlist_position(waiting3) == 1
    note = db.session.query(Notification).filter_by(user_id=second.id).one()
    assert note.kind == "promoted" and note.params["title"] == activity.title
    assert db.session.query(Notification).filter_by(user_id=third.id).count() == 0


def test_promotion_skips_someone_who_now_has_a_clash(make_activity, make_user, now):
    activity = make_activity(capacity=1)
    other = make_activity(capacity=5, title="同一时间的书市")
    holder, busy, free = make_user(), make_user(name="忙碌者"), make_user(name="空闲者")
    place = signups.sign_up(activity.id, user=holder, now=now)
    busy_wait = signups.sign_up(activity.id, user=busy, now=now)
    free_wait = signups.sign_up(activity.id, user=free, now=now)
    signups.sign_up(other.id, user=busy, now=now)  # busy now holds a clashing place

    signups.withdraw(place, actor=holder, now=now)

    assert (busy_wait.status, free_wait.status) == ("waitlisted", "confirmed")


def test_withdraw_until_cutoff_only(make_activity, make_user, now):
    activity = make_activity(starts_in=timedelta(hours=3), withdraw_cutoff_hours=2)
    user = make_user()
    signup = signups.sign_up(activity.id, user=user, now=now)
    with pytest.raises(WusheError) as excinfo:
        signups.withdraw(signup, actor=user, now=now + timedelta(hours=1, minutes=1))
    assert codes(excinfo) == "withdraw_closed"
    signups.withdraw(signup, actor=user, now=now + timedelta(minutes=59))
    assert signup.status == "withdrawn"


def test_a_place_that_came_by_promotion_can_be_given_back_until_the_start(
        make_activity, make_user, now):
    """The person did not choose when the place came (an hour before, perhaps): inside
    the cutoff they may still say "I can't come", and the next in line moves up."""
    activity = make_activity(starts_in=timedelta(hours=3), withdraw_cutoff_hours=2,
                             capacity=1)
    holder, promoted, next_in_line = make_user(), make_user(), make_user()
    first = signups.sign_up(activity.id, user=holder, now=now)
    second = signups.sign_up(activity.id, user=promoted, now=now)
    signups.sign_up(activity.id, user=next_in_line, now=now)
    signups.withdraw(first, actor=holder, now=now + timedelta(minutes=30))
    assert second.status == "confirmed" and second.promoted_at is not None
    late = now + timedelta(hours=2, minutes=30)  # well inside the two-hour cutoff
    assert signups.can_withdraw(second, now=late)
    signups.withdraw(second, actor=promoted, now=late)
    assert signups.live_signup(activity.id, next_in_line.id).status == "confirmed"
    # but not once it has begun (nor is anyone promoted then)
    third = signups.live_signup(activity.id, next_in_line.id)
    assert not signups.can_withdraw(third, now=now + timedelta(hours=3))
    with pytest.raises(WusheError) as excinfo:
        signups.withdraw(third, actor=next_in_line, now=now + timedelta(hours=3))
    assert codes(excinfo) == "withdraw_closed"


def test_nobody_else_withdraws_you(make_activity, make_user, now):
    activity = make_activity()
    owner, stranger = make_user(), make_user(name="陌生人")
    signup = signups.sign_up(activity.id, user=owner, now=now)
    with pytest.raises(WusheError) as excinfo:
        signups.withdraw(signup, actor=stranger, now=now)
    assert codes(excinfo) == "signup_not_found"


def test_only_the_person_or_their_guardian_withdraws_not_whoever_signed_them_up(
        make_activity, make_user, now):
    """A team leader or a worker who signed someone up, or a guardian since the hand-over,
    cannot silently give the place away (a worker removes it, with a reason the person is
    told); the guardian who manages a family member now can."""
    activity = make_activity(capacity=5)
    leader, worker = make_user(name="队长"), make_user(name="社区工作者")
    member = make_user(name="队员")
    guardian = make_user(name="李秀英")
    from server.accounts import family
    child = family.add_member(guardian, name="李大爷", relation="parent",
                              birth_date=date(1948, 3, 1), now=now, consent=True)
    by_leader = signups.sign_up(activity.id, user=member, now=now, acted_by=leader)
    by_guardian = signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    for signup, other in ((by_leader, leader), (by_leader, worker)):
        with pytest.raises(WusheError) as refused:
            signups.withdraw(signup, actor=other, now=now)
        assert codes(refused) == "signup_not_found"
    assert signups.withdraw(by_guardian, actor=guardian, now=now).status == "withdrawn"
    again = signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    child.managed_by_id, child.relation = None, None  # handed over to their own phone
    child.phone = "13912340000"
    db.session.flush()
    with pytest.raises(WusheError) as refused:
        signups.withdraw(again, actor=guardian, now=now)
    assert codes(refused) == "signup_not_found"
    assert signups.withdraw(again, actor=child, now=now).status == "withdrawn"
    assert signups.withdraw(by_leader, actor=member, now=now).status == "withdrawn"


def test_sign_up_again_after_withdrawing(make_activity, make_user, now):
    activity = make_activity()
    user = make_user()
    signups.withdraw(signups.sign_up(activity.id, user=user, now=now), actor=user, now=now)
    again = signups.sign_up(activity.id, user=user, now=now)
    assert again.status == "confirmed"
    assert db.session.query(Signup).filter_by(user_id=user.id).count() == 2


def test_double_sign_up_refused(make_activity, make_user, now):
    activity = make_activity()
    user = make_user()
    signups.sign_up(activity.id, user=user, now=now)
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=user, now=now)
    assert codes(excinfo) == "already_signed_up"


@pytest.mark.parametrize("status,code", [("draft", "not_open"),
                                         ("cancelled", "activity_cancelled"),
                                         ("finished", "activity_finished")])
def test_only_published_activities_take_sign_ups(make_activity, make_user, now, status, code):
    activity = make_activity(status=status)
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=make_user(), now=now)
    assert codes(excinfo) == code


def test_sign_up_window(make_activity, make_user, now):
    activity = make_activity(signup_opens_at=now + timedelta(hours=1),
                             signup_closes_at=now + timedelta(hours=5))
    user = make_user()
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=user, now=now)
    assert codes(excinfo) == "signup_not_open_yet"
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=user, now=now + timedelta(hours=5))
    assert codes(excinfo) == "signup_closed"
    assert signups.sign_up(activity.id, user=user, now=now + timedelta(hours=2)).status == (
        "confirmed")


def test_sign_up_closes_at_start_by_default(make_activity, make_user, now):
    activity = make_activity(starts_in=timedelta(hours=1))
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=make_user(), now=now + timedelta(hours=1))
    assert codes(excinfo) == "signup_closed"


def test_minimum_age_uses_birth_date_on_the_day(make_activity, make_user, now):
    activity = make_activity(min_age=18)
    starts = activity.starts_at.date()
    turns_18_after = make_user(birth_date=date(starts.year - 18, 12, 31)
                               if starts.month < 12 else date(starts.year - 17, 12, 31))
    adult = make_user(birth_date=date(starts.year - 30, 1, 1))
    unknown = make_user(birth_date=None)
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=turns_18_after, now=now)
    assert codes(excinfo) == "too_young"
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=unknown, now=now)
    assert codes(excinfo) == "birth_date_required"
    assert signups.sign_up(activity.id, user=adult, now=now).status == "confirmed"


def test_required_skills(make_activity, make_user, now):
    activity = make_activity(required_skills=["legal"])
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(activity.id, user=make_user(skills=["education"]), now=now)
    assert codes(excinfo) == "skills_missing"
    assert excinfo.value.errors == {"skills": ["legal"]}
    lawyer = make_user(name="律师", skills=["legal", "education"])
    assert signups.sign_up(activity.id, user=lawyer, now=now).status == "confirmed"


def test_clash_with_confirmed_activity(make_activity, make_user, now):
    morning = make_activity(starts_in=timedelta(days=2), hours=3)
    overlapping = make_activity(starts_in=timedelta(days=2, hours=2), hours=2)
    afterwards = make_activity(starts_in=timedelta(days=2, hours=3), hours=2)
    user = make_user()
    signups.sign_up(morning.id, user=user, now=now)
    with pytest.raises(WusheError) as excinfo:
        signups.sign_up(overlapping.id, user=user, now=now)
    assert codes(excinfo) == "time_clash"
    assert morning.title in excinfo.value.text()
    # touching end to start is not a clash
    assert signups.sign_up(afterwards.id, user=user, now=now).status == "confirmed"


def test_capacity_cannot_drop_below_confirmed_and_raising_it_promotes(
        make_activity, make_user, grant, now):
    activity = make_activity(capacity=1)
    organiser = make_user(name="组织者甲")
    grant(organiser, "organiser", activity.node, activity.organisation)
    first, second = make_user(), make_user(name="候补者")
    signups.sign_up(activity.id, user=first, now=now)
    waiting = signups.sign_up(activity.id, user=second, now=now)
    with pytest.raises(WusheError) as excinfo:
        services.update_activity(activity, actor=organiser, now=now, capacity=0)
    # the schema refuses 0 too; the service's own rule is checked with a real count
    assert codes(excinfo) in ("validation_error", "capacity_below_confirmed")
    services.update_activity(activity, actor=organiser, now=now, capacity=2)
    assert waiting.status == "confirmed"


def test_lifecycle_and_cancellation_notifies(make_org, make_user, grant, now):
    org = make_org()
    organiser = make_user(name="社工小张")
    grant(organiser, "organiser", org.node, org)
    activity = services.create_activity(
        actor=organiser, organisation=org, now=now, title="全职妈妈经验分享会",
        kind="programme_session", place="运河园社区活动室", capacity=5,
        starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2))
    assert activity.status == "draft"
    with pytest.raises(WusheError) as excinfo:
        services.finish(activity, actor=organiser, now=now)
    assert codes(excinfo) == "activity_bad_transition"
    services.publish(activity, actor=organiser, now=now)
    mum = make_user(name="宝妈")
    signup = signups.sign_up(activity.id, user=mum, now=now)
    services.cancel(activity, actor=organiser, now=now, reason="场地维修")
    assert (activity.status, signup.status) == ("cancelled", "cancelled")
    note = db.session.query(Notification).filter_by(user_id=mum.id).one()
    assert note.params["reason"] == "场地维修"
    with pytest.raises(WusheError) as excinfo:
        services.publish(activity, actor=organiser, now=now)
    assert codes(excinfo) == "activity_bad_transition"


def test_finish_only_after_start(make_activity, make_user, grant, now):
    """(Finishing what is due is the scheduler's job, with the exit grace: tests/scheduler.)"""
    activity = make_activity(starts_in=timedelta(hours=1), hours=1)
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    with pytest.raises(WusheError) as excinfo:
        services.finish(activity, actor=organiser, now=now)
    assert codes(excinfo) == "not_started"
    services.finish(activity, actor=organiser, now=now + timedelta(hours=1, minutes=1))
    assert activity.status == "finished"


def test_only_the_organisation_manages(make_activity, make_user, make_org, grant, now):
    activity = make_activity()
    outsider = make_user(name="别的组织者")
    grant(outsider, "organiser", activity.node, make_org())
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", activity.node)
    for actor in (outsider, coordinator):
        with pytest.raises(WusheError) as excinfo:
            services.cancel(activity, actor=actor, now=now, reason="x")
        assert codes(excinfo) == "forbidden"
    assert services.can_oversee(coordinator, activity)
    assert not services.can_oversee(outsider, activity)


def test_activity_place_must_be_inside_the_organisation_area(make_org, make_node, make_user,
                                                             grant, now):
    org = make_org()
    elsewhere = make_node(name="别处社区")
    organiser = make_user()
    grant(organiser, "organiser", org.node, org)
    with pytest.raises(WusheError) as excinfo:
        services.create_activity(
            actor=organiser, organisation=org, now=now, title="讲座", kind="lecture",
            place="某地", capacity=5, node_id=elsewhere.id,
            starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=1))
    assert codes(excinfo) == "place_outside_organisation"


def test_bad_schedule_refused(make_org, make_user, grant, now):
    org = make_org()
    organiser = make_user()
    grant(organiser, "organiser", org.node, org)
    with pytest.raises(WusheError) as excinfo:
        services.create_activity(
            actor=organiser, organisation=org, now=now, title="讲座", kind="lecture",
            place="某地", capacity=5, starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=-1))
    assert codes(excinfo) == "bad_schedule"


def test_refusals_name_states_in_words(make_activity, make_user, grant, now, app):
    activity = make_activity(status="cancelled")
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        with pytest.raises(WusheError) as excinfo:
            services.update_activity(activity, actor=organiser, now=now, title="新标题")
        assert codes(excinfo) == "activity_bad_transition"
        assert "cancelled" not in excinfo.value.text() and "已取消" in excinfo.value.text()


def test_sign_up_cannot_open_after_the_start(make_org, make_user, grant, now):
    org = make_org()
    organiser = make_user()
    grant(organiser, "organiser", org.node, org)
    with pytest.raises(WusheError) as excinfo:
        services.create_activity(
            actor=organiser, organisation=org, now=now, title="讲座", kind="lecture",
            place="某地", capacity=5, starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
            signup_opens_at=now + timedelta(days=1, minutes=1))
    assert codes(excinfo) == "bad_schedule"


def test_a_published_activity_cannot_move_into_the_past(make_activity, make_user, grant, now):
    activity = make_activity()
    organiser = make_user()
    grant(organiser, "organiser", activity.node, activity.organisation)
    with pytest.raises(WusheError) as excinfo:
        services.update_activity(activity, actor=organiser, now=now,
                                 starts_at=now - timedelta(days=1),
                                 ends_at=now - timedelta(days=1) + timedelta(hours=2))
    assert codes(excinfo) == "bad_schedule"


def test_a_cancelled_draft_stays_private(make_activity, make_user, grant, now):
    from server.activities.search import ActivityFilter, public_activities
    draft = make_activity(status="draft", title="内部草稿")
    organiser = make_user()
    grant(organiser, "organiser", draft.node, draft.organisation)
    services.cancel(draft, actor=organiser, now=now, reason="内部：预算未批")
    with pytest.raises(WusheError) as excinfo:
        services.get_activity(draft.id, viewer=make_user(name="路人"))
    assert codes(excinfo) == "activity_not_found"
    listed = public_activities(ActivityFilter(include_past=True), now=now).items
    assert draft not in listed
    assert services.get_activity(draft.id, viewer=organiser) is draft
