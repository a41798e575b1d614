"""Telling people things: the record, the channels they chose, sending after commit,
retries, and the adapters against real endpoints (an HTTP gateway, an SMTP server)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from server.activities import notices as activity_notices
from server.core import outbox
from server.core.errors import Conflict
from server.extensions import db
from server.notifications import delivery, errors, services
from server.notifications.models import Delivery, Notification
from server.notifications.services import notify
from server.scheduler import jobs


def _deliveries(note) -> dict[str, Delivery]:
    return {d.channel: d for d in db.session.scalars(
        select(Delivery).where(Delivery.notification_id == note.id))}


def _promote_note(user, activity, now):
    return notify(user.id, "promoted", now=now, activity_id=activity.id, signup_id=None,
                  **activity_notices.facts(activity))


def test_a_message_is_kept_in_the_site_and_pushed_where_the_person_chose(
        app, make_user, make_activity, now, outgoing):
    person = make_user(phone="13900000001")
    activity = make_activity(title="入户走访老人")
    note = _promote_note(person, activity, now)
    # a place that opened up cannot wait: by default also by SMS and WeChat
    assert note.in_site and set(_deliveries(note)) == {"sms", "wechat"}
    assert outgoing() == []  # nothing leaves before the unit of work commits
    db.session.commit()
    assert outbox.run() == 2
    lines = outgoing()
    assert len(lines) == 2
    sms = next(line for line in lines if line.startswith("[sms]"))
    assert sms.startswith("[sms] to 139****0001: ") and "13900000001" not in sms
    assert "入户走访老人" in sms and "好消息" in sms  # in Chinese: the person's language
    assert f"/activities/{activity.id}" in sms  # the link, absolute
    assert {d.status for d in _deliveries(note).values()} == {"sent"}
    assert services.unread_count(person.id) == 1


def test_a_rolled_back_unit_of_work_sends_nothing(app, make_user, make_activity, now,
                                                  outgoing):
    person = make_user()
    activity = make_activity()

    def view():
        _promote_note(person, activity, now)
        raise Conflict()
    with app.test_request_context("/"), pytest.raises(Conflict):
        app.unit_of_work(view)
    assert outgoing() == []
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == person.id)) is None
    assert outbox.waiting() == []


def test_a_message_goes_out_in_the_reader_s_language(app, make_user, make_activity, now,
                                                     outgoing):
    person = make_user(locale="en")
    _promote_note(person, make_activity(title="Reading afternoon"), now)
    db.session.commit()
    outbox.run()
    assert any("Good news: a place opened up" in line for line in outgoing())


def test_choices_per_kind_and_channel(app, make_user, make_activity, now):
    person = make_user()
    services.set_preferences(person.id, {"changes": ["site"], "reminders": []}, now=now)
    assert services.preferences(person.id)["changes"] == {"site"}
    assert services.preferences(person.id)["reminders"] == set()
    # untouched kinds keep their defaults
    assert services.preferences(person.id)["hours"] == {"site"}
    note = _promote_note(person, make_activity(), now)
    assert note.in_site and _deliveries(note) == {}
    quiet = notify(person.id, "reminder_day", now=now, **activity_notices.facts(
        make_activity()))
    # not in the site either: kept as a record, never shown or counted
    assert not quiet.in_site
    assert [n.id for n in services.inbox(person.id)] == [note.id]
    assert services.unread_count(person.id) == 1
    with pytest.raises(errors.UnknownChoice) as refused:
        services.set_preferences(person.id, {"changes": ["fax"]}, now=now)
    assert refused.value.code == "unknown_notification_choice"
    with pytest.raises(errors.UnknownChoice):
        services.set_preferences(person.id, {"gossip": ["site"]}, now=now)


def test_e_mail_only_for_people_who_gave_an_address(app, make_user, now):
    without, with_ = make_user(), make_user(email="wang@example.org")
    for person in (without, with_):
        note = notify(person.id, "work_digest", now=now, hours=3)
        assert set(_deliveries(note)) == ({"email"} if person is with_ else set())


def test_a_key_tells_each_person_once(app, make_user, now):
    person, other = make_user(), make_user()
    assert notify(person.id, "work_digest", now=now, key="digest:2026-12-04", hours=1)
    assert notify(person.id, "work_digest", now=now, key="digest:2026-12-04", hours=1) is None
    assert notify(other.id, "work_digest", now=now, key="digest:2026-12-04", hours=1)
    assert len(db.session.scalars(select(Notification).where(
        Notification.user_id == person.id)).all()) == 1


def test_reading_one_or_all_and_the_newest_stays_unread(app, make_user, now):
    person, other = make_user(), make_user()
    first = notify(person.id, "work_digest", now=now, hours=1)
    second = notify(person.id, "work_digest", now=now, hours=2)
    services.mark_read(person.id, first.id, now=now)
    assert services.unread_count(person.id) == 1
    with pytest.raises(errors.NotificationNotFound):
        services.mark_read(other.id, second.id, now=now)
    third = notify(person.id, "work_digest", now=now, hours=3)  # arrived after the page
    assert services.mark_all_read(person.id, now=now, up_to_id=second.id) == 1
    assert [n.id for n in services.inbox(person.id, unread_only=True)] == [third.id]


def test_the_inbox_pages_newest_first(app, make_user, now):
    person = make_user()
    ids = [notify(person.id, "work_digest", now=now, hours=i).id for i in range(25)]
    first = services.inbox(person.id)
    assert [n.id for n in first] == ids[::-1][:20]
    rest = services.inbox(person.id, before_id=first[-1].id)
    assert [n.id for n in rest] == ids[::-1][20:]



def test_the_inbox_is_ordered_by_when_each_was_made_across_pages(app, make_user, now):
    """A message made for a past moment after newer ones (the demo's gift of October,
    seeded after today's messages) sits among those of its time, on every page."""
    person = make_user()
    made = [notify(person.id, "work_digest", now=now - timedelta(days=30 - i), hours=i)
            for i in range(25)]
    late = notify(person.id, "work_digest", now=now - timedelta(days=20, hours=12), hours=99)
    assert late.id > made[-1].id
    expected = [n.id for n in made[10:][::-1]] + [late.id] + [n.id for n in made[:10][::-1]]
    first = services.inbox(person.id)
    rest = services.inbox(person.id, before_id=first[-1].id)
    assert [n.id for n in first + rest] == expected
    assert late in first and first[-1].id == made[6].id
    # a page that ends on the late one goes on with the older ones
    upto = services.inbox(person.id, limit=16)
    assert upto[-1].id == late.id
    assert [n.id for n in services.inbox(person.id, before_id=late.id)] == [
        n.id for n in made[:10][::-1]]
    # a cursor that names nothing of theirs (deleted meanwhile) pages on by id
    gone = made[3].id
    db.session.delete(made[3])
    db.session.flush()
    assert [n.id for n in services.inbox(person.id, before_id=gone)] == [
        made[2].id, made[1].id, made[0].id]


# --- the webhook adapter against a real HTTP endpoint ----------------------------------

def test_a_failed_push_is_tried_again_later_and_recorded(app, make_user, now, gateway,
                                                         channels_as):
    channels_as(NOTIFY_SMS="webhook", NOTIFY_SMS_WEBHOOK_URL=gateway.url,
                NOTIFY_WEBHOOK_SECRET="s3cret", NOTIFY_WECHAT="logging")
    person = make_user(phone="13900000002")
    gateway.statuses = [503]
    note = notify(person.id, "activity_cancelled", now=now, title="义卖", reason="下雨")
    db.session.commit()
    delivery.send(_deliveries(note)["sms"].id, now=now)
    sms = _deliveries(note)["sms"]
    assert (sms.status, sms.attempts, sms.last_error) == ("pending", 1, "gateway answered 503")
    assert sms.next_attempt_at == now + timedelta(minutes=1)
    # not due yet: the job leaves it (and sends the WeChat copy); a minute later it goes
    jobs.deliveries(now + timedelta(seconds=30))
    assert len(gateway.received) == 1
    assert jobs.deliveries(now + timedelta(minutes=1)).done == 1
    db.session.refresh(sms)
    assert (sms.status, sms.attempts, sms.provider_ref) == ("sent", 2, "msg-2")
    body = gateway.received[-1]
    assert body["to"] == "13900000002" and body["channel"] == "sms"
    assert "义卖" in body["text"] and "下雨" in body["text"]
    raw = json.dumps(body, ensure_ascii=False).encode()
    expected = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert gateway.headers[-1]["X-Wushe-Signature"] == f"sha256={expected}"


def test_a_refused_push_is_not_tried_again(app, make_user, now, gateway, channels_as):
    channels_as(NOTIFY_SMS="webhook", NOTIFY_SMS_WEBHOOK_URL=gateway.url)
    gateway.statuses = [400]
    note = notify(make_user().id, "activity_cancelled", now=now, title="义卖", reason="下雨")
    db.session.commit()
    assert delivery.send(_deliveries(note)["sms"].id, now=now) == "failed"
    jobs.deliveries(now + timedelta(days=1))
    assert len(gateway.received) == 1
    assert _deliveries(note)["sms"].last_error == "gateway answered 400"


def test_a_push_is_given_up_after_the_last_attempt(app, make_user, now, gateway,
                                                   channels_as):
    channels_as(NOTIFY_SMS="webhook", NOTIFY_SMS_WEBHOOK_URL=gateway.url,
                NOTIFY_MAX_ATTEMPTS=3)
    gateway.statuses = [500] * 5
    note = notify(make_user().id, "activity_cancelled", now=now, title="义卖", reason="下雨")
    db.session.commit()
    sms_id = _deliveries(note)["sms"].id
    at = now
    for _attempt in range(5):
        delivery.send(sms_id, now=at)
        at += timedelta(hours=5)
    sms = db.session.get(Delivery, sms_id)
    assert (sms.status, sms.attempts) == ("failed", 3)
    assert len(gateway.received) == 3


def test_an_unreachable_gateway_is_a_failure_that_may_pass(app, make_user, now, channels_as):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channels_as(NOTIFY_SMS="webhook", NOTIFY_SMS_WEBHOOK_URL=f"http://127.0.0.1:{port}/x",
                NOTIFY_TIMEOUT_SECONDS=2)
    note = notify(make_user().id, "activity_cancelled", now=now, title="义卖", reason="下雨")
    db.session.commit()
    assert delivery.send(_deliveries(note)["sms"].id, now=now) == "pending"
    assert "unreachable" in _deliveries(note)["sms"].last_error


def test_a_claim_left_by_a_sender_that_died_is_taken_again(app, make_user, now, outgoing):
    note = notify(make_user().id, "activity_cancelled", now=now, title="义卖", reason="下雨")
    sms = _deliveries(note)["sms"]
    sms.status, sms.claimed_at, sms.attempts = "sending", now, 1
    db.session.commit()
    assert delivery.send(sms.id, now=now + timedelta(minutes=5)) is None  # still theirs
    assert delivery.send(sms.id, now=now + timedelta(minutes=11)) == "sent"


# --- e-mail through a real SMTP server -------------------------------------------------

@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            self.messages.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_the_daily_summary_by_e_mail(app, make_user, now, smtp_server, channels_as):
    port, inbox = smtp_server
    channels_as(NOTIFY_EMAIL="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                SMTP_FROM="五社通 <noreply@wushe.test>")
    person = make_user(email="zhao@example.org")
    note = notify(person.id, "work_digest", now=now, hours=3, pledges=2)
    db.session.commit()
    assert delivery.send(_deliveries(note)["email"].id, now=now) == "sent"
    [mail] = inbox.messages
    assert mail.rcpt_tos == ["zhao@example.org"]
    import email
    message = email.message_from_bytes(mail.original_content)
    body = message.get_payload(decode=True).decode()
    assert "3" in body and "/review/hours" in body
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    # the message's first sentence, not the name of its topic
    assert subject != "工作：待审核、截止日期与每日摘要"
    assert "3" in subject and body.strip().startswith(subject)


# --- quiet hours ---------------------------------------------------------------------------

def _beijing(day: int, hour: int, minute: int = 0):
    from datetime import datetime

    from server.core.clock import from_local
    return from_local(datetime(2026, 12, day, hour, minute))


def test_at_night_what_can_wait_waits_for_the_morning(app, make_user, make_activity, now,
                                                      channels_as, outgoing):
    channels_as(NOTIFY_QUIET_HOURS=[22, 7])
    person = make_user()
    late = _beijing(10, 23, 30)
    activity = make_activity(starts_in=_beijing(12, 9) - now)
    cancelled = notify(person.id, "activity_cancelled", now=late, title="义卖", reason="下雨")
    reminder = notify(person.id, "reminder_day", now=late, **activity_notices.facts(activity))
    # a cancellation goes at once; a reminder waits until seven
    assert _deliveries(cancelled)["sms"].next_attempt_at == late
    assert _deliveries(reminder)["wechat"].next_attempt_at == _beijing(11, 7)
    db.session.commit()
    assert jobs.deliveries(_beijing(11, 6, 59)).done == 2  # the cancellation's two pushes
    assert jobs.deliveries(_beijing(11, 7)).done == 1
    assert _deliveries(reminder)["wechat"].status == "sent"
    # in the afternoon nothing waits
    day = notify(person.id, "reminder_day", now=_beijing(11, 15), **activity_notices.facts(
        activity))
    assert _deliveries(day)["wechat"].next_attempt_at == _beijing(11, 15)


def test_a_reminder_held_past_its_moment_is_not_pushed(app, make_user, make_activity, now,
                                                       channels_as, outgoing):
    channels_as(NOTIFY_QUIET_HOURS=[22, 7])
    person = make_user()
    early = _beijing(10, 5)  # two hours before a seven o'clock start
    activity = make_activity(starts_in=_beijing(10, 7) - now)
    note = notify(person.id, "reminder_soon", now=early, **activity_notices.facts(activity))
    db.session.commit()
    assert jobs.deliveries(_beijing(10, 7)).done == 0
    wechat = _deliveries(note)["wechat"]
    assert (wechat.status, wechat.last_error) == ("skipped", "too late: its moment has passed")
    assert outgoing() == [] and note.in_site  # it is still in the site


@pytest.mark.parametrize("since", ["nothing", "withdrawn", "cancelled", "moved", "turned_off"])
def test_a_push_held_for_the_morning_goes_only_if_it_still_holds(
        app, make_user, make_activity, now, channels_as, outgoing, since):
    """Made at six, held until seven by the quiet hours: by then she may have given her
    place back, the activity may be cancelled or moved (she was told so at once), or she
    may have turned the channel off. Then the push is not sent; the message stays in the
    site."""
    from server.activities import signups
    channels_as(NOTIFY_QUIET_HOURS=[22, 7])
    person = make_user()
    activity = make_activity(starts_in=_beijing(12, 8) - now, hours=2)
    signup = signups.sign_up(activity.id, user=person, now=now)
    note = notify(person.id, "reminder_soon", now=_beijing(12, 6), signup_id=signup.id,
                  **activity_notices.facts(activity))
    if since == "withdrawn":
        signup.status = "withdrawn"
    elif since == "cancelled":
        activity.status = "cancelled"
    elif since == "moved":
        activity.starts_at += timedelta(hours=2)
        activity.ends_at += timedelta(hours=2)
    elif since == "turned_off":
        services.set_preferences(person.id, {"reminders": ["site"]}, now=_beijing(12, 6, 10))
    db.session.commit()
    jobs.deliveries(_beijing(12, 7))
    wechat = _deliveries(note)["wechat"]
    if since == "nothing":
        assert wechat.status == "sent" and len(outgoing()) == 1
        assert "12月12日 周六 08:00" in outgoing()[0]  # the day and the time, not "tomorrow"
        return
    assert wechat.status == "skipped" and outgoing() == []
    assert wechat.last_error == (
        "the person has turned this channel off since" if since == "turned_off"
        else "no longer so: the sign-up or the activity has changed since")
    assert note.in_site


@pytest.mark.sqlite
def test_an_inbox_page_is_read_in_the_index_s_order_not_sorted(app, make_user, now):
    person = make_user()
    for i in range(3):
        notify(person.id, "work_digest", now=now, hours=i)
    db.session.flush()
    query = services._mine(person.id).order_by(Notification.created_at.desc(),
                                               Notification.id.desc()).limit(20)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = " | ".join(str(row[-1]) for row in db.session.execute(
        text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_notifications_inbox_time" in plan and "TEMP B-TREE" not in plan, plan
