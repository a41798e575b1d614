"""The draw happens once across real processes: `flask scheduler run-job lottery_draws` in
three processes (each bypassing the leader lease, as the CLI does) and two organisers
pressing "draw now" through a gunicorn with several workers, all at the same moment, on
one database. One draw, one message per entrant, places never above capacity."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.activities import lottery, signups
from server.activities.models import Activity, LotteryDraw, Signup
from server.extensions import db
from server.notifications.models import Notification
from server.scheduler.models import JobRun
from tests.live import at_once, client

pytestmark = pytest.mark.concurrency
ROOT = Path(__file__).resolve().parents[2]


def _run_job(app, tmp_path, name):
    env = {**os.environ, "WUSHE_ENV": "testing",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "WUSHE_HOLIDAYS_DIR": app.config["HOLIDAYS_DIR"]}
    env.pop("WUSHE_TEST_DB", None)
    env.pop("FLASK_APP", None)

    def call():
        done = subprocess.run([sys.executable, "-m", "flask", "scheduler", "run-job",
                               "lottery_draws"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        (tmp_path / f"{name}.log").write_text(done.stdout + done.stderr)
        return done.returncode, done.stdout
    return call


def test_schedulers_and_organisers_drawing_at_once_draw_once(app, gunicorn, tmp_path,
                                                             make_lottery, make_user, grant,
                                                             now):
    lot = make_lottery(capacity=4, closes_in=-timedelta(seconds=30),
                       opens_at=now - timedelta(days=1))
    people = [make_user(name=f"报名者{i:02d}") for i in range(12)]
    for person in people:
        signups.sign_up(lot.id, user=person, now=now - timedelta(hours=1))
    organisers = [make_user(name=f"社工{i}") for i in range(2)]
    for organiser in organisers:
        grant(organiser, "organiser", lot.node, organisation=lot.organisation)
    db.session.commit()
    activity_id = lot.id
    webs = [client(gunicorn, o) for o in organisers]

    def press(web):
        def call():
            status, body, _ = web.call("POST", f"/api/v1/activities/{activity_id}/lottery/draw",
                                       {})
            return status, (body or {}).get("code")
        return call

    results = at_once([_run_job(app, tmp_path, f"job{i}") for i in range(3)]
                      + [press(w) for w in webs])
    for web in webs:
        web.close_all()

    jobs, presses = results[:3], results[3:]
    assert all(code == 0 for code, _ in jobs), results
    assert all(status in (200, 409) for status, _ in presses), results
    drew_by_job = sum(" 1 done" in out for _, out in jobs)
    drew_by_hand = sum(status == 200 for status, _ in presses)
    assert drew_by_job + drew_by_hand == 1, results
    assert [code for status, code in presses if status == 409] == \
        ["already_drawn"] * (2 - drew_by_hand)

    db.session.rollback()
    draws = db.session.scalars(select(LotteryDraw).where(
        LotteryDraw.activity_id == activity_id)).all()
    assert len(draws) == 1
    record = draws[0]
    assert record.source == ("organiser" if drew_by_hand else "scheduler")
    assert lottery.verify(record).ok
    statuses = Counter(db.session.scalars(select(Signup.status).where(
        Signup.activity_id == activity_id)))
    assert statuses == {"confirmed": 4, "waitlisted": 8}
    activity = db.session.get(Activity, activity_id)
    assert (activity.confirmed_count, activity.waitlist_count) == (4, 8)
    told = Counter(db.session.scalars(select(Notification.user_id).where(
        Notification.activity_id == activity_id,
        Notification.kind.in_(("lottery_won", "lottery_waitlisted")))))
    assert told == Counter({p.id: 1 for p in people})
    # every job run went through: the ones that came second found nothing to do
    runs = db.session.scalars(select(JobRun).where(JobRun.job == "lottery_draws")).all()
    assert len(runs) == 3 and {r.status for r in runs} == {"ok"}
    assert db.session.scalar(select(func.sum(JobRun.done)).where(
        JobRun.job == "lottery_draws")) == drew_by_job


def test_scheduler_processes_racing_each_other_draw_once(app, tmp_path, make_lottery,
                                                         make_user, now):
    """Without the organisers, whose requests answer before a process has started: the
    job processes meet each other on the activity's lock (and its unique draw)."""
    lot = make_lottery(capacity=2, closes_in=-timedelta(seconds=30),
                       opens_at=now - timedelta(days=1))
    people = [make_user(name=f"报名者{i:02d}") for i in range(6)]
    for person in people:
        signups.sign_up(lot.id, user=person, now=now - timedelta(hours=1))
    db.session.commit()
    activity_id = lot.id

    results = at_once([_run_job(app, tmp_path, f"job{i}") for i in range(4)])

    assert all(code == 0 for code, _ in results), results
    assert sum(" 1 done" in out for _, out in results) == 1, results
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(LotteryDraw).where(
        LotteryDraw.activity_id == activity_id)) == 1
    told = Counter(db.session.scalars(select(Notification.user_id).where(
        Notification.activity_id == activity_id)))
    assert told == Counter({p.id: 1 for p in people})
    runs = db.session.scalars(select(JobRun).where(JobRun.job == "lottery_draws")).all()
    assert len(runs) == 4 and {r.status for r in runs} == {"ok"}
