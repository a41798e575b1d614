"""What an account's deletion ends in this domain (accounts.erasure, PERSON_ERASED): the
person's places in activities not started yet, each given to the next person waiting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.accounts.models import User
from server.activities.models import LIVE_SIGNUP, Activity, Signup
from server.activities.signups import lock_activity, promote_waitlist, recount
from server.extensions import db


def _places_ahead(user_id: int, now: datetime):
    return (select(Signup.id, Signup.activity_id)
            .join(Activity, Signup.activity_id == Activity.id)
            .where(Signup.user_id == user_id, Signup.status.in_(LIVE_SIGNUP),
                   Signup.presence == "none", Activity.starts_at > now))


def on_person_erased(*, user: User, now: datetime, **_) -> None:
    """PERSON_ERASED: their places in activities not started yet end (the next person
    waiting gets each), activity by activity, each under its lock; what already began
    stays, as attendance."""
    ids = db.session.execute(_places_ahead(user.id, now).order_by(Signup.activity_id)).all()
    for signup_id, activity_id in ids:
        activity = lock_activity(activity_id)
        signup = db.session.get(Signup, signup_id)
        # the sign-up's lock after the activity's, as withdraw: a check-in being decided is
        # seen; someone already inside (the early check-in) keeps their attendance
        db.session.refresh(signup, with_for_update={"key_share": True})
        if signup.status not in LIVE_SIGNUP or signup.presence != "none":
            continue
        was_confirmed = signup.status == "confirmed"
        signup.status, signup.ended_at, signup.end_reason = "withdrawn", now, "account_deleted"
        db.session.flush()
        if was_confirmed and activity.status == "published":
            promote_waitlist(activity, now=now)
        recount(activity)
    db.session.flush()


def place_left_open(user: User, now: datetime) -> bool:
    """accounts.erasure.LEFT_OPEN: a place ahead still live once on_person_erased ran and
    the person's row is locked, one a sign-up gave while the erasure looked."""
    return db.session.scalar(_places_ahead(user.id, now).limit(1)) is not None

