"""In-app notifications. Rows are written in the same unit of work as their cause,
so a rolled-back sign-up never leaves a stray message."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from server.extensions import db
from server.notifications.models import Notification


def notify(user_id: int, kind: str, *, now: datetime, activity_id: int | None = None,
           **params) -> Notification:
    note = Notification(user_id=user_id, kind=kind, params=params, activity_id=activity_id,
                        created_at=now)
    db.session.add(note)
    return note


def inbox(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_all_read(user_id: int, *, now: datetime) -> None:
    db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))


def render(note: Notification) -> str:
    """The message in the reader's language."""
    p = note.params or {}
    texts = {
        "promoted": _("Good news: a place opened up and you are now confirmed for "
                      "“%(title)s”.", title=p.get("title", "")),
        "activity_cancelled": _("“%(title)s” has been cancelled: %(reason)s",
                                title=p.get("title", ""), reason=p.get("reason", "")),
        "activity_changed": _("The time or place of “%(title)s” has changed. Please check it.",
                              title=p.get("title", "")),
        "signup_removed": _("The organiser removed your sign-up for “%(title)s”: %(reason)s",
                            title=p.get("title", ""), reason=p.get("reason", "")),
    }
    texts.update(_donation_texts(note.kind, p))
    return texts.get(note.kind, note.kind)


def _donation_texts(kind: str, p: dict) -> dict:
    from server.core.labels import label
    from server.donations.vocab import PLEDGE_STATE, UNIT
    if kind == "gift_received":
        what = p.get("amount") or "、".join(
            f"{item} {qty}{label(UNIT, unit)}" for item, qty, unit in p.get("goods", []))
        return {kind: _("Thank you: %(what)s of your gift to “%(title)s” (reference "
                        "%(reference)s) has been received.", what=what,
                        title=p.get("title", ""), reference=p.get("reference", ""))}
    if kind == "pledge_closed":
        return {kind: _("Your pledge %(reference)s to “%(title)s” is now %(state)s: %(reason)s",
                        reference=p.get("reference", ""), title=p.get("title", ""),
                        state=label(PLEDGE_STATE, p.get("state", "")),
                        reason=p.get("reason", ""))}
    return {}
