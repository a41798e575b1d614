"""What a person does next once signed up: when to arrive, what to bring, until when they
can withdraw, and the activity for their calendar. Read-only: pages and the API show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for

from server.activities import calendar, errors, signups
from server.activities.models import Activity, Signup
from server.extensions import db


@dataclass
class NextSteps:
    signup: Signup
    activity: Activity
    position: int | None  # on the waitlist; None with a place or a lottery entry
    arrive_at: datetime | None  # None for a lottery entry: no place yet
    arrive_minutes: int
    withdraw_until: datetime
    can_withdraw: bool
    draw_at: datetime | None = None  # a lottery entry: when places are drawn
    # filled by the API for clients that only follow links
    code_url: str | None = ""
    calendar_url: str = ""


def arrive_minutes() -> int:
    return int(current_app.config["ARRIVE_EARLY_MINUTES"])


def for_signup(signup_id: int, *, viewer, now: datetime) -> NextSteps:
    """The next steps of a sign-up, for the person or their guardian (signups.acts_for); a
    sign-up that ended (withdrawn, removed) or someone else's is not found, as the API
    says."""
    signup = db.session.get(Signup, signup_id)
    if signup is None or not signups.acts_for(viewer, signup):
        raise errors.SignupNotFound()
    if signup.status not in ("confirmed", "waitlisted", "entered"):
        raise errors.SignupNotFound()
    activity = signup.activity
    minutes = arrive_minutes()
    until = signups.withdraw_until(signup, activity)
    entered = signup.status == "entered"
    return NextSteps(signup=signup, activity=activity,
                     position=signups.waitlist_position(signup),
                     arrive_at=None if entered else activity.starts_at - timedelta(minutes=minutes),
                     arrive_minutes=minutes, withdraw_until=until,
                     can_withdraw=signups.can_withdraw(signup, now=now),
                     draw_at=activity.signup_closes_at if entered else None)


def ics_body(activity: Activity, *, now: datetime, description: str = "") -> bytes:
    site = current_app.config["SITE_URL"].rstrip("/")
    url = site + url_for("activities_pages.detail", activity_id=activity.id)
    # the reminder leaves time to get there and still arrive early
    return calendar.ics(activity, url=url, site_url=site, now=now, description=description,
                        alarm_minutes=arrive_minutes() + 45)


def ics_filename(activity: Activity) -> str:
    return f"wushe-activity-{activity.id}.ics"
