"""Feedback rules: who may rate an activity, when, and how often.

- Who: someone who took part: a confirmed place with at least one successful scan (they
  were checked in), or hours recorded for the activity that were not rejected (补录,
  an import, a paper sheet). Signing up alone is not taking part.
- When: from the activity's end (or its being marked finished) for FEEDBACK_OPEN_DAYS
  days. A cancelled or never-published activity has nothing to rate.
- How often: once per person and activity (a unique constraint). The person may change
  their rating and comment for FEEDBACK_EDIT_DAYS days after first giving it, and never
  after the feedback period closes; then it stands, so the figures staff read do not
  shift under them. Sending the same form twice changes nothing twice.
- Privacy: feedback is anonymous to everyone but its author. Volunteers see nothing of
  others' feedback; the organiser and the coordinators above the place see the
  average, the count, the distribution and the comments, with the day each was given
  but never who gave it (a candid comment is worth more than a name, and the
  organiser does not need the name to act on it). The database keeps the author only to
  hold one feedback per person and to let the person change or see their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from server.accounts import permissions
from server.accounts.models import User
from server.activities.models import Activity, Programme, Signup
from server.activities.services import can_oversee
from server.core.boundary import check_text
from server.core.errors import Forbidden, ValidationError
from server.extensions import db
from server.feedback import errors
from server.feedback.models import COMMENT_MAX, RATINGS, Feedback
from server.hours.models import HourEntry, HourReview

# the latest comments a summary lists; the figures count every feedback
COMMENTS_SHOWN = 200


def open_days() -> int:
    return int(current_app.config["FEEDBACK_OPEN_DAYS"])


def edit_days() -> int:
    return int(current_app.config["FEEDBACK_EDIT_DAYS"])


# --- who and when --------------------------------------------------------------------------

def ended_at(activity: Activity) -> datetime | None:
    """When the activity ended, for feedback: its end time, or when it was marked
    finished if that came first. None while it has not ended, or if it never took place."""
    if activity.status == "finished":
        return min(activity.ends_at, activity.finished_at or activity.ends_at)
    if activity.status == "published":
        return activity.ends_at
    return None


def closes_at(activity: Activity) -> datetime | None:
    end = ended_at(activity)
    return None if end is None else end + timedelta(days=open_days())


def _took_part_clause(user_id, activity_id):
    """SQL: the person took part in the activity (checked in, or hours not rejected)."""
    checked_in = exists().where(
        Signup.activity_id == activity_id, Signup.user_id == user_id,
        Signup.status == "confirmed", Signup.scan_seq > 0)
    hours = exists().where(
        HourEntry.activity_id == activity_id, HourEntry.user_id == user_id,
        HourEntry.kind != "reversal", HourEntry.minutes > 0,
        ~exists().where(HourReview.entry_id == HourEntry.id,
                        HourReview.decision.in_(("rejected", "superseded"))))
    return or_(checked_in, hours)


def took_part(activity: Activity, user: User | None) -> bool:
    if user is None:
        return False
    return bool(db.session.scalar(select(_took_part_clause(user.id, activity.id))))


def mine(activity: Activity, user: User | None) -> Feedback | None:
    if user is None:
        return None
    return db.session.scalar(select(Feedback).where(
        Feedback.activity_id == activity.id, Feedback.user_id == user.id))


def editable_until(feedback: Feedback, activity: Activity) -> datetime:
    until = feedback.created_at + timedelta(days=edit_days())
    closes = closes_at(activity)
    return min(until, closes) if closes is not None else until


@dataclass
class State:
    """What the activity page shows one person about feedback."""

    # not_ended | not_open | not_attended | open | given | closed | anonymous
    status: str
    feedback: Feedback | None = None
    editable_until: datetime | None = None
    closes_at: datetime | None = None

    @property
    def can_give(self) -> bool:
        return self.status == "open" or (self.status == "given"
                                         and self.editable_until is not None)


def state(activity: Activity, user: User | None, *, now: datetime) -> State:
    end = ended_at(activity)
    if activity.status in ("draft", "cancelled") or (end is None):
        return State("not_open")
    if now < end:
        return State("not_ended")
    if user is None:
        return State("anonymous")
    given = mine(activity, user)
    closes = end + timedelta(days=open_days())
    if given is not None:
        until = editable_until(given, activity)
        return State("given", given, until if now < until else None, closes)
    if not took_part(activity, user):
        return State("not_attended")
    if now >= closes:
        return State("closed", closes_at=closes)
    return State("open", closes_at=closes)


def _check_can_rate(activity: Activity, user: User, *, now: datetime) -> datetime:
    """Raises the first rule that says no; returns when feedback closes."""
    end = ended_at(activity)
    if activity.status in ("draft", "cancelled") or end is None:
        raise errors.FeedbackNotOpen()
    if now < end:
        raise errors.FeedbackNotYet()
    if not took_part(activity, user):
        raise errors.FeedbackNotAttended()
    closes = end + timedelta(days=open_days())
    if now >= closes:
        raise errors.FeedbackClosed()
    return closes


def _clean(rating, comment: str | None) -> tuple[int, str]:
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        raise ValidationError(errors={"rating": ["range"]})
    text = (comment or "").replace("\r\n", "\n").strip()
    check_text(text, "comment")
    if len(text) > COMMENT_MAX:
        raise ValidationError(errors={"comment": ["length"]})
    return rating, text


# --- giving and changing -------------------------------------------------------------------

def give(activity: Activity, *, user: User, rating: int, comment: str | None,
         now: datetime) -> Feedback:
    """Rate an activity, or change one's rating while the edit period lasts.

    Two submits at once (a double tap, two tabs): the unique constraint lets one insert
    through; the other finds that row and applies its values to it, so there is one
    feedback either way.
    """
    rating, text = _clean(rating, comment)
    _check_can_rate(activity, user, now=now)
    existing = db.session.scalar(select(Feedback).where(
        Feedback.activity_id == activity.id, Feedback.user_id == user.id)
        .with_for_update().execution_options(populate_existing=True))
    if existing is None:
        try:
            with db.session.begin_nested():
                row = Feedback(activity_id=activity.id, user_id=user.id, rating=rating,
                               comment=text, created_at=now, updated_at=now)
                db.session.add(row)
                db.session.flush()
            return row
        except IntegrityError:
            existing = db.session.scalar(select(Feedback).where(
                Feedback.activity_id == activity.id, Feedback.user_id == user.id)
                .with_for_update().execution_options(populate_existing=True))
            if existing is None:
                raise
    if (existing.rating, existing.comment) == (rating, text):
        return existing  # the same form again: nothing changes, not even the edit period
    if now >= editable_until(existing, activity):
        raise errors.FeedbackLocked(days=edit_days())
    existing.rating, existing.comment = rating, text
    existing.updated_at = max(now, existing.created_at)
    db.session.flush()
    return existing


# --- what staff read -----------------------------------------------------------------------

@dataclass
class Comment:
    rating: int
    comment: str
    given_on: datetime
    activity_id: int
    activity_title: str


@dataclass
class Summary:
    count: int = 0
    average: Decimal | None = None
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))
    comments: list[Comment] = field(default_factory=list)
    # how many of the activities had feedback (programme summaries)
    activities: int = 0

    @property
    def largest(self) -> int:
        return max(self.distribution.values()) if self.distribution else 0


def can_read_activity(user: User | None, activity: Activity) -> bool:
    """The organiser (and admins) and the coordinators above the place."""
    return user is not None and can_oversee(user, activity)


def can_read_programme(user: User | None, programme: Programme) -> bool:
    if user is None:
        return False
    organisation = programme.organisation
    return (organisation.id in permissions.organiser_org_ids(user)
            or permissions.is_admin_for(user, organisation.node)
            or permissions.oversees(user, organisation.node))


def _summarise(where) -> Summary:
    summary = Summary()
    rows = db.session.execute(select(Feedback.rating, func.count()).where(where)
                              .group_by(Feedback.rating)).all()
    for rating, n in rows:
        summary.distribution[int(rating)] = n
    summary.count = sum(summary.distribution.values())
    if summary.count:
        total = sum(r * n for r, n in summary.distribution.items())
        summary.average = (Decimal(total) / summary.count).quantize(Decimal("0.1"))
    summary.activities = db.session.scalar(
        select(func.count(func.distinct(Feedback.activity_id))).where(where)) or 0
    # newest first; the author is not selected at all
    for rating, comment, created, activity_id, title in db.session.execute(
            select(Feedback.rating, Feedback.comment, Feedback.created_at, Activity.id,
                   Activity.title)
            .join(Activity, Activity.id == Feedback.activity_id)
            .where(where, Feedback.comment != "")
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
            .limit(COMMENTS_SHOWN)):
        summary.comments.append(Comment(rating, comment, created, activity_id, title))
    return summary


def activity_summary(activity: Activity, *, viewer: User | None) -> Summary:
    if not can_read_activity(viewer, activity):
        raise Forbidden()
    return _summarise(Feedback.activity_id == activity.id)


def programme_summary(programme: Programme, *, viewer: User | None) -> Summary:
    """Over every activity of the programme."""
    if not can_read_programme(viewer, programme):
        raise Forbidden()
    return _summarise(Feedback.activity_id.in_(
        select(Activity.id).where(Activity.programme_id == programme.id)))


# --- what is waiting for the person --------------------------------------------------------

def awaiting(user: User | None, *, now: datetime) -> list[Activity]:
    """Activities the person took part in that ended, whose feedback is open and not
    given yet, latest first."""
    if user is None:
        return []
    earliest = now - timedelta(days=open_days())
    query = (select(Activity).where(
        or_(and_(Activity.status == "finished", Activity.finished_at <= now,
                 Activity.finished_at > earliest),
            and_(Activity.status.in_(("published", "finished")), Activity.ends_at <= now,
                 Activity.ends_at > earliest)),
        _took_part_clause(user.id, Activity.id),
        ~exists().where(Feedback.activity_id == Activity.id, Feedback.user_id == user.id))
        .order_by(Activity.ends_at.desc(), Activity.id.desc()).limit(50))
    return [a for a in db.session.scalars(query)
            if (closes_at(a) or now) > now and (ended_at(a) or now) <= now]


def feedback_rows(user: User) -> list[dict]:
    """The person's own feedback (server.core.personal_data)."""
    from server.core.personal_data import when
    rows = db.session.execute(
        select(Feedback, Activity.title).join(Activity, Feedback.activity_id == Activity.id)
        .where(Feedback.user_id == user.id).order_by(Feedback.id)).all()
    return [{"activity": title, "rating": f.rating, "comment": f.comment,
             "given_at": when(f.created_at), "changed_at": when(f.updated_at)}
            for f, title in rows]


def on_person_erased(*, user: User, now: datetime, **_) -> None:
    """PERSON_ERASED: their comments go; the ratings stay in the averages, named by no one."""
    from sqlalchemy import update
    db.session.execute(update(Feedback).where(Feedback.user_id == user.id, Feedback.comment != "")
                       .values(comment="", updated_at=now))
