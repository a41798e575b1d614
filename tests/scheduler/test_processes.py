"""Exactly once, across real processes: two scheduler processes (`flask scheduler run`) and a
gunicorn with several workers on one database. One scheduler leads; when it is killed
(SIGKILL: no goodbye, its lease just stops being renewed) the other takes over within the
lease; every reminder, automatic check-out, hours entry, daily summary and push happens
once. And two `flask scheduler run-job` at once, both bypassing the lease, still do each
thing once (the effects' own unique keys)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.activities import signups
from server.activities.models import Activity, Signup
from server.checkin import codes
from server.checkin.models import Scan
from server.core import clock
from server.extensions import db
from server.hours.models import HourEntry
from server.notifications.models import Delivery, Notification
from server.scheduler.models import JobRun, Lease
from tests.live import client

pytestmark = pytest.mark.concurrency
ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 4


def _env(app, **extra) -> dict[str, str]:
    env = {**os.environ, "WUSHE_ENV": "testing",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WUSHE_HOLIDAYS_DIR": app.config["HOLIDAYS_DIR"],
           "WUSHE_SCHEDULER_TICK_SECONDS": "1",
           "WUSHE_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
           "WUSHE_SCHEDULER_BEAT_SECONDS": "1",
           "WUSHE_DIGEST_HOUR": "0", **extra}
    env.pop("WUSHE_TEST_DB", None)
    env.pop("FLASK_APP", None)
    return env


def _flask(app, tmp_path, name, *args) -> subprocess.Popen:
    with (tmp_path / f"{name}.log").open("w") as log:  # the child keeps its own copy
        return subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT,
                                env=_env(app), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _wait(what, timeout: float = 40.0):
    """Poll (each time in a fresh transaction) until `what()` is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        found = what()
        # on SQLite every transaction holds the write lock: never sleep inside one
        db.session.rollback()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _people(make_user, n, prefix):
    return [make_user(name=f"{prefix}{i}") for i in range(n)]


def _placed(activity, people, since):
    """Places held since `since` (the reminders go to places held before their moment)."""
    for i, person in enumerate(people, start=1):
        db.session.add(Signup(activity_id=activity.id, user_id=person.id, status="confirmed",
                              queue_no=i, created_at=since))
    db.session.flush()
    activity.confirmed_count = len(people)
    db.session.flush()


