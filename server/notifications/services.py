"""Telling people things: the record in the site, pushes on the channels they chose,
and the notification centre's reading side (unread, read one, read all).

`notify` writes in the caller's unit of work; pushes leave only after it commits
(server.core.outbox), so a rolled-back sign-up never sends a stray SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from server.core import clock, labels, outbox
from server.extensions import db
from server.notifications import errors, kinds, recipients
from server.notifications.models import CHANNELS, Delivery, Notification, Preference

PAGE_SIZE = 20


def offered_channels() -> tuple[str, ...]:
    """The channels this deployment runs (NOTIFY_CHANNELS), in a fixed order."""
    wanted = set(current_app.config["NOTIFY_CHANNELS"]) | {"site"}
    return tuple(c for c in CHANNELS if c in wanted)


def channel_choices(user) -> list[dict]:
    """The channels offered, and whether this person has an address for each."""
    return [{"channel": c, "name": str(kinds.CHANNEL_NAMES[c]),
             "available": c != "email" or bool(user.email)} for c in offered_channels()]


def preferences(user_id: int) -> dict[str, set[str]]:
    """topic → the channels this person receives it on (their choices over the defaults)."""
    chosen = {(p.topic, p.channel): p.enabled for p in db.session.scalars(
        select(Preference).where(Preference.user_id == user_id))}
    result: dict[str, set[str]] = {}
    for topic in kinds.TOPICS:
        result[topic] = {c for c in offered_channels()
                         if chosen.get((topic, c), topic in kinds.DEFAULTS.get(c, ()))}
    return result


def set_preferences(user_id: int, wanted: dict[str, list[str]], *, now: datetime) -> None:
    """Replace the person's choices with `wanted` (topic → channels) for the topics given."""
    offered = offered_channels()
    unknown_topics = set(wanted) - set(kinds.TOPICS)
    unknown_channels = {c for chans in wanted.values() for c in chans} - set(offered)
    if unknown_topics or unknown_channels:
        problems = {t: ["unknown"] for t in unknown_topics}
        if unknown_channels:
            problems["channels"] = ["unknown"]
        raise errors.UnknownChoice(errors=problems)
    existing = {(p.topic, p.channel): p for p in db.session.scalars(
        select(Preference).where(Preference.user_id == user_id))}
    for topic, channels in wanted.items():
        for channel in offered:
            on = channel in channels
            row = existing.get((topic, channel))
            if row is None:
                db.session.add(Preference(user_id=user_id, topic=topic, channel=channel,
                                          enabled=on, updated_at=now))
            elif row.enabled != on:
                row.enabled, row.updated_at = on, now
    db.session.flush()


def notify(user_id: int, kind: str, *, now: datetime, activity_id: int | None = None,
           key: str | None = None, **params) -> Notification | None:
    """Tell a person something. With `key`, at most once per (person, key): a second call
    (a job run twice, two schedulers) returns None and tells nobody again.

    The one rule for family members without a phone: who reads a message is what the
    recipient lookup says (their manager, on the manager's channels), and the message
    names the member it is about (render())."""
    declared = kinds.get(kind)
    who = recipients.of(user_id)
    if who.gone:
        return None
    reader = who.reader_id or user_id
    channels = preferences(reader)[declared.topic]
    if "email" in channels and not who.email:
        channels.discard("email")
    if who.for_id is not None:
        params = {**params, "for_name": who.for_name, "for_relation": who.for_relation}
    note = Notification(user_id=reader, about_id=who.for_id, kind=kind, params=params,
                        activity_id=activity_id, created_at=now, in_site="site" in channels,
                        dedupe_key=key)
    if key is None:
        db.session.add(note)
        db.session.flush()
    else:
        try:
            with db.session.begin_nested():
                db.session.add(note)
        except IntegrityError:
            return None
    first_try = now if declared.urgent else after_quiet_hours(now)
    for channel in sorted(channels - {"site"}):
        delivery = Delivery(notification_id=note.id, channel=channel, status="pending",
                            attempts=0, next_attempt_at=first_try, created_at=now)
        db.session.add(delivery)
        db.session.flush()
        outbox.later("delivery", delivery.id)
    return note


def after_quiet_hours(now: datetime) -> datetime:
    """`now`, or the end of the quiet hours (NOTIFY_QUIET_HOURS, Beijing time) if `now`
    falls inside them: nobody's phone buzzes at night for what can wait."""
    hours = current_app.config["NOTIFY_QUIET_HOURS"]
    if not hours:
        return now
    start, end = hours
    local_now = clock.local(now)
    inside = (start <= local_now.hour or local_now.hour < end) if start > end else (
        start <= local_now.hour < end)
    if not inside:
        return now
    wake = local_now.replace(hour=end, minute=0, second=0, microsecond=0)
    if wake <= local_now:
        wake += timedelta(days=1)
    return clock.as_utc(wake)


def told_person():
    """The person a message is about: its reader, or the family member it names."""
    return func.coalesce(Notification.about_id, Notification.user_id)


def already_told(key: str) -> set[int]:
    """Everyone who already has the message of this key (one query for a whole job)."""
    return set(db.session.scalars(select(told_person()).where(
        Notification.dedupe_key == key)))


# --- the notification centre ---------------------------------------------------------------

def _mine(user_id: int):
    return select(Notification).where(Notification.user_id == user_id,
                                      Notification.in_site.is_(True))


