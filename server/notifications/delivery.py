"""Sending what notify() queued: claim one delivery, send it, record what happened.

A delivery is claimed by one conditional UPDATE (pending and due, or a claim gone stale),
so a web process sending right after its commit and the scheduler's retry job never both
send it. What the provider said is recorded on the row; a failure that may pass (a
timeout, a 5xx) is tried again later, with growing pauses, up to NOTIFY_MAX_ATTEMPTS.
A sender that died after claiming leaves a stale claim, which is tried again: a push may,
rarely, arrive twice; it is never silently lost.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, or_, select, update

from server.core import clock, outbox
from server.extensions import db
from server.notifications import channels, kinds, recipients, services
from server.notifications.models import Delivery

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=10)
# a run of the scheduler's job stops taking claims well before another sender would take
# them for abandoned, however slow the provider: its claims never look stale while it runs
RUN_BUDGET = STALE_CLAIM / 2
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
DEFERRED = "deferred"  # what send() returns for a push put back to the end of the night


def _due(now: datetime):
    return or_(and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
               and_(Delivery.status == "sending", Delivery.claimed_at < now - STALE_CLAIM))


def _claim(delivery_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, _due(now))
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1))
    db.session.commit()
    return claimed.rowcount == 1


def link_of(note) -> str | None:
    """Where the message leads, as an absolute address on SITE_URL. Kinds build their
    links with url_for, which outside a request (a scheduler job) needs one: a request
    to the site's own address stands in, so a site served under a path prefix keeps it."""
    site = current_app.config["SITE_URL"].rstrip("/")
    with current_app.test_request_context("/", base_url=site):
        path = services.link(note)
    if not path:
        return None
    parts = urlsplit(site)
    return f"{parts.scheme}://{parts.netloc}{path}"


def _message(delivery: Delivery, who: recipients.Recipient) -> channels.Outgoing | None:
    note = delivery.notification
    address = who.email if delivery.channel == "email" else who.phone
    if not address:
        return None
    locale = who.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        text = services.render(note)
        return channels.Outgoing(
            channel=delivery.channel, to=address, text=text, kind=note.kind,
            params=dict(note.params or {}), link=link_of(note), subject=subject_of(text))


SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)\s")


def subject_of(text: str, limit: int = 60) -> str:
    """An e-mail's subject: the message's first sentence ("您有 3 条服务时长等待审核。"),
    not the name of its topic; cut with an ellipsis past `limit` characters."""
    first = SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip() or text.strip()
    return first if len(first) <= limit else first[:limit - 1] + "…"


def _no_longer(delivery: Delivery, now: datetime) -> str | None:
    """Why a push waiting since it was queued (the quiet hours, a retry) is not sent now,
    if it is not: the message stays in the site either way."""
    note = delivery.notification
    kind = kinds.get(note.kind)
    if kind.stale_after is not None and now >= kind.stale_after(note.params or {}):
        return "too late: its moment has passed"
    if delivery.channel not in services.preferences(note.user_id)[kind.topic]:
        return "the person has turned this channel off since"
    if kind.holds is not None and not kind.holds(note):
        return "no longer so: the sign-up or the activity has changed since"
    return None


def _prepare(delivery: Delivery, now: datetime) -> tuple[str, object]:
    """What to do with a claimed delivery: (DEFERRED, until when), ("skipped", why) or
    ("send", the message)."""
    if not kinds.get(delivery.notification.kind).urgent:
        wake = services.after_quiet_hours(now)
        if wake > now:
            return DEFERRED, wake
    skip = _no_longer(delivery, now)
    if skip:
        return "skipped", skip
    message = _message(delivery, recipients.of(delivery.notification.user_id))
    if message is None:
        return "skipped", "no address for this channel"
    return "send", message


