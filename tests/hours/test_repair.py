"""flask hours check-replaced / settle-replaced: approved hours that an approved replacement
stood in for, left counting beside it by the code before 7caf784, are found and reversed."""

from __future__ import annotations

from datetime import timedelta

from server.extensions import db
from server.hours import ledger, services
from server.hours.models import HourEntry, HourReview
from tests.hours.test_services import _approved_then_late, _scan, done  # noqa: F401


def _left_counting(done, now):  # noqa: F811
    """What the old code left: approved 30 min, a late upload's 50 set aside by a second's
    59, and the 59 approved without reversing the 30."""
    activity, organiser, volunteer, signup = done
    start = activity.starts_at
    first, waiting = _approved_then_late(done, now)
    _scan(signup, activity, "entry", start + timedelta(minutes=1))
    last = ledger.follow_late_scans(signup=signup, now=now)
    assert db.session.get(HourEntry, waiting.id).status == "superseded"
    db.session.add(HourReview(entry_id=last.id, decision="approved", reviewer_id=organiser.id,
                              decided_at=now))  # approved as the old code did: nothing reversed
    db.session.flush()
    db.session.expire_all()
    assert services.summary(volunteer, now=now).total_minutes == 30 + 59
    return first, last, volunteer, organiser


def test_the_check_finds_them_and_the_settling_reverses_each_once(app, done, now):  # noqa: F811
    first, last, volunteer, organiser = _left_counting(done, now)
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["hours", "check-replaced"])
    assert checked.exit_code == 1
    assert f"entry {first.id} (30 min) still counts beside its approved replacement {last.id}" \
        in checked.output
    settled = runner.invoke(args=["hours", "settle-replaced"])
    assert settled.exit_code == 0 and "1 entries reversed" in settled.output
    db.session.expire_all()
    assert services.summary(volunteer, now=now).total_minutes == 59
    [reversal] = db.session.query(HourEntry).filter_by(reverses_id=first.id).all()
    assert (reversal.minutes, reversal.status, reversal.created_by_id) == (
        -30, "approved", organiser.id)  # in the name of whoever approved the replacement
    again = runner.invoke(args=["hours", "settle-replaced"])
    assert again.exit_code == 0 and "0 entries reversed" in again.output
    checked = runner.invoke(args=["hours", "check-replaced"])
    assert checked.exit_code == 0 and "no approved hours count beside" in checked.output
