"""What happens on time, without anyone: the job catalogue.

Every job is a function of the moment (`now`, from the injected clock), so a test runs it
at any time it likes. A job finds what is due with one set-based query, then handles each
record as a unit of work of its own (commit, then whatever waited for the commit: the
outbox), so one failing record is rolled back, recorded and retried on the next run
while the rest go on. Each effect is once-only by construction: a message has a unique
(person, key), finishing an activity is a state change under its row lock, a check-out
is a numbered scan; running a job twice, or in two schedulers at once, changes nothing
the second time.

Jobs are idempotent catch-up jobs: each run does what is due by now and not yet done,
so a scheduler that was down does it when it comes back, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server.core import clock, outbox
from server.extensions import db
from server.scheduler.daily import daily_digest, pledges_due
from server.scheduler.tally import Tally, describe_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    title: object
    run: Callable[[datetime], Tally]
    every_ticks: int = 1
    # a job that looks often for work (its interval is this setting, in seconds) and is
    # recorded in job_runs only when it found some
    every_setting: str | None = None

    def seconds(self, config) -> int:
        """How often it runs: its own setting, or so many of the scheduler's ticks."""
        if self.every_setting:
            return int(config[self.every_setting])
        return int(config["SCHEDULER_TICK_SECONDS"]) * self.every_ticks


# --- activities: finish, and with it the automatic check-out and pending hours ----------

def finish_due(now: datetime) -> Tally:
    """Activities whose end (plus the exit grace) has passed are finished: whoever is still
    checked in is checked out at the end, marked automatic, and the scans become pending
    hours (the ACTIVITY_FINISHED subscribers)."""
    from server.activities import errors as activity_errors
    from server.activities import services as activities
    from server.activities.models import Activity
    from server.checkin.services import exit_grace
    due = db.session.scalars(select(Activity.id).where(
        Activity.status == "published", Activity.ends_at <= now - exit_grace())
        .order_by(Activity.ends_at)).all()

    # each stamped with the time it is done: a long catch-up run's finishes are not dated
    # behind what the statistics already read
    moment = clock.running_from(now)

    def finish(activity_id: int) -> bool:
        try:
            activities.finish(db.session.get(Activity, activity_id), actor=None,
                              now=moment())
        except activity_errors.BadTransition:
            return False  # finished meanwhile by its organiser or another run
        return True
    return Tally().each(due, finish, lambda i: f"activity {i}")


# --- lotteries: the draw at the close of their window ----------------------------------

def lottery_draws(now: datetime) -> Tally:
    """Lotteries whose window has closed are drawn, each once: places, the waitlist in
    drawn order, and a message to every entrant. A second run, a second scheduler or the
    organiser's "draw now" at the same moment finds the draw made (AlreadyDrawn)."""
    from server.activities import errors as activity_errors
    from server.activities import lottery

    def draw(activity_id: int) -> bool:
        try:
            lottery.draw(activity_id, actor=None, now=now)
        except activity_errors.AlreadyDrawn:
            return False
        return True
    return Tally().each(lottery.due_ids(now=now), draw, lambda i: f"activity {i}")


# --- reminders before activities --------------------------------------------------------

REMINDERS = (("reminder_day", timedelta(hours=24)), ("reminder_soon", timedelta(hours=2)))


def reminders(now: datetime) -> Tally:
    """The day before (24 hours ahead) and two hours before: to everyone holding a place
    at that moment. A place taken after the moment gets no belated reminder of that kind
    (the person has just been told); a moved activity is a new reminder."""
    from server.activities import notices
    from server.activities.models import Activity, Signup
    from server.notifications.models import Notification
    from server.notifications.services import notify, told_person
    tally = Tally()
    for kind, ahead in REMINDERS:
        later_edge = now + ahead
        # the day-before reminder stops where the two-hour one begins
        earlier_edge = now + REMINDERS[1][1] if kind == "reminder_day" else now
        rows = db.session.execute(
            select(Signup, Activity).join(Activity, Signup.activity_id == Activity.id)
            .where(Activity.status == "published", Signup.status == "confirmed",
                   Activity.starts_at > earlier_edge, Activity.starts_at <= later_edge)
            .order_by(Activity.starts_at, Signup.id)).all()
        # a place held since before the moment of the reminder (not one just taken)
        rows = [r for r in rows
                if (r.Signup.promoted_at or r.Signup.created_at) <= r.Activity.starts_at - ahead]
        keys = {r.Activity.id: f"{kind}:{r.Activity.id}:{r.Activity.starts_at:%Y%m%dT%H%M}"
                for r in rows}
        told = {(uid, key) for uid, key in db.session.execute(
            select(told_person(), Notification.dedupe_key)
            .where(Notification.dedupe_key.in_(set(keys.values()))))} if keys else set()
        todo = [r for r in rows if (r.Signup.user_id, keys[r.Activity.id]) not in told]

        def remind(row, kind=kind, keys=keys) -> bool:
            return notify(row.Signup.user_id, kind, now=now, activity_id=row.Activity.id,
                          key=keys[row.Activity.id], signup_id=row.Signup.id,
                          **notices.facts(row.Activity)) is not None
        tally.each(todo, remind, lambda r: f"sign-up {r.Signup.id}")
    return tally


