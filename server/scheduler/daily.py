"""The once-a-day jobs: the coordinators' summary and the donors' due-day reminders, each
caught up once when the scheduler missed its moment (the rules are on each function)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from server.core import clock
from server.extensions import db
from server.scheduler.tally import Tally, at_or_after

# --- the daily summary for coordinators -------------------------------------------------

def _ran_since(job: str, start: datetime, now: datetime) -> bool:
    """Whether a run of `job` that went through (wholly or in part) began in [start, now):
    the scheduler was up then (job_runs keep three days of good runs)."""
    from server.scheduler.models import JobRun
    return db.session.scalar(select(JobRun.id).where(
        JobRun.job == job, JobRun.status.in_(("ok", "partial")), JobRun.started_at >= start,
        JobRun.started_at < now).limit(1)) is not None


def _digest_day(now: datetime, hour: int):
    """The day whose summary is due now, or None.

    From `hour` on, today's. Before it, yesterday's only if it was never sent: no run of
    the summary since yesterday's hour (the scheduler was down from before it until now).
    It then goes once, on the scheduler's return (pushes wait for the quiet hours), and
    today's follows at the hour. Older days' are never sent: a summary says what waits
    now, and the latest one says it best; a week of them at once would only be noise."""
    today = clock.local(now).date()
    if at_or_after(now, hour):
        return today
    yesterday = today - timedelta(days=1)
    since = clock.from_local(datetime.combine(yesterday, time(hour)))
    return None if _ran_since("daily_digest", since, now) else yesterday


def daily_digest(now: datetime) -> Tally:
    """From DIGEST_HOUR on, once a day, each coordinator and admin with something waiting
    hears what: hours to review (overdue, due soon), pledges to confirm (overdue). A day
    the scheduler missed wholly is caught up once on its return (_digest_day)."""
    from server.accounts.models import User
    from server.accounts.roles import holders_of
    from server.donations.services import queue
    from server.hours import review
    from server.notifications.services import already_told, notify
    day = _digest_day(now, current_app.config["DIGEST_HOUR"])
    if day is None:
        return Tally()
    today = clock.local(now).date()  # what waits is counted as it stands now
    key = f"digest:{day.isoformat()}"
    done = already_told(key)
    people = [uid for uid in holders_of("coordinator", "admin") if uid not in done]

    def summarise(user_id: int) -> bool:
        user = db.session.get(User, user_id)
        hours = review.waiting(user, today=today)
        pledges, pledges_overdue = queue.waiting(user, now=now)
        if not (hours.pending or pledges):
            return False
        return notify(user_id, "work_digest", now=now, key=key, hours=hours.pending,
                      activities=hours.activities, overdue=hours.overdue, soon=hours.soon,
                      pledges=pledges, pledges_overdue=pledges_overdue) is not None
    return Tally().each(people, summarise, lambda uid: f"person {uid}")


# --- pledges ------------------------------------------------------------------------------

def pledges_due(now: datetime) -> Tally:
    """From PLEDGE_REMINDER_HOUR on the day a pledge falls due, a gentle word to its
    donor (overdue pledges are flagged on the desk and in the coordinators' summary).

    Catch-up: a reminder its day missed (the scheduler down from the hour to midnight)
    goes the next day as soon as the scheduler is back, once (its key), saying the day
    the pledge fell due. Not later: by then the desk and the coordinators' summary show it
    overdue, and a "falls due" word days late would only confuse the donor."""
    from server.donations.models import Pledge
    from server.donations.services import notices, queue
    from server.notifications.models import Notification
    today = clock.local(now).date()
    days = [today - timedelta(days=1)]
    if at_or_after(now, current_app.config["PLEDGE_REMINDER_HOUR"]):
        days.append(today)
    keys = {pledge_id: notices.due_key(pledge_id, day)
            for day in days for pledge_id in queue.falling_due(day, now=now)}
    # yesterday's were told on their day, as a rule: one look for all, not one insert each
    told = set(db.session.scalars(select(Notification.dedupe_key).where(
        Notification.dedupe_key.in_(set(keys.values()))))) if keys else set()
    todo = [pledge_id for pledge_id, key in keys.items() if key not in told]

    def remind(pledge_id: int) -> bool:
        return notices.remind_due(db.session.get(Pledge, pledge_id), now=now)
    return Tally().each(todo, remind, lambda i: f"pledge {i}")