def send(delivery_id: int, *, now: datetime) -> str | None:
    """Send one delivery if it is due and nobody else has it; returns its new status
    (DEFERRED: a push that can wait, due at night, put back to the quiet hours' end)."""
    if not _claim(delivery_id, now):
        return None
    delivery = db.session.get(Delivery, delivery_id)
    if delivery.attempts > current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        # claimed again and again by senders that stopped before recording anything
        delivery.status = "failed"
        delivery.last_error = delivery.last_error or "the sender stopped during every try"
        db.session.commit()
        return delivery.status
    try:
        what, detail = _prepare(delivery, now)
    except Exception as exc:  # noqa: BLE001 - recorded on the row; tried again later
        # a message that cannot even be prepared (stored details that no longer render, a
        # kind since renamed): a failed try with its reason, up to NOTIFY_MAX_ATTEMPTS, not
        # the end of every run that meets it. Nothing was sent.
        db.session.rollback()
        outbox.discard()
        log.exception("delivery %s could not be prepared", delivery_id)
        delivery = db.session.get(Delivery, delivery_id)
        _failed(delivery, f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}",
                permanent=False, now=now)
        db.session.commit()
        return delivery.status
    if what == DEFERRED:  # a retry, or a catch-up after an outage, falling in the night
        delivery.status, delivery.next_attempt_at = "pending", detail
        delivery.attempts -= 1
        db.session.commit()
        return DEFERRED
    if what == "skipped":
        delivery.status, delivery.last_error = "skipped", detail
        db.session.commit()
        return delivery.status
    message = detail
    channel = delivery.channel
    # no transaction is open while the provider is asked: a slow provider holds no lock
    # (on SQLite every transaction holds the one write lock)
    db.session.commit()
    outcome: tuple[str, str | None, bool] | None = None
    try:
        reference = channels.get(channel).send(message)
    except channels.SendFailed as exc:
        outcome = ("failed", str(exc), exc.permanent)
    except Exception as exc:  # noqa: BLE001 - an adapter's bug must not lose the message
        log.exception("channel %s failed on delivery %s", channel, delivery_id)
        outcome = ("failed", f"{type(exc).__name__}: {exc}", False)
    try:
        return _record(delivery_id, outcome, reference if outcome is None else None, now)
    except Exception:  # noqa: BLE001 - once more, in a fresh transaction
        # the provider has answered: what it said is written again rather than the message
        # tried again (a second failure leaves the claim to go stale, as a sender that died)
        db.session.rollback()
        log.warning("delivery %s: recording what the provider said failed; again",
                    delivery_id, exc_info=True)
        return _record(delivery_id, outcome, reference if outcome is None else None, now)


def _record(delivery_id: int, outcome: tuple[str, str | None, bool] | None,
            reference: str | None, now: datetime) -> str:
    delivery = db.session.get(Delivery, delivery_id)
    if outcome is None:
        delivery.status, delivery.sent_at = "sent", now
        delivery.provider_ref, delivery.last_error = reference, None
    else:
        _failed(delivery, outcome[1], permanent=outcome[2], now=now)
    db.session.commit()
    return delivery.status


def _failed(delivery: Delivery, reason: str, *, permanent: bool, now: datetime) -> None:
    delivery.last_error = reason[:1000]
    if permanent or delivery.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        delivery.status = "failed"
        return
    pause = BACKOFF_MINUTES[min(delivery.attempts, len(BACKOFF_MINUTES)) - 1]
    delivery.status, delivery.next_attempt_at = "pending", now + timedelta(minutes=pause)


@outbox.handler("delivery", after_response=True)
def send_after_commit(delivery_id: int) -> None:
    send(delivery_id, now=clock.now())


def last_error_of(delivery_id: int) -> str | None:
    return db.session.scalar(select(Delivery.last_error).where(Delivery.id == delivery_id))


def due_ids(*, now: datetime, limit: int = 500) -> list[int]:
    return list(db.session.scalars(select(Delivery.id).where(_due(now))
                                   .order_by(Delivery.next_attempt_at, Delivery.id)
                                   .limit(limit)))
