"""The scheduler's `deliveries` job over many messages: a slow provider, a message that
cannot be prepared, and retries that fall in the night (found by testing from outside:
53 SMS sent twice, a run stopped at one bad row for ever, a reminder pushed at 23:30)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from server.activities import notices as activity_notices
from server.core import clock
from server.core.clock import from_local
from server.extensions import db
from server.notifications import delivery
from server.notifications.models import Delivery
from server.notifications.services import notify
from server.scheduler import jobs

SENT: list[tuple[str, str]] = []  # (channel, to)


class Slow:
    """A provider that takes its time over each message (a gateway under load: the tests
    that need its slowness move the clock instead of waiting)."""

    def __init__(self, config, channel):
        self.channel = channel

    def send(self, message):
        SENT.append((message.channel, message.to))
        return f"slow-{len(SENT)}"


class Down:
    """A provider that cannot be reached: every try fails, and may pass later."""

    def __init__(self, config, channel):
        self.channel = channel

    def send(self, message):
        from server.notifications.channels import SendFailed
        raise SendFailed("gateway unreachable")


def _of(note, channel: str = "sms") -> Delivery:
    return db.session.scalar(select(Delivery).where(Delivery.notification_id == note.id,
                                                    Delivery.channel == channel))


def _all() -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


@pytest.fixture
def slow(channels_as):
    SENT.clear()
    channels_as(NOTIFY_SMS=f"{__name__}:Slow", NOTIFY_WECHAT=f"{__name__}:Slow")


def test_a_slow_run_stamps_each_claim_when_made_and_stops_before_they_could_go_stale(
        app, make_user, now, slow, monkeypatch):
    phones = [f"1390000{n:04d}" for n in range(8)]
    for phone in phones:  # SMS and WeChat each: 16 pushes
        notify(make_user(phone=phone).id, "activity_cancelled", now=now, title="义卖",
               reason="下雨")
    db.session.commit()
    ticks = iter(now + timedelta(minutes=2 * n) for n in range(1000))
    monkeypatch.setattr(clock, "now", lambda: next(ticks))  # each push: two minutes
    first = jobs.deliveries(now)
    # sent at 2 and 4 minutes; at 6 the run had gone past half the stale-claim time
    assert first.done == len(SENT) == 2
    sent = sorted((d for d in _all() if d.status == "sent"), key=lambda d: d.claimed_at)
    assert [d.claimed_at - now for d in sent] == [timedelta(minutes=2), timedelta(minutes=4)]
    assert all(d.attempts == 1 for d in sent)
    waiting = [d for d in _all() if d.status == "pending"]
    assert len(waiting) == 14 and all(d.attempts == 0 for d in waiting)
    # the next runs send the rest, and nothing twice
    for _ in range(16):
        if len(SENT) == 16:
            break
        jobs.deliveries(now + timedelta(minutes=1))
    assert sorted(SENT) == sorted([("sms", p) for p in phones] + [("wechat", p) for p in phones])
    assert {d.status for d in _all()} == {"sent"}


def test_a_message_that_cannot_be_prepared_does_not_stop_the_others(
        app, make_user, now, slow, channels_as):
    channels_as(NOTIFY_MAX_ATTEMPTS=3)
    bad = notify(make_user(phone="13900000101").id, "activity_cancelled", now=now,
                 title="义卖", reason="下雨")
    bad.kind = "renamed_since"  # a kind an older release had (or a hand-made fix)
    good = notify(make_user(phone="13900000102").id, "activity_cancelled", now=now,
                  title="义卖", reason="下雨")
    db.session.commit()
    run = jobs.deliveries(now)
    assert run.done == 2 and sorted(SENT) == [("sms", "13900000102"), ("wechat", "13900000102")]
    poisoned = [_of(bad, "sms"), _of(bad, "wechat")]
    assert {(d.status, d.attempts) for d in poisoned} == {("pending", 1)}
    assert {d.last_error for d in poisoned} == {
        "KeyError: \"notification kind 'renamed_since' is not declared\""}
    assert run.failures == [{"subject": f"delivery {d.id}", "error": f"pending: {d.last_error}"}
                            for d in poisoned]
    assert {_of(good, "sms").status, _of(good, "wechat").status} == {"sent"}
    at = now
    for _ in range(5):
        at += timedelta(hours=5)
        jobs.deliveries(at)
    for d in poisoned:
        db.session.refresh(d)
    assert {(d.status, d.attempts) for d in poisoned} == {("failed", 3)}
    assert jobs.deliveries(at + timedelta(days=1)).failures == []  # given up: left alone


def test_a_claim_taken_again_and_again_is_given_up(app, make_user, now, slow, channels_as):
    channels_as(NOTIFY_MAX_ATTEMPTS=2)
    note = notify(make_user(phone="13900000103").id, "activity_cancelled", now=now,
                  title="义卖", reason="下雨")
    sms = _of(note)
    sms.status, sms.claimed_at, sms.attempts = "sending", now, 2  # two senders died on it
    db.session.commit()
    assert delivery.send(sms.id, now=now + timedelta(minutes=11)) == "failed"
    assert _of(note).last_error == "the sender stopped during every try"
    assert ("sms", "13900000103") not in SENT


def test_what_the_provider_said_is_recorded_again_rather_than_sent_again(
        app, make_user, now, slow, monkeypatch):
    """Recording "sent" failed once after the provider had taken the message (a database
    hiccup): the record is written again, and the message is not tried a second time."""
    note = notify(make_user(phone="13900000106").id, "activity_cancelled", now=now,
                  title="义卖", reason="下雨")
    db.session.commit()
    real, calls = delivery._record, []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return real(*args, **kwargs)
    monkeypatch.setattr(delivery, "_record", flaky)
    assert delivery.send(_of(note).id, now=now) == "sent"
    sms = _of(note)
    assert (sms.status, sms.attempts, sms.last_error) == ("sent", 1, None)
    assert sms.provider_ref == "slow-1" and len(calls) == 2
    jobs.deliveries(now + timedelta(minutes=30))  # the WeChat copy; the SMS not again
    assert sorted(SENT) == [("sms", "13900000106"), ("wechat", "13900000106")]
    assert _of(note, "wechat").status == "sent"


def _beijing(day: int, hour: int, minute: int = 0) -> datetime:
    return from_local(datetime(2026, 12, day, hour, minute))


def test_retries_of_what_can_wait_wait_for_the_morning_too(
        app, make_user, make_activity, now, channels_as):
    channels_as(NOTIFY_QUIET_HOURS=[22, 7], NOTIFY_WECHAT=f"{__name__}:Down",
                NOTIFY_SMS=f"{__name__}:Slow")
    SENT.clear()
    activity = make_activity(starts_in=_beijing(12, 9) - now)
    made = _beijing(10, 21, 58)
    note = notify(make_user(phone="13900000104").id, "reminder_day", now=made,
                  **activity_notices.facts(activity))
    db.session.commit()
    wechat = _of(note, "wechat")  # a reminder goes by WeChat
    assert delivery.send(wechat.id, now=made) == "pending"  # the gateway is down
    assert _of(note, "wechat").next_attempt_at == made + timedelta(minutes=1)
    channels_as(NOTIFY_WECHAT=f"{__name__}:Slow")  # back up, at half past ten at night
    assert delivery.send(wechat.id, now=_beijing(10, 22, 30)) == delivery.DEFERRED
    wechat = _of(note, "wechat")
    assert (wechat.status, wechat.attempts, wechat.next_attempt_at) == (
        "pending", 1, _beijing(11, 7))
    assert jobs.deliveries(_beijing(11, 6, 59)).done == 0 and SENT == []
    assert jobs.deliveries(_beijing(11, 7)).done == 1 and SENT == [("wechat", "13900000104")]
    # what is urgent still goes at night
    cancelled = notify(make_user(phone="13900000105").id, "activity_cancelled",
                       now=_beijing(11, 23), title="义卖", reason="下雨")
    db.session.commit()
    assert delivery.send(_of(cancelled).id, now=_beijing(11, 23)) == "sent"
