"""Writing the ledger: attendance when it closes, late scans, 补录, and replacements.

Nothing here updates an entry. A change is a new entry: a replacement that names the
entry it replaces, and, once the replacement is approved, a reversal of what it replaced
if that had counted. Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, func, insert, or_, select

from server.accounts.models import User
from server.activities.models import Activity, Signup
from server.extensions import db
from server.hours import compute, errors
from server.hours.models import COPIED, HourEntry, HourQueue, HourReview

LIVE_KINDS = ("attendance", "retroactive", "replacement", "imported")
CLAIM_KINDS = ("retroactive", "imported")  # hours filed by hand, not from scans


def _attendance_entry(signup: Signup, activity: Activity, found: dict, now: datetime,
                      flags: tuple[str, ...] = ()) -> HourEntry:
    return HourEntry(user_id=signup.user_id, activity_id=activity.id, signup_id=signup.id,
                     kind="attendance", minutes=found["minutes"],
                     served_from=found["served_from"], served_to=found["served_to"],
                     sources=found["sources"], flags=sorted({*found["flags"], *flags}),
                     created_at=now)


def close_attendance(activity: Activity, *, now: datetime) -> list[HourEntry]:
    """Turn the activity's scans into pending entries, once per sign-up. Subscribed to
    ACTIVITY_FINISHED after check-in (which has locked the sign-ups and checked out
    whoever was still inside)."""
    if activity.status == "cancelled":
        return []
    done = set(db.session.scalars(select(HourEntry.signup_id).where(
        HourEntry.activity_id == activity.id, HourEntry.kind == "attendance")))
    # who has 补录 or imported hours filed for this activity (while it ran, before they
    # checked in): read once, each looked at only if their scans make an entry
    claimed = set(db.session.scalars(select(HourEntry.user_id).where(
        HourEntry.activity_id == activity.id, HourEntry.kind.in_(CLAIM_KINDS))))
    made = []
    for signup in db.session.scalars(select(Signup).where(
            Signup.activity_id == activity.id, Signup.status == "confirmed")
            .order_by(Signup.id)):
        if signup.id in done:
            continue
        found = compute.attendance(signup, activity, close=now)
        if not found["any_scan"]:
            continue
        if signup.user_id in claimed and _claims_give_way(signup.user_id, activity.id, now):
            continue
        entry = _attendance_entry(signup, activity, found, now)
        db.session.add(entry)
        made.append(entry)
    db.session.flush()
    return made


def _claims_give_way(user_id: int, activity_id: int, now: datetime) -> bool:
    """The scans are about to make this person's entry here: a waiting 补录 (or imported)
    claim gives way to it (superseded), while one already approved keeps counting. Returns
    whether such a claim still counts, in which case no entry is made beside it: one
    service is never counted twice."""
    for claim in db.session.scalars(select(HourEntry).where(
            HourEntry.user_id == user_id, HourEntry.activity_id == activity_id,
            HourEntry.kind.in_(CLAIM_KINDS))):
        if claim.status == "pending":
            _supersede(claim, now=now, reason=None)
    return recorded(user_id, activity_id)


def on_activity_finished(*, activity: Activity, now: datetime) -> None:
    close_attendance(activity, now=now)


def on_activity_cancelling(*, activity: Activity, now: datetime) -> None:
    """Hours recorded for it (补录 approved or waiting, net of reversals): it happened, and
    is finished, not cancelled; a cancelled activity's hours would count in no one's eyes
    but the statistics'."""
    recorded = db.session.scalar(
        select(func.coalesce(func.sum(HourEntry.minutes), 0))
        .outerjoin(HourReview, HourReview.entry_id == HourEntry.id)
        .where(HourEntry.activity_id == activity.id,
               or_(HourReview.id.is_(None), HourReview.decision == "approved")))
    if recorded > 0:
        raise errors.HoursRecorded()


def head_of(entry: HourEntry) -> HourEntry:
    """The newest entry in the chain of replacements that starts at `entry`."""
    current = entry
    while True:
        newer = db.session.scalar(select(HourEntry).where(
            HourEntry.replaces_id == current.id, HourEntry.kind == "replacement")
            .order_by(HourEntry.id.desc()).limit(1))
        if newer is None:
            return current
        current = newer


