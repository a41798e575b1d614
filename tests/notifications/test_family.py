"""Messages about a family member without a phone (accounts.family) reach the person who
manages them, on their channels, naming the member; the member's own inbox stays empty."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from server.accounts import family
from server.activities import signups
from server.core import outbox
from server.extensions import db
from server.notifications import services
from server.notifications.models import Notification
from server.scheduler import jobs
from tests.pages import login, text


@pytest.fixture
def household(make_user, now):
    guardian = make_user(name="李红", phone="13911113333")
    child = family.add_member(guardian, name="李乐乐", relation="child",
                              birth_date=date(now.year - 9, 3, 1), now=now, consent=True)
    return guardian, child


def _notes(**where) -> list[Notification]:
    return list(db.session.scalars(select(Notification).filter_by(**where)
                                   .order_by(Notification.id)))


def test_a_promotion_from_the_waitlist_reaches_the_guardian_naming_the_member(
        app, household, make_user, make_activity, now, outgoing):
    guardian, child = household
    activity = make_activity(capacity=1, title="少儿书法课")
    other = make_user(name="占位人")
    first = signups.sign_up(activity.id, user=other, now=now)
    waiting = signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    assert waiting.status == "waitlisted"
    signups.withdraw(first, actor=other, now=now)
    [note] = _notes(kind="promoted")
    assert (note.user_id, note.about_id) == (guardian.id, child.id)
    # the member has no inbox nobody reads; the guardian's counts it
    assert services.unread_count(child.id) == 0 and services.unread_count(guardian.id) == 1
    assert services.render(note).startswith("（为您的子女李乐乐）好消息")
    # the guardian (who signed the child up) can give the place back from the message
    with app.test_request_context("/"):
        [action] = services.actions(note, guardian, now=now)
        assert f"/signups/{waiting.id}/withdraw" in action.url
        assert services.actions(note, other, now=now) == []
    db.session.commit()
    outbox.run()
    sms = next(line for line in outgoing() if line.startswith("[sms]"))
    assert sms.startswith("[sms] to 139****3333: （为您的子女李乐乐）") and "少儿书法课" in sms


def test_the_guardian_reads_it_in_the_centre(client, household, make_activity, now):
    guardian, child = household
    activity = make_activity(title="少儿书法课")
    services.notify(child.id, "activity_cancelled", now=now, activity_id=activity.id,
                    title=activity.title, reason="场地维修")
    login(client, guardian)
    page = text(client.get("/me/notifications"))
    assert "（为您的子女李乐乐）" in page and "场地维修" in page


def test_an_adult_member_of_other_family_is_named_without_a_relation(
        household, make_activity, now):
    guardian, _child = household
    aunt = family.add_member(guardian, name="李阿姨", relation="other",
                             birth_date=date(1950, 1, 1), now=now, consent=True)
    note = services.notify(aunt.id, "activity_cancelled", now=now, title="讲座", reason="下雨")
    assert note.user_id == guardian.id
    assert services.render(note).startswith("（为李阿姨）")


def test_reminders_for_a_member_go_to_the_guardian_once_beside_their_own(
        app, household, make_activity, now):
    guardian, child = household
    activity = make_activity(starts_in=timedelta(hours=30), capacity=5, title="社区图书漂流")
    signups.sign_up(activity.id, user=guardian, now=now)
    signups.sign_up(activity.id, user=child, now=now, acted_by=guardian)
    start = activity.starts_at
    # the guardian's own reminder and the child's share a key: both are told, once each
    assert jobs.reminders(start - timedelta(hours=23)).done == 2
    notes = _notes(kind="reminder_day")
    assert [(n.user_id, n.about_id) for n in notes] == [(guardian.id, None),
                                                         (guardian.id, child.id)]
    assert services.render(notes[1]).startswith("（为您的子女李乐乐）提醒")
    assert jobs.reminders(start - timedelta(hours=22)).done == 0
    assert services.already_told(notes[0].dedupe_key) == {guardian.id, child.id}
    assert _notes(user_id=child.id) == [] and services.unread_count(child.id) == 0


def test_the_guardians_choices_decide_the_channels(app, household, make_activity, now):
    guardian, child = household
    services.set_preferences(guardian.id, {"changes": ["site"]}, now=now)
    note = services.notify(child.id, "activity_cancelled", now=now, title="讲座", reason="下雨")
    assert note.user_id == guardian.id and note.deliveries == []
