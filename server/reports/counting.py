"""What counts as taking part, in one place: the statistics of places and of programmes
read the same approved hours."""

from __future__ import annotations

from sqlalchemy import func, select

from server.activities.models import Activity
from server.hours.models import HourEntry, HourReview


def approved_minutes(*where):
    """Approved hours entries (activity, person, minutes; corrections included) of the
    activities matching `where`: what minutes, person-times and volunteers count."""
    return (select(HourEntry.activity_id, HourEntry.user_id, HourEntry.minutes)
            .join(HourReview, HourReview.entry_id == HourEntry.id)
            .join(Activity, Activity.id == HourEntry.activity_id)
            .where(HourReview.decision == "approved", *where)).subquery()


def took_part(minutes):
    """(activity, person) pairs whose approved time there is more than none: a person at
    an activity counts once."""
    return (select(minutes.c.activity_id, minutes.c.user_id)
            .group_by(minutes.c.activity_id, minutes.c.user_id)
            .having(func.sum(minutes.c.minutes) > 0)).subquery()
