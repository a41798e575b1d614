"""What the activities domain tells people, and how: its kinds of message, their texts,
and the subscribers that turn "an activity was cancelled / changed" into messages.

Params are stored with each message and the text is rendered when it is read, so it
follows the reader's language; times are kept as ISO UTC and shown in Beijing time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from server.core import timefmt
from server.notifications.kinds import Action, declare
from server.notifications.services import notify


def facts(activity) -> dict:
    """What a message about an activity carries, frozen at the moment it is sent."""
    return {"title": activity.title, "place": activity.place,
            "starts_at": activity.starts_at.isoformat(), "ends_at": activity.ends_at.isoformat()}


def _when(p: dict) -> str:
    try:
        return timefmt.moment(datetime.fromisoformat(p["starts_at"]))
    except (KeyError, TypeError, ValueError):
        return ""


def _starts(p: dict) -> datetime:
    """When the activity begins: a reminder pushed after that is noise."""
    try:
        return datetime.fromisoformat(p["starts_at"])
    except (KeyError, TypeError, ValueError):
        return datetime.max.replace(tzinfo=UTC)


def _to_activity(note) -> str | None:
    if note.activity_id is None:
        return None
    return url_for("activities_pages.detail", activity_id=note.activity_id)


def _cant_come(note, viewer, now) -> list[Action]:
    """"I can't come" on a promotion, while the place is still theirs to give back."""
    from server.activities import signups
    signup_id = (note.params or {}).get("signup_id")
    signup = signups.get_signup(signup_id) if signup_id else None
    # the person, or their guardian (a family member's place, given back by the guardian
    # who reads their messages)
    if (signup is None or not signups.acts_for(viewer, signup)
            or not signups.can_withdraw(signup, now=now)):
        return []
    return [Action(label=_l("I can't come"),
                   url=url_for("activities_pages.withdraw", signup_id=signup.id),
                   confirm=_l("Give your place to the next person on the waitlist?"),
                   destructive=True)]


def _signup_in(*statuses: str, as_told: bool = False):
    """holds for a message about one sign-up (params' signup_id): the sign-up is still in
    `statuses` and its activity still open; as_told: at the time and place the message
    gives (a reminder of the old time is no use once the activity moved: the person was
    told of the move). A message that names no sign-up holds."""
    def holds(note) -> bool:
        from server.activities import signups
        p = note.params or {}
        signup = signups.get_signup(p["signup_id"]) if p.get("signup_id") else None
        if signup is None:
            return not p.get("signup_id")
        activity = signup.activity
        if signup.status not in statuses or activity.status != "published":
            return False
        if not as_told:
            return True
        try:
            told_start = datetime.fromisoformat(p["starts_at"])
        except (KeyError, TypeError, ValueError):
            return True
        return told_start == activity.starts_at and p.get("place") == activity.place
    return holds


def _promoted(p: dict) -> str:
    if not p.get("starts_at"):  # messages from before times were kept
        return _("Good news: a place opened up and you are now confirmed for “%(title)s”.",
                 title=p.get("title", ""))
    return _("Good news: a place opened up and you are now confirmed for “%(title)s” "
             "(%(when)s). If you cannot come, tap “I can't come” so the next person gets it.",
             title=p.get("title", ""), when=_when(p))


def _changed(p: dict) -> str:
    if not p.get("starts_at"):
        return _("The time or place of “%(title)s” has changed. Please check it.",
                 title=p.get("title", ""))
    return _("“%(title)s” has moved: it is now %(when)s at %(place)s. If you can no longer "
             "come, please withdraw so someone else can.", title=p.get("title", ""),
             when=_when(p), place=p.get("place", ""))


declare("promoted", topic="changes", link=_to_activity, actions=_cant_come, text=_promoted,
        urgent=True, holds=_signup_in("confirmed"))
declare("activity_cancelled", topic="changes", link=_to_activity, urgent=True, text=lambda p: _(
    "“%(title)s” has been cancelled: %(reason)s", title=p.get("title", ""),
    reason=p.get("reason", "")))
declare("activity_changed", topic="changes", link=_to_activity, text=_changed, urgent=True)
declare("signup_removed", topic="changes", link=_to_activity, urgent=True, text=lambda p: _(
    "The organiser removed your sign-up for “%(title)s”: %(reason)s",
    title=p.get("title", ""), reason=p.get("reason", "")))


def _lottery_won(p: dict) -> str:
    return _("The lottery for “%(title)s” has been drawn: you have a place (%(when)s, "
             "%(place)s). If you cannot come, tap “I can't come” so the next person gets it.",
             title=p.get("title", ""), when=_when(p), place=p.get("place", ""))


def _lottery_waitlisted(p: dict) -> str:
    if p.get("passed_over"):
        return _("The lottery for “%(title)s” has been drawn: you were drawn, but you hold a "
                 "place in another activity at the same time, so you are number %(position)s "
                 "on the waitlist. Give that place up and you move up when a place is free.",
                 title=p.get("title", ""), position=p.get("position", ""))
    return _("The lottery for “%(title)s” has been drawn: you are number %(position)s on the "
             "waitlist. If someone withdraws, you move up in drawn order and we tell you.",
             title=p.get("title", ""), position=p.get("position", ""))


def _signed_up_by_worker(p: dict) -> str:
    if p.get("status") == "entered":
        return _("%(worker)s entered you in the lottery for “%(title)s” (%(when)s, %(place)s). "
                 "We will tell you the result of the draw.", worker=p.get("worker", ""),
                 title=p.get("title", ""), when=_when(p), place=p.get("place", ""))
    if p.get("status") == "waitlisted":
        return _("%(worker)s put you on the waitlist for “%(title)s” (%(when)s, %(place)s). "
                 "If you cannot come, tap “I can't come”.", worker=p.get("worker", ""),
                 title=p.get("title", ""), when=_when(p), place=p.get("place", ""))
    return _("%(worker)s signed you up for “%(title)s” (%(when)s, %(place)s). If you cannot "
             "come, tap “I can't come” so the next person gets the place.",
             worker=p.get("worker", ""), title=p.get("title", ""), when=_when(p),
             place=p.get("place", ""))


declare("signed_up_by_worker", topic="changes", link=_to_activity, actions=_cant_come,
        text=_signed_up_by_worker, urgent=True, names=("worker",),
        holds=_signup_in("confirmed", "waitlisted", "entered"))
declare("lottery_won", topic="changes", link=_to_activity, actions=_cant_come,
        text=_lottery_won, urgent=True, holds=_signup_in("confirmed"))
declare("lottery_waitlisted", topic="changes", link=_to_activity, text=_lottery_waitlisted,
        urgent=True, holds=_signup_in("waitlisted"))


# A reminder's text names the day and the time, never "tomorrow" or "in two hours": it is
# read, and may be pushed (after the quiet hours), later than it was made.
def _reminder_day(p: dict) -> str:
    return _("Reminder: “%(title)s” is on %(when)s, at %(place)s. Bring My code to "
             "check in.", title=p.get("title", ""), when=_when(p), place=p.get("place", ""))


def _reminder_soon(p: dict) -> str:
    return _("Soon: “%(title)s” starts at %(when)s, at %(place)s.",
             title=p.get("title", ""), when=_when(p), place=p.get("place", ""))


declare("reminder_day", topic="reminders", link=_to_activity, stale_after=_starts,
        text=_reminder_day, holds=_signup_in("confirmed", as_told=True))
declare("reminder_soon", topic="reminders", link=_to_activity, stale_after=_starts,
        text=_reminder_soon, holds=_signup_in("confirmed", as_told=True))


def on_cancelled(*, activity, people: list[int], now: datetime) -> None:
    for user_id in people:
        notify(user_id, "activity_cancelled", now=now, activity_id=activity.id,
               reason=activity.cancel_reason or "", **facts(activity))


def on_changed(*, activity, people: list[int], now: datetime) -> None:
    for user_id in people:
        notify(user_id, "activity_changed", now=now, activity_id=activity.id, **facts(activity))
