"""Two organisers entering the same paper sheet at once, from separate server processes
(a real gunicorn), and the same batch sent twice at once: one attendance per person."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.activities.models import Signup
from server.checkin import paper
from server.checkin.models import PaperBatch, Scan
from server.extensions import db
from server.hours.models import HourEntry
from tests.live import at_once, retried_deadlocks

pytestmark = pytest.mark.concurrency
PEOPLE = 15


@pytest.fixture
def finished_sheet(make_activity, make_user, grant, give_place):
    """An activity that ran from 3 h to 1 h ago and was finished, two organisers, and the
    printed sheet's rows (so every accepted tick is late and its hours follow at once)."""
    def make(trial):
        activity = make_activity(starts_in=timedelta(hours=-3), hours=2, status="finished",
                                 title=f"入户走访{trial}")
        organisers = [make_user(name=f"组织者{trial}{i}") for i in range(2)]
        for o in organisers:
            grant(o, "organiser", activity.node, activity.organisation)
        for i in range(PEOPLE):
            give_place(activity, make_user(name=f"居民{trial}-{i}"))
        rows = [{"token": r.token, "entry": True, "exit": True}
                for r in paper.sheet(activity)]
        db.session.commit()
        return activity.id, organisers, rows
    return make


def _enter(c, activity_id, nonce, rows):
    def call():
        status, data, _ = c.call("POST", f"/api/v1/activities/{activity_id}/paper-sheet/entries",
                                 {"nonce": nonce, "rows": rows})
        return data if status == 200 else (status, data)
    return call


def _results(data) -> list[tuple[str, str]]:
    return [(r["entry"]["result"], r["exit"]["result"]) for r in data["rows"]]


def test_two_organisers_entering_one_sheet_at_once_make_one_attendance_each(
        connect, finished_sheet, gunicorn):
    before = len(retried_deadlocks(gunicorn))
    for trial in range(4):
        activity_id, organisers, rows = finished_sheet(trial)
        a, b = (connect(o) for o in organisers)
        # the same sheet, typed in by each in their own order
        first, second = at_once([_enter(a, activity_id, f"sheet-a-{trial:04d}", rows),
                                 _enter(b, activity_id, f"sheet-b-{trial:04d}", rows[::-1])])
        assert isinstance(first, dict) and isinstance(second, dict), (first, second)
        answers = Counter(_results(first) + _results(second))
        assert answers == {("ok", "ok"): PEOPLE,
                           ("already_checked_in", "already_checked_out"): PEOPLE}, answers
        db.session.expire_all()
        signups = db.session.scalars(select(Signup.id).where(
            Signup.activity_id == activity_id)).all()
        ok = dict(db.session.execute(select(Scan.signup_id, func.count()).where(
            Scan.activity_id == activity_id, Scan.result == "ok")
            .group_by(Scan.signup_id)).all())
        assert ok == {s: 2 for s in signups}  # one stay each: in and out once
        entries = db.session.scalars(select(HourEntry).where(
            HourEntry.activity_id == activity_id)).all()
        assert sorted(e.signup_id for e in entries) == sorted(signups)
        assert all(e.status == "pending" and e.minutes == 120 and "paper" in e.flags
                   for e in entries)
    assert retried_deadlocks(gunicorn)[before:] == []  # they took turns


def test_one_batch_sent_three_times_at_once_is_entered_once(connect, finished_sheet):
    activity_id, organisers, rows = finished_sheet("x")
    phones = [connect(organisers[0]) for _ in range(3)]
    answers = at_once([_enter(p, activity_id, "sheet-same-0001", rows) for p in phones])
    assert all(isinstance(x, dict) for x in answers), answers
    assert len({x["id"] for x in answers}) == 1
    assert all(_results(x) == [("ok", "ok")] * PEOPLE for x in answers)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PaperBatch)) == 1
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 2 * PEOPLE
