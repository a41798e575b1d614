"""Every job at the moments that matter, by the injected clock (time travel): what it does,
that a second run does nothing more, and that one bad record does not stop the rest."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.activities import services as activities
from server.activities import signups
from server.activities.models import Activity
from server.checkin import codes
from server.checkin.models import Scan
from server.core import clock, workdays
from server.core.clock import from_local, local
from server.extensions import db
from server.hours import ledger
from server.hours.models import HourEntry
from server.notifications.models import Notification
from server.scheduler import jobs


def _told(kind: str, user_id: int | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.kind == kind)
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    return list(db.session.scalars(query.order_by(Notification.id)))


@pytest.fixture
def venue(make_activity, make_user, grant, now):
    """Starts in 30 minutes, lasts 2 hours; an organiser; three volunteers with places."""
    activity = make_activity(starts_in=timedelta(minutes=30), hours=2, capacity=3,
                             title="助老服务日")
    organiser = make_user(name="张丽娜")
    grant(organiser, "organiser", activity.node, activity.organisation)
    people = [make_user(name=n) for n in ("李秀英", "王芳", "赵敏")]
    for person in people:
        signups.sign_up(activity.id, user=person, now=now)
    return activity, organiser, people


# --- finishing: automatic check-out and pending hours ------------------------------------

def test_an_ended_activity_is_finished_after_the_exit_grace_once(app, venue, scan, now):
    activity, organiser, (li, wang, zhao) = venue
    start = activity.starts_at
    for person in (li, wang):
        code = codes.personal_payload(codes.active_code(person, now=now))
        scan(activity, organiser, code=code, at=start + timedelta(minutes=5))
    code = codes.personal_payload(codes.active_code(li, now=now))
    scan(activity, organiser, code=code, direction="exit", at=activity.ends_at)
    # at the end, exits are still being scanned (CHECKIN_EXIT_GRACE_MINUTES): not yet
    assert jobs.finish_due(activity.ends_at + timedelta(minutes=30)).done == 0
    assert db.session.get(Activity, activity.id).status == "published"
    later = activity.ends_at + timedelta(minutes=61)
    assert jobs.finish_due(later).done == 1
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).status == "finished"
    auto = db.session.scalars(select(Scan).where(Scan.source == "automatic")).all()
    assert [(s.user_id, s.direction, s.effective_time) for s in auto] == [
        (wang.id, "exit", activity.ends_at)]
    entries = {e.user_id: e for e in db.session.scalars(select(HourEntry))}
    assert set(entries) == {li.id, wang.id}  # zhao never came: no hours
    assert entries[wang.id].status == "pending" and "auto_checkout" in entries[wang.id].flags
    # again, or a second scheduler: nothing more
    assert jobs.finish_due(later + timedelta(minutes=1)).done == 0
    assert db.session.scalar(select(func.count()).select_from(Scan).where(
        Scan.source == "automatic")) == 1
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 2


def test_an_activity_its_organiser_finished_is_left_alone(app, venue, now):
    activity, organiser, _ = venue
    activities.finish(activity, actor=organiser, now=activity.starts_at + timedelta(hours=1))
    assert jobs.finish_due(activity.ends_at + timedelta(hours=2)).done == 0


# --- reminders -----------------------------------------------------------------------

@pytest.fixture
def tomorrow(make_activity, make_user, now):
    """Starts in 30 hours; two places, one taken long ago, one waitlist spot."""
    activity = make_activity(starts_in=timedelta(hours=30), hours=2, capacity=2,
                             title="社区图书漂流", place="运河园社区图书角")
    early, waiting = make_user(name="早报名"), make_user(name="候补")
    signups.sign_up(activity.id, user=early, now=now)
    return activity, early, waiting


def test_the_day_before_and_two_hours_before_each_once(app, tomorrow, make_user, now):
    activity, early, _ = tomorrow
    start = activity.starts_at
    assert jobs.reminders(start - timedelta(hours=25)).done == 0
    # someone takes the second place after the day-before moment: no belated reminder
    late = make_user(name="临时报名")
    signups.sign_up(activity.id, user=late, now=start - timedelta(hours=20))
    assert jobs.reminders(start - timedelta(hours=23)).done == 1
    [day] = _told("reminder_day")
    assert day.user_id == early.id and day.activity_id == activity.id
    assert jobs.reminders(start - timedelta(hours=22)).done == 0  # once
    # two hours before: both places
    assert jobs.reminders(start - timedelta(hours=1, minutes=55)).done == 2
    assert {n.user_id for n in _told("reminder_soon")} == {early.id, late.id}
    assert jobs.reminders(start - timedelta(hours=1)).done == 0
    from server.notifications.services import render
    assert "社区图书漂流" in render(day) and "运河园社区图书角" in render(day)


def test_a_scheduler_that_was_down_sends_the_day_before_reminder_late_but_not_both(
        app, tomorrow, now):
    activity, early, _ = tomorrow
    # down from 25 hours before until 3 hours before: the day-before reminder still goes
    assert jobs.reminders(activity.starts_at - timedelta(hours=3)).done == 1
    # down until 90 minutes before: only the two-hour one (two at once would be noise)
    assert len(_told("reminder_day", early.id)) == 1
    assert jobs.reminders(activity.starts_at - timedelta(minutes=90)).done == 1
    assert len(_told("reminder_soon", early.id)) == 1


def test_a_moved_activity_is_reminded_again_and_the_waitlist_is_not(app, tomorrow, make_user,
                                                                   grant, now):
    activity, early, waiting = tomorrow
    filler = make_user(name="占位")
    signups.sign_up(activity.id, user=filler, now=now)
    signups.sign_up(activity.id, user=waiting, now=now)  # full: waitlisted
    jobs.reminders(activity.starts_at - timedelta(hours=23))
    assert {n.user_id for n in _told("reminder_day")} == {early.id, filler.id}
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", activity.node, activity.organisation)
    moved_to = activity.starts_at + timedelta(days=1)
    activities.update_activity(activity, actor=organiser, now=now, starts_at=moved_to,
                               ends_at=moved_to + timedelta(hours=2))
    assert {n.user_id for n in _told("activity_changed")} == {early.id, filler.id,
                                                              waiting.id}
    jobs.reminders(moved_to - timedelta(hours=23))
    assert len(_told("reminder_day", early.id)) == 2  # one for each date


# --- the record deadline --------------------------------------------------------------

def _at(day: date, hour: int = 9) -> datetime:
    return from_local(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def autumn(make_activity, make_user, grant, give_place):
    """An activity that ended on Friday 25 September 2026, before National Day, with
    two 补录 entries waiting; due the 10th working day after: 15 October."""
    def make(ended: date = date(2026, 9, 25)):
        end = _at(ended, 17)
        activity = make_activity(starts_in=end - timedelta(hours=2) - clock.now(),
                                 hours=2, title="重阳节前入户走访")
        organiser = make_user(name="周伟静")
        grant(organiser, "organiser", activity.node, activity.organisation)
        for name in ("甲", "乙"):
            person = make_user(name=name)
            give_place(activity, person)
            ledger.file_retroactive(actor=person, activity=activity, user=person, minutes=60,
                                    evidence="组织者可以证明", now=end)
        return activity, organiser
    return make


def test_organisers_are_warned_two_working_days_before_the_deadline(app, autumn):
    activity, organiser = autumn()
    # 9 October: the holiday is over, but 15 October is still 4 working days away
    assert jobs.deadline_warnings(_at(date(2026, 10, 9))).done == 0
    assert jobs.deadline_warnings(_at(date(2026, 10, 12))).done == 0
    assert jobs.deadline_warnings(_at(date(2026, 10, 13))).done == 1
    [warning] = _told("record_deadline", organiser.id)
    assert warning.params["due"] == "2026-10-15" and warning.params["pending"] == 2
    assert jobs.deadline_warnings(_at(date(2026, 10, 14))).done == 0  # once


def test_a_body_with_no_organiser_now_warns_the_coordinators_nearest_above(
        app, autumn, make_user, grant):
    """Her role was revoked: the warning goes to whoever can act on the review, the
    coordinators of the nearest place above (not the district's as well), not to her."""
    from server.accounts.models import RoleAssignment
    activity, organiser = autumn()
    db.session.execute(db.delete(RoleAssignment).where(RoleAssignment.user_id == organiser.id))
    nearest, above = make_user(name="王建国"), make_user(name="区协调员")
    grant(nearest, "coordinator", activity.node)
    grant(above, "coordinator", activity.node.parent)
    assert jobs.deadline_warnings(_at(date(2026, 10, 13))).done == 1
    assert len(_told("record_deadline", nearest.id)) == 1
    assert _told("record_deadline", organiser.id) == _told("record_deadline", above.id) == []


def test_with_no_organiser_and_no_coordinator_the_administrators_are_warned(
        app, autumn, make_user, grant):
    from server.accounts.models import RoleAssignment
    activity, organiser = autumn()
    db.session.execute(db.delete(RoleAssignment).where(RoleAssignment.user_id == organiser.id))
    admin = make_user(name="区管理员")
    grant(admin, "admin", activity.node.parent)
    assert jobs.deadline_warnings(_at(date(2026, 10, 13))).done == 1
    assert len(_told("record_deadline", admin.id)) == 1


def test_run_job_of_a_job_with_nothing_to_do_says_so(app):
    """The jobs that look often are recorded only when they find work: the command said
    nothing of that, and failed on the run it looked up."""
    result = app.test_cli_runner().invoke(args=["scheduler", "run-job", "exports"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "exports: nothing to do"


def test_a_deadline_in_a_year_without_holidays_fails_visibly_and_the_rest_go_on(
        app, autumn, monkeypatch):
    ok, ok_organiser = autumn()
    unknown, _ = autumn(date(2026, 12, 28))
    real = workdays.load(None)  # the library alone: 2027 is not in it
    monkeypatch.setattr(workdays, "calendar", lambda: real)
    tally = jobs.deadline_warnings(_at(date(2026, 10, 13)))
    assert tally.done == 1 and len(_told("record_deadline", ok_organiser.id)) == 1
    tally = jobs.deadline_warnings(_at(date(2027, 1, 4)))
    [failure] = tally.failures
    assert failure["subject"] == f"activity {unknown.id}"
    assert "2027" in failure["error"] and "CalendarYearMissing" in failure["error"]


# --- the coordinators' daily summary ----------------------------------------------------

def test_the_daily_summary_from_eight_once_a_day_when_anything_waits(app, autumn, make_user,
                                                                    grant):
    activity, _ = autumn()
    coordinator, idle = make_user(name="赵红梅"), make_user(name="无事")
    grant(coordinator, "coordinator", activity.node)
    grant(idle, "coordinator", _other_place(activity))
    day = date(2026, 10, 16)
    _ran("daily_digest", _at(day - timedelta(days=1), 8))  # up yesterday: nothing to catch up
    assert jobs.daily_digest(_at(day, 7)).done == 0
    assert jobs.daily_digest(_at(day, 8)).done == 1
    [digest] = _told("work_digest")
    assert digest.user_id == coordinator.id
    assert (digest.params["hours"], digest.params["overdue"]) == (2, 1)
    assert jobs.daily_digest(_at(day, 9)).done == 0
    assert jobs.daily_digest(_at(day + timedelta(days=1), 8)).done == 1
    from server.notifications.services import render
    assert "2条服务时长待审核" in render(digest) and "1项活动已逾期" in render(digest)


def _ran(job: str, at: datetime) -> None:
    """A run of `job` recorded at `at`, as the runner records it: the scheduler was up."""
    from server.scheduler import services
    run = services.start_run(job, holder="leader-1", term=1, now=at)
    services.finish_run(run.id, now=at, done=0, failures=[])


def _digest_days() -> list[str]:
    return sorted(n.dedupe_key for n in _told("work_digest"))


def test_a_summary_whose_whole_day_was_missed_goes_once_when_the_scheduler_is_back(
        app, autumn, make_user, grant):
    """The scheduler was down from before eight on the 15th until three at night: the
    summary of the 15th had never gone, and was never sent later. Now it goes on the
    return, once (a second scheduler, a second run: nothing more), and the 16th's at
    eight as usual."""
    activity, _ = autumn()
    coordinator = make_user(name="赵红梅")
    grant(coordinator, "coordinator", activity.node)
    day = date(2026, 10, 16)
    _ran("daily_digest", _at(day - timedelta(days=1), 7))  # the last run before it stopped
    assert jobs.daily_digest(_at(day, 3)).done == 1
    assert _digest_days() == ["digest:2026-10-15"]
    assert jobs.daily_digest(_at(day, 3)).done == 0  # another scheduler at the same moment
    _ran("daily_digest", _at(day, 3))
    assert jobs.daily_digest(_at(day, 4)).done == 0
    assert jobs.daily_digest(_at(day, 8)).done == 1
    assert _digest_days() == ["digest:2026-10-15", "digest:2026-10-16"]
    [late, _today] = _told("work_digest")
    assert late.params["hours"] == 2  # what waits as the scheduler came back


def test_a_summary_missed_for_days_is_sent_only_for_the_latest(app, autumn, make_user, grant):
    """Down a week: one summary on the return (the latest due), not seven; and a scheduler
    back after eight sends that day's alone."""
    activity, _ = autumn()
    coordinator = make_user(name="赵红梅")
    grant(coordinator, "coordinator", activity.node)
    day = date(2026, 10, 16)
    _ran("daily_digest", _at(day - timedelta(days=8), 9))
    assert jobs.daily_digest(_at(day, 6)).done == 1
    assert _digest_days() == ["digest:2026-10-15"]
    later = date(2026, 10, 20)
    _ran("daily_digest", _at(day, 6))
    assert jobs.daily_digest(_at(later, 11)).done == 1
    assert _digest_days() == ["digest:2026-10-15", "digest:2026-10-20"]


def _other_place(activity):
    from server.communities.models import Node
    node = Node(kind="district", name="别的区", created_at=activity.created_at)
    db.session.add(node)
    db.session.flush()
    node.path = f"/{node.id}/"
    db.session.flush()
    return node


# --- pledges ------------------------------------------------------------------------

def test_a_donor_hears_on_the_day_a_pledge_falls_due(app, make_fund, pledge_money, now):
    fund, _coordinator = make_fund(title="白玉县图书捐赠")
    due_day = local(now + timedelta(days=3)).date()
    pledge = pledge_money(fund, "200.00", due_on=due_day)
    ended = pledge_money(fund, "100.00", due_on=due_day)
    ended.end_state, ended.end_reason, ended.ended_at = "withdrawn", "计划有变", now
    db.session.flush()
    assert jobs.pledges_due(_at(due_day - timedelta(days=1), 10)).done == 0
    assert jobs.pledges_due(_at(due_day, 8)).done == 0  # from nine
    assert jobs.pledges_due(_at(due_day, 9)).done == 1
    assert jobs.pledges_due(_at(due_day, 15)).done == 0
    [note] = _told("pledge_due")
    assert note.user_id == pledge.donor_id and note.params["reference"] == pledge.reference


def test_a_pledge_reminder_its_day_missed_goes_the_next_day_once(app, make_fund, pledge_money,
                                                                  now):
    """The scheduler down all the day a pledge fell due: the reminder was never sent. It
    goes as the scheduler comes back the next day, once, saying the day it fell due (not
    "today"); two days late it is not sent (the pledge shows overdue on the desk)."""
    from flask_babel import force_locale

    from server.notifications.services import render
    fund, _coordinator = make_fund(title="白玉县图书捐赠")
    due_day = local(now + timedelta(days=3)).date()
    missed = pledge_money(fund, "200.00", due_on=due_day)
    told = pledge_money(fund, "50.00", due_on=due_day)
    older = pledge_money(fund, "80.00", due_on=due_day - timedelta(days=1))
    from server.donations.services import notices
    notices.remind_due(told, now=_at(due_day, 9))  # told on its day, before it stopped
    next_day = due_day + timedelta(days=1)
    assert jobs.pledges_due(_at(next_day, 2)).done == 1
    assert jobs.pledges_due(_at(next_day, 2)).done == 0  # a second scheduler: nothing more
    assert jobs.pledges_due(_at(next_day, 9)).done == 0
    notes = {n.params["pledge_id"]: n for n in _told("pledge_due")}
    assert set(notes) == {missed.id, told.id}  # two days late: not reminded
    assert older.id not in notes
    late = notes[missed.id]
    assert late.params["late"] is True and "late" not in notes[told.id].params
    with app.test_request_context(), force_locale("en"):
        assert "fell due on" in render(late) and "due today" not in render(late)
        assert "due today" in render(notes[told.id])


# --- the bookkeeping of runs ------------------------------------------------------------

def test_a_run_is_recorded_and_skipped_by_a_process_that_does_not_lead(app, venue, now):
    from server.scheduler import runner, services
    from server.scheduler.models import JobRun
    db.session.commit()
    assert runner.run_job(app, "reminders", holder="standby") is None
    assert services.acquire("leader-1", now=now, seconds=30)
    db.session.commit()
    run_id = runner.run_job(app, "finish_due", holder="leader-1")
    run = db.session.get(JobRun, run_id)
    assert (run.job, run.status, run.holder, run.term) == ("finish_due", "ok", "leader-1", 1)
    assert run.finished_at is not None


def test_the_lease_one_leader_expiry_takeover_and_stepping_down(app, now):
    from server.scheduler import services
    assert services.acquire("a", now=now, seconds=30)
    assert not services.acquire("b", now=now + timedelta(seconds=10), seconds=30)
    assert services.acquire("a", now=now + timedelta(seconds=20), seconds=30)  # renewed
    assert not services.acquire("b", now=now + timedelta(seconds=45), seconds=30)
    # "a" died: its lease ran out at +50s
    assert services.acquire("b", now=now + timedelta(seconds=51), seconds=30)
    lease = services.leader(now=now + timedelta(seconds=52))
    assert (lease.holder, lease.term) == ("b", 2)
    assert not services.acquire("a", now=now + timedelta(seconds=55), seconds=30)
    services.release("b", now=now + timedelta(seconds=60))
    assert services.leader(now=now + timedelta(seconds=60)) is None
    assert services.acquire("a", now=now + timedelta(seconds=61), seconds=30)
    assert services.leader(now=now + timedelta(seconds=61)).term == 3


def test_housekeeping_keeps_failures_longer_than_good_runs(app, now):
    from server.scheduler import services
    from server.scheduler.models import JobRun
    for days, status in ((1, "ok"), (5, "ok"), (5, "partial"), (100, "failed")):
        run = services.start_run("reminders", holder="x", term=1,
                                 now=now - timedelta(days=days))
        run.status = status
    db.session.flush()
    assert jobs.housekeeping(now).done == 2
    assert sorted(r.status for r in db.session.scalars(select(JobRun))) == ["ok", "partial"]


def test_run_job_and_status_say_why_a_whole_run_failed(app, monkeypatch):
    from server.scheduler import jobs as job_module

    def broken(now):
        raise RuntimeError("the statistics tables are missing\nSELECT … (values)")
    monkeypatch.setitem(job_module.JOBS, "stats",
                        job_module.Job("stats", "统计", broken))
    ran = app.test_cli_runner().invoke(args=["scheduler", "run-job", "stats"])
    assert ran.exit_code == 0, ran.output
    assert "stats: failed, 0 done, 0 failed" in ran.output
    assert "RuntimeError: the statistics tables are missing" in ran.output
    assert "SELECT" not in ran.output  # only the first line: the rest may be personal
    status = app.test_cli_runner().invoke(args=["scheduler", "status"])
    assert "stats: failed at" in status.output
    assert "(RuntimeError: the statistics tables are missing)" in status.output


def test_a_long_catch_up_dates_each_finish_when_it_is_done(app, make_activity, now,
                                                           monkeypatch):
    """A scheduler back after a long outage finishes many activities in one run: each is
    stamped with its own moment (the run's `now` moved on by the time the run has taken),
    not all with the run's start, which the statistics may already have read past."""
    ended = [make_activity(starts_in=timedelta(hours=-5 - n), hours=2) for n in range(3)]
    ticks = iter(now + timedelta(minutes=7 * n) for n in range(100))
    monkeypatch.setattr(clock, "now", lambda: next(ticks))  # each look: 7 minutes later
    run_at = now + timedelta(hours=1)
    assert jobs.finish_due(run_at).done == 3
    stamps = sorted(db.session.get(Activity, a.id).finished_at for a in ended)
    assert stamps[0] >= run_at and stamps[-1] - stamps[0] >= timedelta(minutes=14)
