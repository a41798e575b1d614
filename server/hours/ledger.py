"""Writing the ledger: attendance when it closes, 补录, and reversing replacements.

Nothing here updates an entry. Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.accounts.models import User
from server.activities.models import Activity, Signup
from server.extensions import db
from server.hours import compute, errors
from server.hours.models import HourEntry, HourReview


def close_attendance(activity: Activity, *, now: datetime) -> list[HourEntry]:
    """Turn the activity's scans into pending entries, once per sign-up."""
    if activity.status == "cancelled":
        return []
    if now >= activity.ends_at:
        from server.checkin.services import auto_check_out
        auto_check_out(activity, now=now)
    done = set(db.session.scalars(select(HourEntry.signup_id).where(
        HourEntry.activity_id == activity.id, HourEntry.kind == "attendance")))
    made = []
    for signup in db.session.scalars(select(Signup).where(
            Signup.activity_id == activity.id, Signup.status == "confirmed")):
        if signup.id in done:
            continue
        found = compute.attendance(signup, activity, close=now)
        if not found["any_scan"]:
            continue
        entry = HourEntry(user_id=signup.user_id, activity_id=activity.id, signup_id=signup.id,
                          kind="attendance", minutes=found["minutes"],
                          served_from=found["served_from"], served_to=found["served_to"],
                          sources=found["sources"], flags=found["flags"], created_at=now)
        db.session.add(entry)
        made.append(entry)
    db.session.flush()
    return made


def _recorded(user_id: int, activity_id: int) -> bool:
    """A live (pending or approved, not reversed) entry exists for this person here."""
    entries = db.session.scalars(select(HourEntry).where(
        HourEntry.user_id == user_id, HourEntry.activity_id == activity_id,
        HourEntry.kind.in_(("attendance", "retroactive", "replacement")))).all()
    reversed_ids = set(db.session.scalars(select(HourEntry.reverses_id).where(
        HourEntry.reverses_id.in_([e.id for e in entries]))))
    return any(e.status != "rejected" and e.id not in reversed_ids for e in entries)


def file_retroactive(*, actor: User, activity: Activity, user: User, minutes: int,
                     evidence: str, now: datetime) -> HourEntry:
    """补录: for an activity that happened; capped at its length; always reviewed."""
    from server.activities.services import can_manage
    if actor.id != user.id and not can_manage(actor, activity):
        raise errors.NotReviewer()
    if activity.starts_at > now or activity.status in ("draft", "cancelled"):
        raise errors.NotYetHappened()
    cap = compute.activity_minutes(activity)
    if not 1 <= minutes <= cap:
        raise errors.OverCap(cap=cap)
    evidence = (evidence or "").strip()
    if len(evidence) < 4:
        raise errors.EvidenceRequired(errors={"evidence": ["required"]})
    if _recorded(user.id, activity.id):
        raise errors.AlreadyRecorded()
    entry = HourEntry(user_id=user.id, activity_id=activity.id, kind="retroactive",
                      minutes=minutes, sources=["retroactive"], flags=["retroactive"],
                      evidence=evidence[:2000], created_by_id=actor.id, created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def replace(entry: HourEntry, *, minutes: int, reviewer: User, reason: str,
            now: datetime) -> HourEntry:
    """New minutes for an entry: reverse it if it was approved, and add the replacement.

    The caller has locked the entry and checked the reviewer's right.
    """
    cap = compute.activity_minutes(entry.activity)
    if not 0 <= minutes <= cap:
        raise errors.OverCap(cap=cap)
    if entry.status == "approved":
        reversal = HourEntry(user_id=entry.user_id, activity_id=entry.activity_id,
                             signup_id=None, kind="reversal", minutes=-entry.minutes,
                             reverses_id=entry.id, reason=reason, sources=[], flags=[],
                             created_by_id=reviewer.id, created_at=now)
        db.session.add(reversal)
        db.session.flush()
        db.session.add(HourReview(entry_id=reversal.id, decision="approved",
                                  reviewer_id=reviewer.id, reason=reason, decided_at=now))
    elif entry.status == "pending":
        db.session.add(HourReview(entry_id=entry.id, decision="rejected",
                                  reviewer_id=reviewer.id, reason=reason, decided_at=now))
    new = HourEntry(user_id=entry.user_id, activity_id=entry.activity_id, signup_id=None,
                    kind="replacement", minutes=minutes, served_from=entry.served_from,
                    served_to=entry.served_to, sources=list(entry.sources),
                    flags=list(entry.flags), replaces_id=entry.id, reason=reason,
                    created_by_id=reviewer.id, created_at=now)
    db.session.add(new)
    db.session.flush()
    db.session.add(HourReview(entry_id=new.id, decision="approved", reviewer_id=reviewer.id,
                              reason=reason, decided_at=now))
    db.session.flush()
    db.session.refresh(entry)
    return new
