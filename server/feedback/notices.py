"""What the feedback domain tells people: once an activity is finished, those who were
checked in are asked, once, how it was. The message leads to the form and stops being
pushed when feedback closes; a person who already answered is not asked."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from server.activities.models import Signup
from server.extensions import db
from server.feedback import services
from server.feedback.models import Feedback
from server.notifications.kinds import declare
from server.notifications.services import notify


def _to_form(note) -> str | None:
    if note.activity_id is None:
        return None
    return url_for("feedback_pages.give", activity_id=note.activity_id)


def _closes(p: dict) -> datetime:
    try:
        return datetime.fromisoformat(p["closes_at"])
    except (KeyError, TypeError, ValueError):
        return datetime.max.replace(tzinfo=UTC)


declare("feedback_request", topic="reminders", link=_to_form, stale_after=_closes,
        text=lambda p: _("Thank you for taking part in “%(title)s”. How was it? Rate it in "
                         "a minute: your feedback is anonymous.", title=p.get("title", "")))


def on_activity_finished(*, activity, now: datetime) -> None:
    """Ask everyone who was checked in (hours filed later do not prompt a message: the
    activity page and 我的活动 still ask them)."""
    closes = services.closes_at(activity)
    if closes is None or now >= closes:
        return
    answered = select(Feedback.user_id).where(Feedback.activity_id == activity.id)
    people = db.session.scalars(select(Signup.user_id).where(
        Signup.activity_id == activity.id, Signup.status == "confirmed",
        Signup.scan_seq > 0, Signup.user_id.not_in(answered))).all()
    for user_id in sorted(set(people)):
        notify(user_id, "feedback_request", now=now, activity_id=activity.id,
               key=f"feedback_request:{activity.id}", title=activity.title,
               closes_at=closes.isoformat())