# --- the record deadline (办法 Art. 11) ---------------------------------------------------

def deadline_warnings(now: datetime) -> Tally:
    """Two working days before an activity's hours are due, its organisers are told how
    many still wait; a body with no organiser now, the coordinators nearest above the
    place (not whoever created the activity, who may no longer hold any role). A due date
    in a year whose holidays are unknown is a failure of that record (shown on
    /admin/jobs), tried again every run until the year is added."""
    from server.accounts.roles import coordinators_over, organisers_of
    from server.hours import deadlines, notices, review
    today = clock.local(now).date()
    # ten working days are at most about five weeks, even across the Spring Festival
    candidates = review.pending_since(now - timedelta(days=45))

    def warn(pair) -> int:
        activity, pending = pair
        due = deadlines.due_date(activity)  # CalendarYearMissing: this record fails, visibly
        if deadlines.deadline(activity, today=today).state != "soon":
            return 0
        people = organisers_of(activity.organisation_id) or coordinators_over(activity.node)
        return sum(notices.warn_deadline(uid, activity=activity, due=due, pending=pending,
                                         now=now) for uid in people)
    return Tally().each(candidates, warn, lambda p: f"activity {p[0].id}")


# --- the dashboard's statistics ------------------------------------------------------------

def stats(now: datetime) -> Tally:
    """Recompute the statistics of the months, quarters and years whose records changed
    since the last run (everything on the first), each period its own unit of work; the
    mark moves on once all went through, so a failed period is tried again next run."""
    from server.reports import rollups
    periods, read_until = rollups.to_refresh(now=now)
    db.session.commit()  # only read so far; each period is its own unit of work
    tally = Tally().each(periods, lambda p: rollups.store(p) >= 0, lambda p: p.key)
    if not tally.failures:
        rollups.mark(read_until, now=now)
        db.session.commit()
    return tally


# --- team invitations whose delivery did not happen ---------------------------------------

def team_invitations(now: datetime) -> Tally:
    """Invitations by phone are delivered once the leader's answer has gone out; one that
    was not (the worker stopped, the database was away) reaches its account here, from
    whoever sent it. Under the invitation's lock, looked at
    afresh: one delivered or taken back meanwhile is left alone."""
    from server.teams import invitations
    from server.teams.models import Invitation

    def deliver(invitation_id: int) -> bool:
        invitation = db.session.get(Invitation, invitation_id)
        return invitations.deliver(invitation_id, actor=invitation.created_by,
                                   now=now) is not None
    return Tally().each(invitations.undelivered_ids(now=now), deliver,
                        lambda i: f"team invitation {i}")


# --- pushes that failed, and housekeeping -------------------------------------------------

def deliveries(now: datetime) -> Tally:
    """SMS, WeChat and e-mail messages not yet sent: their first try if the process that
    queued them could not, and the retries of those that failed."""
    from server.notifications import delivery
    tally = Tally()
    moment = clock.running_from(now)
    for delivery_id in delivery.due_ids(now=now):
        # each claim bears the time it is made, and the run stops before its first claims
        # could look abandoned to another sender
        at = moment()
        if at - now >= delivery.RUN_BUDGET:
            break
        try:
            status = delivery.send(delivery_id, now=at)
        except Exception as exc:  # noqa: BLE001 - the next ones still go
            # past the provider (recording what it said failed): the claim is left to go
            # stale and be tried again, as a sender that died leaves it (it may arrive twice)
            db.session.rollback()
            outbox.discard()
            log.exception("delivery %s failed", delivery_id)
            tally.failures.append({"subject": f"delivery {delivery_id}",
                                   "error": describe_error(exc)})
            continue
        if status == "sent":
            tally.done += 1
        elif status in ("pending", "failed"):
            reason = delivery.last_error_of(delivery_id)
            tally.failures.append({"subject": f"delivery {delivery_id}",
                                   "error": f"{status}: {reason}" if reason else status})
    return tally