def _supersede(entry: HourEntry, *, now: datetime, reason: str | None) -> None:
    db.session.add(HourReview(entry_id=entry.id, decision="superseded", reviewer_id=None,
                              reason=reason, decided_at=now))
    db.session.flush()
    db.session.expire(entry, ["review"])


def follow_late_scans(*, signup: Signup, now: datetime) -> HourEntry | None:
    """Scans accepted after attendance closed (offline phones uploading late): the hours
    follow, as a pending entry marked late, so no accepted scan is ever without hours.
    Subscribed to ATTENDANCE_CHANGED."""
    activity = db.session.get(Activity, signup.activity_id)
    found = compute.attendance(signup, activity, close=activity.finished_at or now)
    first = db.session.scalar(select(HourEntry).where(
        HourEntry.signup_id == signup.id, HourEntry.kind == "attendance"))
    if first is None:
        # scans that came after the finish for someone who filed 补录 meanwhile (most
        # likely because these scans were missing): the same rule as at the finish
        if _claims_give_way(signup.user_id, activity.id, now):
            return None
        entry = _attendance_entry(signup, activity, found, now, ("late_scan",))
        db.session.add(entry)
        db.session.flush()
        return entry
    head = head_of(first)
    same = (head.minutes, head.served_from, head.served_to) == (
        found["minutes"], found["served_from"], found["served_to"])
    if same and head.status != "superseded":
        return None  # nothing the reviewer has not seen
    if head.status == "pending":
        _supersede(head, now=now, reason=None)
    new = HourEntry(user_id=signup.user_id, activity_id=activity.id, signup_id=signup.id,
                    kind="replacement", replaces_id=head.id, minutes=found["minutes"],
                    served_from=found["served_from"], served_to=found["served_to"],
                    sources=found["sources"], flags=sorted({*found["flags"], "late_scan"}),
                    created_at=now)
    db.session.add(new)
    db.session.flush()
    return new


def recorded(user_id: int, activity_id: int) -> bool:
    """A live (pending or approved, not reversed) entry exists for this person here."""
    entries = db.session.scalars(select(HourEntry).where(
        HourEntry.user_id == user_id, HourEntry.activity_id == activity_id,
        HourEntry.kind.in_(LIVE_KINDS))).all()
    reversed_ids = set(db.session.scalars(select(HourEntry.reverses_id).where(
        HourEntry.reverses_id.in_([e.id for e in entries]))))
    return any(e.status in ("pending", "approved") and e.id not in reversed_ids
               for e in entries)


def held_a_place(user_id: int, activity_id: int) -> bool:
    return db.session.scalar(select(Signup.id).where(
        Signup.user_id == user_id, Signup.activity_id == activity_id,
        Signup.status == "confirmed").limit(1)) is not None


def checked_in(user_id: int, activity_id: int) -> bool:
    """Scanned in (a successful scan counted on their sign-up): the finish makes their entry."""
    return db.session.scalar(select(Signup.id).where(
        Signup.user_id == user_id, Signup.activity_id == activity_id,
        Signup.status == "confirmed", Signup.scan_seq > 0).limit(1)) is not None


