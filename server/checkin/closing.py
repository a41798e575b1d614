"""An activity's end at the door: whoever is still inside leaves at its end (an automatic
check-out), when it is finished and, for those never finished, by the scheduler."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.activities.models import Activity, Signup
from server.checkin.models import Scan
from server.checkin.services import exit_grace, last_ok
from server.extensions import db


def auto_check_out(activity: Activity, *, now: datetime) -> int:
    """Everyone still inside when the activity ended leaves at its end, marked automatic.
    The caller holds the sign-ups' locks (finish) or takes them here, in id order."""
    if now < activity.ends_at:
        return 0
    return _check_out_everyone(activity, at=activity.ends_at, now=now)


def _check_out_everyone(activity: Activity, *, at: datetime, now: datetime) -> int:
    """Whoever is inside leaves at `at` (or at their last scan, if later): an automatic
    exit each, appended to the log."""
    inside = db.session.scalars(select(Signup).where(
        Signup.activity_id == activity.id, Signup.presence == "in")
        .order_by(Signup.id).with_for_update(key_share=True)).all()
    for signup in inside:
        last = last_ok(signup)
        signup.scan_seq = (signup.scan_seq or 0) + 1
        db.session.add(Scan(activity_id=activity.id, user_id=signup.user_id,
                            signup_id=signup.id, direction="exit", result="ok",
                            source="automatic", server_time=now,
                            effective_time=max(at, last.effective_time),
                            forced=False, walk_in=False, assisted=False, late=False,
                            seq=signup.scan_seq))
        signup.presence = "out"
    db.session.flush()
    return len(inside)


def _lock_signups(activity: Activity) -> None:
    """Every sign-up's lock, in id order, after the activity's: no scan is decided until the
    caller's transaction ends (a scan holds its sign-up's while it decides)."""
    db.session.scalars(select(Signup.id).where(Signup.activity_id == activity.id)
                       .order_by(Signup.id).with_for_update(key_share=True)).all()


def on_activity_finished(*, activity: Activity, now: datetime) -> None:
    """Subscribed to ACTIVITY_FINISHED before hours: no scan is decided while attendance
    closes; then whoever is still inside is checked out."""
    _lock_signups(activity)
    auto_check_out(activity, now=now)


def auto_check_out_due(*, now: datetime) -> int:
    """For the CLI (`flask checkin auto-checkout`): every activity past its end and its
    exit grace with people still inside (those within the grace may still scan out)."""
    due = db.session.scalars(select(Signup.activity_id).join(
        Activity, Signup.activity_id == Activity.id).where(
        Activity.ends_at <= now - exit_grace(), Activity.status != "cancelled",
        Signup.presence == "in").distinct()).all()
    return sum(auto_check_out(db.session.get(Activity, a), now=now) for a in due)


def on_activity_cancelling(*, activity: Activity, now: datetime) -> None:
    """Someone was checked in once it had started: the activity happened, and is finished,
    not cancelled. Before its start it did not happen yet: those who came early are checked
    out, and it can be called off. The sign-ups' locks first, as a finish takes them: a scan
    being decided is waited for, and its result seen."""
    from server.checkin import errors
    _lock_signups(activity)
    if now < activity.starts_at:
        _check_out_everyone(activity, at=now, now=now)
        return
    if db.session.scalar(select(Scan.id).where(
            Scan.activity_id == activity.id, Scan.result == "ok").limit(1)) is not None:
        raise errors.PeopleCheckedIn()