def _claimed(now: datetime, label: str, claim: Callable[..., int | None],
             work: Callable[[int, datetime], None],
             fail: Callable[..., None]) -> Tally:
    """Records waiting for the scheduler, claimed one at a time (server.core.background),
    oldest first; `work` commits what it did. One that fails is marked so, with its
    reason (`fail`), and recorded in the run; the others go on."""
    tally = Tally()
    while (subject := claim(now=now)) is not None:
        db.session.commit()
        try:
            work(subject, now)
            tally.done += 1
        except Exception as exc:  # noqa: BLE001 - recorded on the record and in the run
            db.session.rollback()
            log.warning("%s %s failed: %s", label, subject, exc)
            fail(subject, exc, now=now)
            db.session.commit()
            tally.failures.append({"subject": f"{label} {subject}",
                                   "error": describe_error(exc)})
        now = clock.now()
    return tally


def exports(now: datetime) -> Tally:
    """Exports waiting to be written (server.exports), oldest first, each its own unit of
    work; its progress is visible to its page while it is written."""
    from server.exports import services as export_services

    def write(job_id: int, now: datetime) -> None:
        fh, rows = export_services.write_claimed(job_id, now=now)
        with fh:
            db.session.commit()  # the reading transaction ends; the file is written
            export_services.keep_file(db.session.get(export_services.ExportJob, job_id),
                                      fh, rows, now=now)
            db.session.commit()
    tally = _claimed(now, "export", export_services.claim_next, write, export_services.fail)
    _give_up(tally, "export", export_services.give_up_interrupted(now=now))
    return tally


def _give_up(tally: Tally, label: str, ids: list[int]) -> None:
    """Records interrupted too often, now marked failed, count as the run's failures."""
    for ident in ids:
        tally.failures.append({"subject": f"{label} {ident}",
                               "error": "interrupted too often: marked failed"})
    db.session.commit()


def imports(now: datetime) -> Tally:
    """Rosters uploaded for import and too large to check while the page waited
    (server.imports.jobs), oldest first. Each batch of checked rows is committed with the
    count so far: the page shows it, and no write lock is held for the whole file."""
    from server.imports import jobs as import_jobs

    def check(file_id: int, now: datetime) -> None:
        import_jobs.check_claimed(file_id, now=now, checkpoint=db.session.commit)
        db.session.commit()
    tally = _claimed(now, "import", import_jobs.claim_next, check, import_jobs.fail)
    _give_up(tally, "import", import_jobs.give_up_interrupted(now=now))
    return tally


def housekeeping(now: datetime) -> Tally:
    """Old job runs, spent login codes and exports past their day go."""
    from server.accounts import phone_codes
    from server.exports import services as export_services
    from server.scheduler import services
    tally = Tally()
    tally.each([services.prune_runs, phone_codes.prune, export_services.prune],
               lambda prune: prune(now=now), lambda f: f.__module__)
    return tally


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("finish_due", _l("Finish ended activities: automatic check-out, hours to review"),
        finish_due),
    Job("lottery_draws", _l("Draw the lotteries whose sign-up window has closed"),
        lottery_draws),
    Job("reminders", _l("Reminders the day before and two hours before"), reminders),
    Job("deliveries", _l("Send and retry SMS, WeChat and e-mail messages"), deliveries),
    Job("team_invitations", _l("Deliver team invitations not yet delivered"),
        team_invitations),
    Job("deadline_warnings", _l("Warn organisers before the record deadline"),
        deadline_warnings, every_ticks=5),
    Job("daily_digest", _l("The coordinators' daily summary"), daily_digest, every_ticks=5),
    Job("pledges_due", _l("Remind donors on the day a pledge falls due"), pledges_due,
        every_ticks=5),
    Job("stats", _l("Keep the dashboard's statistics current"), stats),
    Job("exports", _l("Write the exports people asked for"), exports,
        every_setting="EXPORT_POLL_SECONDS"),
    Job("imports", _l("Check the rosters uploaded for import"), imports,
        every_setting="IMPORT_POLL_SECONDS"),
    Job("housekeeping", _l("Remove old job runs, spent login codes and old exports"),
        housekeeping, every_ticks=60),
)}