def file_retroactive(*, actor: User, activity: Activity, user: User, minutes: int,
                     evidence: str, now: datetime) -> HourEntry:
    """补录: for an activity that happened; capped at its length; always reviewed.

    A volunteer files for an activity they held a place in; anyone else's hours are
    filed by the organising body, for a named person, and marked as filed by them.
    """
    from server.activities.services import can_manage
    from server.activities.signups import lock_activity
    # claims for one activity take turns (with its moves too: activities.update_activity
    # holds this lock, and the entry's queue row copies the activity's place), so that
    # `recorded` below sees a claim sent at the same moment
    activity = lock_activity(activity.id)
    for_someone = actor.id != user.id
    if for_someone and not can_manage(actor, activity):
        raise errors.NotReviewer()
    if activity.starts_at > now or activity.status in ("draft", "cancelled"):
        raise errors.NotYetHappened()
    if not for_someone and not held_a_place(user.id, activity.id):
        raise errors.RetroNeedsSignup()
    cap = compute.activity_minutes(activity)
    if not 1 <= minutes <= cap:
        raise errors.OverCap(cap=cap)
    evidence = (evidence or "").strip()
    if len(evidence) < 4:
        raise errors.EvidenceRequired()  # its message, beside the field: what to write
    if recorded(user.id, activity.id):
        raise errors.AlreadyRecorded()
    if activity.status == "published" and checked_in(user.id, activity.id):
        raise errors.CheckedIn()
    flags = ["retroactive", "filed_by_organiser"] if for_someone else ["retroactive"]
    entry = HourEntry(user_id=user.id, activity_id=activity.id, kind="retroactive",
                      minutes=minutes, sources=["retroactive"], flags=flags,
                      evidence=evidence[:2000], created_by_id=actor.id, created_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def file_for(*, actor: User, activity: Activity, phone: str, minutes: int, evidence: str,
             now: datetime) -> HourEntry:
    """The organising body files 补录 for a person it names by their full phone number:
    one who held a place in the activity, or lives in a place the filer serves. Any other
    number is answered as an unknown one (nobody learns a name by typing a number)."""
    from server.accounts.roles import find_resident_by_phone, find_user_by_phone
    from server.activities.services import can_manage
    if not can_manage(actor, activity):
        raise errors.NotReviewer()
    person = find_user_by_phone(phone)
    if person is not None and not held_a_place(person.id, activity.id):
        person = find_resident_by_phone(actor, phone)
    if person is None:
        raise errors.PersonNotFound()
    return file_retroactive(actor=actor, activity=activity, user=person, minutes=minutes,
                            evidence=evidence, now=now)


def _reverse(entry: HourEntry, *, reviewer: User | None, reason: str | None,
             now: datetime) -> None:
    reversal = HourEntry(user_id=entry.user_id, activity_id=entry.activity_id,
                         signup_id=None, kind="reversal", minutes=-entry.minutes,
                         reverses_id=entry.id, reason=reason, sources=[], flags=[],
                         created_by_id=reviewer.id if reviewer else None, created_at=now)
    db.session.add(reversal)
    db.session.flush()
    db.session.add(HourReview(entry_id=reversal.id, decision="approved",
                              reviewer_id=reviewer.id if reviewer else None, reason=reason,
                              decided_at=now))


def behind(entry_id: int, *, lock: bool = True) -> HourEntry:
    """What a replacement stands in for: back along the chain, past replacements that never
    counted (set aside by a later upload, or rejected), to the entry that counts or waits.
    A late upload replaces the waiting head of the chain, so the approved entry it corrects
    can be several links back."""
    old = db.session.get(HourEntry, entry_id, with_for_update=lock)
    while (old.kind == "replacement" and old.status in ("superseded", "rejected")
           and old.replaces_id is not None):
        old = db.session.get(HourEntry, old.replaces_id, with_for_update=lock)
    return old


def ahead(entry_id: int) -> list[HourEntry]:
    """The replacements that stand, or wait to stand, for this entry: forward along the
    chain, past replacements that never counted (set aside, rejected), to the approved or
    waiting ones. The mirror of `behind`."""
    found, frontier = [], [entry_id]
    while frontier:
        children = db.session.scalars(select(HourEntry).where(
            HourEntry.replaces_id.in_(frontier), HourEntry.kind == "replacement")
            .order_by(HourEntry.id)).all()
        frontier = [c.id for c in children if c.status in ("superseded", "rejected")]
        found += [c for c in children if c.status not in ("superseded", "rejected")]
    return found


def take_place_of(entry_id: int, *, reviewer: User | None, reason: str | None,
                   now: datetime) -> None:
    """An approved replacement of `entry_id` counts instead of it: what counted behind it
    is reversed (once), what still waited is set aside."""
    old = behind(entry_id)
    already = db.session.scalar(select(HourEntry.id).where(HourEntry.reverses_id == old.id))
    if old.status == "approved" and already is None:
        _reverse(old, reviewer=reviewer, reason=reason, now=now)
    elif old.status == "pending":
        _supersede(old, now=now, reason=reason)


def settle_replaced(entry: HourEntry, *, reviewer: User, now: datetime) -> None:
    """An approved replacement takes the place of what it replaces: that one is reversed
    if it counted, set aside if it was still waiting. The caller holds the entry's lock."""
    if entry.kind != "replacement" or entry.replaces_id is None:
        return
    take_place_of(entry.replaces_id, reviewer=reviewer, reason=entry.reason, now=now)


def replace(entry: HourEntry, *, minutes: int, reviewer: User, reason: str,
            now: datetime) -> HourEntry:
    """New minutes for an entry, approved at once: it reverses the entry if that was
    approved, sets it aside if it was pending, and sets aside any replacement of it still
    waiting (late scans). The caller has locked the entry and checked the right."""
    cap = compute.activity_minutes(entry.activity)
    if not 0 <= minutes <= cap:
        raise errors.OverCap(cap=cap)
    for waiting in ahead(entry.id):  # a late upload's, however far along the chain
        if waiting.status == "pending":
            _supersede(waiting, now=now, reason=reason)
    if entry.status == "approved":
        _reverse(entry, reviewer=reviewer, reason=reason, now=now)
    elif entry.status == "pending":
        db.session.add(HourReview(entry_id=entry.id, decision="rejected",
                                  reviewer_id=reviewer.id, reason=reason, decided_at=now))
        if entry.kind == "replacement":  # a late upload's: the new minutes stand for what it
            take_place_of(entry.replaces_id, reviewer=reviewer, reason=reason, now=now)
    new = HourEntry(user_id=entry.user_id, activity_id=entry.activity_id,
                    signup_id=entry.signup_id, kind="replacement", minutes=minutes,
                    served_from=entry.served_from, served_to=entry.served_to,
                    sources=list(entry.sources), flags=list(entry.flags),
                    replaces_id=entry.id, reason=reason, created_by_id=reviewer.id,
                    created_at=now)
    db.session.add(new)
    db.session.flush()
    db.session.add(HourReview(entry_id=new.id, decision="approved", reviewer_id=reviewer.id,
                              reason=reason, decided_at=now))
    db.session.flush()
    db.session.refresh(entry)
    return new


# --- what waits: hour_queue against the ledger ----------------------------------------------

def _waiting_in_ledger():
    """SQL: every entry without a review, reversals aside, as hour_queue holds it (entry,
    activity, and the activity's copied columns)."""
    return (select(HourEntry.id, HourEntry.activity_id,
                   *(getattr(Activity, name) for name in COPIED))
            .join(Activity, HourEntry.activity_id == Activity.id)
            .where(HourEntry.kind != "reversal",
                   ~exists().where(HourReview.entry_id == HourEntry.id)))


def queue_drift() -> list[str]:
    """Where hour_queue differs from the ledger (empty: they agree)."""
    ledger_says = {row[0]: tuple(row) for row in db.session.execute(_waiting_in_ledger())}
    stored = {row[0]: tuple(row) for row in db.session.execute(
        select(HourQueue.entry_id, HourQueue.activity_id,
               *(getattr(HourQueue, name) for name in COPIED)))}
    return ([f"entry {e} waits but is not in hour_queue"
             for e in sorted(ledger_says.keys() - stored.keys())]
            + [f"entry {e} is in hour_queue but does not wait"
               for e in sorted(stored.keys() - ledger_says.keys())]
            + [f"entry {e} is in hour_queue with another activity, end, place or organisation"
               for e in sorted(ledger_says.keys() & stored.keys())
               if ledger_says[e] != stored[e]])


def queue_entries(entry_ids: list[int]) -> None:
    """Queue entries written in bulk (the ORM's listener in models.py queues one written
    as an object): each waits for its review like any other."""
    if entry_ids:
        db.session.execute(insert(HourQueue).from_select(
            ["entry_id", "activity_id", *COPIED],
            _waiting_in_ledger().where(HourEntry.id.in_(entry_ids))))


def rebuild_queue() -> None:
    """Set hour_queue from the ledger (the migration's backfill; entries written in bulk,
    outside the ORM, are queued this way too)."""
    db.session.execute(delete(HourQueue))
    db.session.execute(insert(HourQueue).from_select(["entry_id", "activity_id", *COPIED],
                                                     _waiting_in_ledger()))