def test_two_schedulers_and_the_web_do_everything_once(app, gunicorn, tmp_path, make_activity,
                                                       make_user, grant, give_place, scan):
    now = clock.now()
    long_ago = now - timedelta(days=2)
    # two hours' reminder due: starts in 1h50
    soon = make_activity(starts_in=timedelta(hours=1, minutes=50), hours=2, capacity=50,
                         title="两小时后的讲堂")
    soon_people = _people(make_user, 6, "听众")
    _placed(soon, soon_people, long_ago)
    # ended two hours ago with four people still checked in: to finish, check out, record
    done = make_activity(starts_in=-timedelta(hours=4), hours=2, capacity=10,
                         title="已结束的清扫")
    organiser = make_user(name="组织者")
    grant(organiser, "organiser", done.node, done.organisation)
    inside = _people(make_user, 4, "清扫")
    for person in inside:
        give_place(done, person)
        payload = codes.personal_payload(codes.active_code(person, now=now))
        assert scan(done, organiser, code=payload,
                    at=done.starts_at + timedelta(minutes=5)).result == "ok"
    # hours waiting for a coordinator: their daily summary
    coordinator = make_user(name="协调员")
    grant(coordinator, "coordinator", done.node)
    # a full activity whose waitlisted person a withdrawal through the web promotes
    full = make_activity(starts_in=timedelta(days=5), capacity=1, title="满员的义卖")
    leaving, waiting = make_user(name="退出者"), make_user(name="候补者")
    signups.sign_up(full.id, user=leaving, now=now)
    signups.sign_up(full.id, user=waiting, now=now)
    db.session.commit()
    ids = {"soon": soon.id, "done": done.id, "full": full.id}
    leaving_signup = db.session.scalar(select(Signup.id).where(
        Signup.activity_id == ids["full"], Signup.user_id == leaving.id))

    schedulers = {name: _flask(app, tmp_path, name, "scheduler", "run", "--holder", name)
                  for name in ("scheduler-a", "scheduler-b")}
    try:
        web = client(gunicorn, leaving)
        status, body, _ = web.call("POST", f"/api/v1/signups/{leaving_signup}/withdraw", {})
        assert status == 200, body

        assert _wait(lambda: _count(Notification, Notification.kind == "reminder_soon") == 6
                     and db.session.get(Activity, ids["done"]).status == "finished"
                     and _count(Notification, Notification.kind == "work_digest") == 1
                     and _count(Delivery, Delivery.status == "sent") >= 2), _logs(tmp_path)
        lease = db.session.get(Lease, "scheduler")
        leader, standby = lease.holder, ({*schedulers} - {lease.holder}).pop()
        first_term = lease.term
        db.session.rollback()

        # the leader dies without a word; new work arrives
        os.killpg(schedulers[leader].pid, signal.SIGKILL)
        schedulers[leader].wait(timeout=10)
        killed_at = time.monotonic()
        later = make_activity(starts_in=timedelta(hours=1, minutes=45), hours=1, capacity=50,
                              title="接班后的提醒")
        later_people = _people(make_user, 3, "接班")
        _placed(later, later_people, long_ago)
        db.session.commit()
        later_id = later.id
        assert _wait(lambda: _count(Notification, Notification.kind == "reminder_soon",
                                    Notification.activity_id == later_id) == 3), _logs(tmp_path)
        taken_over = time.monotonic() - killed_at
        lease = db.session.get(Lease, "scheduler")
        assert lease.holder == standby and lease.term > first_term
        db.session.rollback()
        # a dead leader is replaced within the lease, a beat and a tick (and start-up slack)
        assert taken_over < LEASE_SECONDS + 8, taken_over

        schedulers[standby].send_signal(signal.SIGTERM)
        assert schedulers[standby].wait(timeout=20) == 0
        db.session.rollback()
        assert db.session.get(Lease, "scheduler").expires_at <= clock.now()  # stepped down
    finally:
        for process in schedulers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    db.session.rollback()
    # each reminder once, to each person who held a place
    reminded = Counter(db.session.execute(
        select(Notification.user_id, Notification.activity_id)
        .where(Notification.kind == "reminder_soon")).all())
    expected = {(p.id, ids["soon"]) for p in soon_people} | {
        (p.id, later_id) for p in later_people}
    assert set(reminded) == expected and set(reminded.values()) == {1}
    # each automatic check-out once, each hours entry once
    auto = Counter(db.session.scalars(select(Scan.user_id).where(
        Scan.activity_id == ids["done"], Scan.source == "automatic")))
    assert auto == Counter({p.id: 1 for p in inside})
    entries = Counter(db.session.scalars(select(HourEntry.user_id).where(
        HourEntry.activity_id == ids["done"])))
    assert entries == Counter({p.id: 1 for p in inside})
    # one summary for the coordinator today
    assert _count(Notification, Notification.kind == "work_digest",
                  Notification.user_id == coordinator.id) == 1
    # the promotion through the web, pushed once by SMS and once by WeChat
    promoted = db.session.scalar(select(Notification).where(
        Notification.kind == "promoted", Notification.user_id == waiting.id))
    pushes = db.session.scalars(select(Delivery).where(
        Delivery.notification_id == promoted.id)).all()
    assert sorted((d.channel, d.status, d.attempts) for d in pushes) == [
        ("sms", "sent", 1), ("wechat", "sent", 1)]
    # every push claimed once: nobody sent one twice
    assert _count(Delivery, Delivery.attempts != 1) == 0
    # both schedulers ran jobs, under two terms, and nothing failed
    holders = {(r.holder, r.term) for r in db.session.scalars(
        select(JobRun).where(JobRun.status != "skipped"))}
    assert {h for h, _ in holders} == set(schedulers)
    failed = db.session.scalars(select(JobRun).where(
        JobRun.status.in_(("failed", "partial")))).all()
    # only a run the killed leader was in the middle of, closed by its successor
    assert all(r.holder == leader and r.message.startswith("interrupted") for r in failed)
    assert _count(JobRun, JobRun.status == "running") == 0


def test_two_jobs_run_at_once_without_the_lease_still_tell_each_person_once(
        app, tmp_path, make_activity, make_user):
    now = clock.now()
    activity = make_activity(starts_in=timedelta(hours=1, minutes=50), hours=2, capacity=50)
    people = _people(make_user, 30, "同时")
    _placed(activity, people, now - timedelta(days=1))
    db.session.commit()
    runs = [_flask(app, tmp_path, f"run-{i}", "scheduler", "run-job", "reminders")
            for i in range(2)]
    for process in runs:
        assert process.wait(timeout=60) == 0, _logs(tmp_path)
    db.session.rollback()
    told = Counter(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "reminder_soon")))
    assert told == Counter({p.id: 1 for p in people})
    runs = db.session.scalars(select(JobRun).where(JobRun.job == "reminders")).all()
    assert len(runs) == 2 and {r.status for r in runs} == {"ok"}
    assert sum(r.done for r in runs) == 30


def _logs(tmp_path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in tmp_path.glob("*.log"))
