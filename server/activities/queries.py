"""Read-side queries: "my activities" and the roster (the public list: search.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.activities.models import LIVE_SIGNUP, Activity, Signup
from server.extensions import db


@dataclass
class MyActivities:
    upcoming: list[Signup]
    waitlisted: list[tuple[Signup, int]]
    past: list[Signup]


def my_activities(user: User, *, now: datetime) -> MyActivities:
    from server.activities.signups import waitlist_position
    # one's own sign-ups and those of the family members one manages (accounts.family)
    members = select(User.id).where(User.managed_by_id == user.id).scalar_subquery()
    rows = db.session.scalars(
        select(Signup).join(Activity, Signup.activity_id == Activity.id)
        .where(or_(Signup.user_id == user.id, Signup.user_id.in_(members)),
               Signup.status.in_((*LIVE_SIGNUP, "cancelled")))
        .options(joinedload(Signup.activity), joinedload(Signup.user))
        .order_by(Activity.starts_at, Signup.id)).all()
    upcoming, waitlisted, past = [], [], []
    for s in rows:
        ended = s.activity.ends_at < now or s.activity.status in ("finished", "cancelled")
        if s.status == "cancelled" or ended:
            past.append(s)
        elif s.status == "waitlisted":
            waitlisted.append((s, waitlist_position(s)))
        else:
            upcoming.append(s)
    past.reverse()
    return MyActivities(upcoming=upcoming, waitlisted=waitlisted, past=past)


def roster(activity: Activity, *, include_ended: bool = False) -> list[Signup]:
    statuses = LIVE_SIGNUP + (("withdrawn", "cancelled") if include_ended else ())
    return list(db.session.scalars(
        select(Signup).where(Signup.activity_id == activity.id, Signup.status.in_(statuses))
        .options(joinedload(Signup.user), joinedload(Signup.acted_by))
        .order_by(Signup.status, Signup.queue_no)))


def signup_rows(user: User) -> list[dict]:
    """Every sign-up of the person's, ended ones too (server.core.personal_data)."""
    from server.core.personal_data import when
    rows = db.session.execute(
        select(Signup, Activity.title, Activity.starts_at)
        .join(Activity, Signup.activity_id == Activity.id)
        .where(Signup.user_id == user.id).order_by(Signup.id)).all()
    return [{"activity": title, "starts_at": when(starts), "status": s.status,
             "signed_up_at": when(s.created_at), "ended_at": when(s.ended_at),
             "end_reason": s.end_reason, "signed_up_by_someone_else": s.acted_by_id is not None}
            for s, title, starts in rows]