def inbox(user_id: int, *, before_id: int | None = None, unread_only: bool = False,
          limit: int = PAGE_SIZE) -> list[Notification]:
    """Newest first, a page at a time (`before_id`: the last id of the previous page).
    By the time each was made, then by id: a message about something past (a gift
    recorded later for the day it came) is not put above today's."""
    query = _mine(user_id)
    if before_id is not None:
        last = (select(Notification.created_at)
                .where(Notification.id == before_id, Notification.user_id == user_id)
                .scalar_subquery())
        query = query.where(or_(Notification.created_at < last,
                                and_(Notification.created_at == last,
                                     Notification.id < before_id),
                                # a cursor gone meanwhile (deleted): by id, as before
                                and_(last.is_(None), Notification.id < before_id)))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.created_at.desc(),
                                                  Notification.id.desc()).limit(limit)))


def newest_id(user_id: int) -> int | None:
    """The last message to arrive (the largest id): "mark all read" marks up to it, so a
    message arriving after the list was shown stays unread, wherever it sorts."""
    return db.session.scalar(select(func.max(Notification.id)).where(
        Notification.user_id == user_id, Notification.in_site.is_(True)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.in_site.is_(True),
        Notification.read_at.is_(None))) or 0


def get_mine(user_id: int, note_id: int) -> Notification:
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != user_id or not note.in_site:
        raise errors.NotificationNotFound()
    return note


def mark_read(user_id: int, note_id: int, *, now: datetime) -> Notification:
    note = get_mine(user_id, note_id)
    if note.read_at is None:
        db.session.execute(update(Notification).where(
            Notification.id == note.id, Notification.read_at.is_(None)).values(read_at=now))
        db.session.refresh(note)
    return note


def answered(person_id: int, activity_id: int, kinds: tuple[str, ...], *,
             now: datetime) -> int:
    """Messages asking the person to act about an activity, once they have (a promotion's
    "I can't come", given from the message or anywhere else): read, so they no longer
    wait in the list and the badge. Their reader's too (a guardian's, about a member)."""
    return db.session.execute(update(Notification).where(
        Notification.activity_id == activity_id, Notification.kind.in_(kinds),
        Notification.read_at.is_(None), told_person() == person_id)
        .values(read_at=now)).rowcount


def mark_all_read(user_id: int, *, now: datetime, up_to_id: int | None = None) -> int:
    """Everything unread (up to the newest the reader saw, so a message that arrived
    meanwhile stays unread); returns how many."""
    cond = [Notification.user_id == user_id, Notification.read_at.is_(None)]
    if up_to_id is not None:
        cond.append(Notification.id <= up_to_id)
    result = db.session.execute(update(Notification).where(*cond).values(read_at=now))
    return result.rowcount or 0


@dataclass
class Item:
    """A message as the centre shows it to its reader, now."""

    note: Notification
    text: str
    link: str | None
    actions: list[kinds.Action]


def items(notes: list[Notification], viewer, *, now: datetime) -> list[Item]:
    return [Item(n, render(n), link(n), actions(n, viewer, now=now)) for n in notes]


def render(note: Notification) -> str:
    """The message in the current language; one about a family member says whom for."""
    params = note.params or {}
    text = kinds.get(note.kind).text(params)
    if not params.get("for_name"):
        return text
    return for_whom(params) + text


def for_whom(params: dict) -> str:
    relation = params.get("for_relation")
    if relation in labels.RELATION and relation != "other":
        return _("(For your %(relation)s %(name)s) ", name=params["for_name"],
                 relation=str(labels.RELATION[relation]).lower())
    return _("(For %(name)s) ", name=params["for_name"])


def link(note: Notification) -> str | None:
    return kinds.get(note.kind).link(note)


def actions(note: Notification, viewer, *, now: datetime) -> list[kinds.Action]:
    """What the reader can do from the message now (nothing once it no longer applies)."""
    return kinds.get(note.kind).actions(note, viewer, now)


def message_rows(user) -> list[dict]:
    """The messages the person was sent, as they read them (server.core.personal_data)."""
    notes = db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                               .order_by(Notification.id)).all()
    return [{"at": clock.local(n.created_at).isoformat(timespec="minutes"),
             "text": render(n), "read": n.read_at is not None} for n in notes]


def on_person_erased(*, user, erased_name: str, now: datetime, **_) -> None:
    """PERSON_ERASED: the messages they were sent, or that were about them (a guardian's
    about a family member), their pushes and their choices of channel are deleted; in
    others' messages that name them (who asked to join, who invited: Kind.names), the
    name becomes erased_name."""
    from sqlalchemy import delete, or_
    naming = {name: k.names for name, k in kinds.KINDS.items() if k.names}
    after = 0
    while naming:
        batch = db.session.scalars(select(Notification).where(
            Notification.kind.in_(naming), Notification.id > after)
            .order_by(Notification.id).limit(1000)).all()
        if not batch:
            break
        for note in batch:
            params = dict(note.params or {})
            hit = [key for key in naming[note.kind] if params.get(key) == user.name]
            if hit:
                note.params = {**params, **dict.fromkeys(hit, erased_name)}
        after = batch[-1].id
        db.session.flush()
    notes = select(Notification.id).where(or_(Notification.user_id == user.id,
                                              Notification.about_id == user.id))
    db.session.execute(delete(Delivery).where(Delivery.notification_id.in_(notes)))
    db.session.execute(delete(Notification).where(Notification.id.in_(
        select(notes.subquery().c.id))))
    db.session.execute(delete(Preference).where(Preference.user_id == user.id))
