"""Reviewing hours: "谁组织谁记录" — the organising body and the coordinators above it.

Each decision locks the entry row and writes one review row (unique per entry), so the
same entry approved by two reviewers at once is approved once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from server.accounts import permissions
from server.accounts.models import User
from server.activities.models import Activity, Signup
from server.activities.services import can_manage
from server.checkin.models import PaperBatch, Scan
from server.communities.models import Node
from server.core import events
from server.core.db import fetch
from server.core.errors import ValidationError
from server.extensions import db
from server.hours import errors, ledger
from server.hours.deadlines import Deadline, deadline, deadline_of, ended_on
from server.hours.models import CorrectionRequest, HourEntry, HourQueue, HourReview

# entries someone filed for others (a 补录 claim, a roster import): whoever filed one
# does not decide it
FILED = ("retroactive", "imported")


def can_review(user: User | None, activity: Activity) -> bool:
    return can_manage(user, activity) or permissions.oversees(user, activity.node)


def get_entry(entry_id: int, *, lock: bool = False) -> HourEntry:
    return fetch(HourEntry, entry_id, errors.EntryNotFound, lock=lock)


def helpers_of(entries: list[HourEntry]) -> dict[int, set[int]]:
    """Who helped record each entry's hours, and so does not decide them: whoever filed
    them for someone else (补录, a roster import), and whoever forced, assisted, admitted
    (walk-in) or entered from a paper sheet the scans.
    Two queries for any number of entries (the review queue shows many)."""
    found: dict[int, set[int]] = {
        e.id: {e.created_by_id} if e.kind in FILED and e.created_by_id else set()
        for e in entries}
    by_signup: dict[int, list[int]] = {}
    for e in entries:
        if e.signup_id is not None:
            by_signup.setdefault(e.signup_id, []).append(e.id)
    if by_signup:
        rows = db.session.execute(select(Scan.signup_id, Scan.operator_id).where(
            Scan.signup_id.in_(by_signup), Scan.result == "ok", Scan.operator_id.is_not(None),
            Scan.forced | Scan.assisted | Scan.walk_in | (Scan.source == "paper"))).all()
        rows += db.session.execute(select(Signup.id, Signup.acted_by_id).where(
            Signup.id.in_(by_signup), Signup.walk_in.is_(True),
            Signup.acted_by_id.is_not(None))).all()
        for signup_id, user_id in rows:
            for entry_id in by_signup[signup_id]:
                found[entry_id].add(user_id)
    return found


def paper_entered_by(entry: HourEntry) -> list[str]:
    """Who typed this entry's scans in from a paper sign-in sheet (for the reviewer)."""
    if entry.signup_id is None:
        return []
    names = db.session.scalars(
        select(User.name).join(PaperBatch, PaperBatch.entered_by_id == User.id)
        .join(Scan, Scan.paper_batch_id == PaperBatch.id)
        .where(Scan.signup_id == entry.signup_id, Scan.result == "ok")
        .order_by(Scan.id)).all()
    return list(dict.fromkeys(names))


def helpers(entry: HourEntry) -> set[int]:
    return helpers_of([entry])[entry.id]


def _checked(entry_id: int, reviewer: User) -> HourEntry:
    entry = get_entry(entry_id, lock=True)
    if not can_review(reviewer, entry.activity):
        raise errors.NotReviewer()
    if entry.user_id == reviewer.id:
        raise errors.OwnHours()
    if entry.kind == "reversal":
        raise errors.AlreadyReviewed()
    if reviewer.id in helpers(entry):
        raise errors.HelpedRecord()
    return entry


def _decide(entry: HourEntry, decision: str, reviewer: User, reason: str | None,
            now: datetime) -> HourEntry:
    if entry.review is not None:
        raise errors.AlreadyReviewed()
    try:
        with db.session.begin_nested():
            db.session.add(HourReview(entry_id=entry.id, decision=decision,
                                      reviewer_id=reviewer.id, reason=reason, decided_at=now))
    except IntegrityError:
        raise errors.AlreadyReviewed() from None
    if decision == "approved":
        ledger.settle_replaced(entry, reviewer=reviewer, now=now)
    else:  # rejected: a correction asked on it is answered by the rejection, not left open
        _answered_by(entry, None, reviewer=reviewer, reason=reason or "", now=now)
    db.session.refresh(entry)
    events.announce(events.HOURS_DECIDED, entry=entry, decision=decision, reason=reason,
                    now=now)
    return entry


def approve(entry_id: int, *, reviewer: User, now: datetime) -> HourEntry:
    return _decide(_checked(entry_id, reviewer), "approved", reviewer, None, now)


def reject(entry_id: int, *, reviewer: User, reason: str, now: datetime) -> HourEntry:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(errors={"reason": ["required"]})
    return _decide(_checked(entry_id, reviewer), "rejected", reviewer, reason, now)


def adjust(entry_id: int, *, reviewer: User, minutes: int, reason: str,
           now: datetime) -> HourEntry:
    """Other minutes, with a reason: a reversing replacement, never an edit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(errors={"reason": ["required"]})
    entry = _checked(entry_id, reviewer)
    if db.session.scalar(select(HourEntry.id).where(HourEntry.reverses_id == entry.id)) or (
            entry.status == "rejected"):
        raise errors.AlreadyReviewed()
    new = ledger.replace(entry, minutes=minutes, reviewer=reviewer, reason=reason, now=now)
    _answered_by(entry, new, reviewer=reviewer, reason=reason, now=now)
    events.announce(events.HOURS_DECIDED, entry=new, decision="adjusted", reason=reason,
                    now=now)
    return new


def _answered_by(entry: HourEntry, new: HourEntry | None, *, reviewer: User, reason: str,
                 now: datetime) -> None:
    """A correction the volunteer asked for on this entry is answered by its adjustment
    (`new`), whether the reviewer came from the request or adjusted the entry from the queue,
    or declined by its rejection (`new` None): left open, it would ask for a change to an
    entry that no longer counts. The entry's lock (held) orders this after a request sent
    meanwhile (services.request_correction locks it too); the volunteer hears of it as of the
    adjustment or the rejection."""
    for req in db.session.scalars(select(CorrectionRequest).where(
            CorrectionRequest.entry_id == entry.id, CorrectionRequest.answer.is_(None))
            .with_for_update()):
        req.answer = "corrected" if new is not None else "declined"
        req.new_entry_id = new.id if new is not None else None
        req.answer_reason, req.answered_by_id, req.answered_at = reason, reviewer.id, now


@dataclass
class BulkResult:
    approved: int
    # left for one-by-one review: 补录 claims, and hours the reviewer helped record
    left: int


def bulk_approvable(entries: list[HourEntry], reviewer: User,
                    helped: dict[int, set[int]] | None = None) -> list[HourEntry]:
    """What "approve all" approves of these entries (the page counts with it too): not
    the reviewer's own, never a retroactive claim (it is read, not waved through), never
    hours the reviewer helped record (`helped`: helpers_of(entries), if already read)."""
    helped = helpers_of(entries) if helped is None else helped
    return [e for e in entries if e.status == "pending" and e.kind != "reversal"
            and e.user_id != reviewer.id and e.kind != "retroactive"
            and "retroactive" not in (e.flags or []) and reviewer.id not in helped[e.id]]


def approve_activity(activity: Activity, *, reviewer: User, now: datetime) -> BulkResult:
    """Approve every pending attendance entry of one activity, except the reviewer's own,
    retroactive claims and hours the reviewer helped record."""
    if not can_review(reviewer, activity):
        raise errors.NotReviewer()
    entries = [get_entry(entry_id, lock=True) for entry_id in pending_ids(activity)]
    waiting = [e for e in entries if e.user_id != reviewer.id and e.review is None]
    chosen = bulk_approvable(waiting, reviewer)
    for entry in chosen:
        _decide(entry, "approved", reviewer, None, now)
    return BulkResult(approved=len(chosen), left=len(waiting) - len(chosen))


def _pending_by_activity(*conds) -> list[tuple[Activity, int]]:
    """Activities with entries waiting for a decision, and how many: one grouped query
    over the waiting rows (hour_queue), not over the whole ledger."""
    return [tuple(row) for row in db.session.execute(
        select(Activity, func.count(HourQueue.entry_id)).select_from(HourQueue)
        .join(Activity, HourQueue.activity_id == Activity.id)
        .join(Node, HourQueue.node_id == Node.id)
        .where(*conds).group_by(Activity.id).order_by(Activity.ends_at))]


@dataclass
class Waiting:
    """What waits for a reviewer: entries, and activities by how their deadline stands."""

    pending: int = 0
    activities: int = 0
    overdue: int = 0
    soon: int = 0


def waiting(reviewer: User, *, today: date) -> Waiting:
    """Counted by the day the activities ended (a deadline is the same for all of one
    day): one row a day, not one an activity, whatever the backlog (the scheduler's daily
    summary asks for every reviewer)."""
    found = Waiting()
    day = ended_on(HourQueue.ends_at).label("day")
    for ended, entries, activities in db.session.execute(
            select(day, func.count(HourQueue.entry_id),
                   func.count(distinct(HourQueue.activity_id)))
            .select_from(HourQueue).join(Node, HourQueue.node_id == Node.id)
            .where(reviewable(reviewer, HourQueue.organisation_id)).group_by(day)):
        found.pending += entries
        found.activities += activities
        state = deadline_of(ended, today=today).state
        found.overdue += activities if state == "overdue" else 0
        found.soon += activities if state == "soon" else 0
    return found


def pending_since(ended_after: datetime) -> list[tuple[Activity, int]]:
    """Every activity that ended after `ended_after` with entries still waiting (the
    scheduler's deadline warnings)."""
    return _pending_by_activity(Activity.ends_at > ended_after)


def pending_ids(activity: Activity) -> list[int]:
    return list(db.session.scalars(
        select(HourQueue.entry_id).where(HourQueue.activity_id == activity.id)
        .order_by(HourQueue.entry_id)))


PER_PAGE = 20  # activities (groups) on one page of the review queue


@dataclass
class QueueGroup:
    activity: Activity
    deadline: Deadline
    entries: list[HourEntry] = field(default_factory=list)
    # read with the page, for all its groups at once: entry id -> who helped record it,
    # and who typed it in from a paper sheet
    helped: dict[int, set[int]] = field(default_factory=dict)
    paper: dict[int, list[str]] = field(default_factory=dict)

    @property
    def due(self) -> date | None:
        return self.deadline.due


@dataclass
class QueuePage:
    groups: list[QueueGroup]
    total: int  # activities with entries waiting, on all pages
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def reviewable(reviewer: User, organisation_id=Activity.organisation_id):
    """SQL condition on Activity (joined with its Node): the activities this person reviews;
    on hour_queue (joined with the Node it names), given its organisation_id column."""
    org_ids = permissions.organiser_org_ids(reviewer)
    cond = permissions.under(Node.path, permissions.scope_paths(reviewer, "coordinator", "admin"))
    if org_ids:
        cond = cond | organisation_id.in_(org_ids)
    return cond


def _soonest_first(group: QueueGroup) -> tuple:
    # a due date not yet known is at least weeks away (its year has not begun). Activities
    # that ended on a Saturday and on the Sunday share a due date: the earlier end first,
    # as the queue's pages are cut (queue), or a page would list them against its order
    return (group.due is None, group.due or date.max, group.activity.ends_at,
            group.activity.id)


def paper_names_of(entries: list[HourEntry]) -> dict[int, list[str]]:
    """paper_entered_by for many entries in one query (only those flagged "paper")."""
    by_signup: dict[int, list[int]] = {}
    for e in entries:
        if e.signup_id is not None and "paper" in (e.flags or []):
            by_signup.setdefault(e.signup_id, []).append(e.id)
    found: dict[int, list[str]] = {}
    if not by_signup:
        return found
    for signup_id, name in db.session.execute(
            select(Scan.signup_id, User.name)
            .join(PaperBatch, Scan.paper_batch_id == PaperBatch.id)
            .join(User, PaperBatch.entered_by_id == User.id)
            .where(Scan.signup_id.in_(by_signup), Scan.result == "ok").order_by(Scan.id)):
        for entry_id in by_signup[signup_id]:
            names = found.setdefault(entry_id, [])
            if name not in names:
                names.append(name)
    return found


def _waiting_entries(*conds):
    """The waiting entries (conds on HourQueue), their (absent) reviews loaded with them."""
    return (select(HourEntry).join(HourQueue, HourQueue.entry_id == HourEntry.id)
            .outerjoin(HourReview, HourReview.entry_id == HourEntry.id)
            .where(*conds)
            .options(contains_eager(HourEntry.review), joinedload(HourEntry.user),
                     joinedload(HourEntry.created_by))
            .order_by(HourEntry.id))


def _groups(activities: list[Activity], entries: list[HourEntry], *,
            today: date) -> list[QueueGroup]:
    """Groups with their entries, helpers and paper names: a fixed number of queries."""
    groups = {a.id: QueueGroup(a, deadline(a, today=today)) for a in activities}
    for entry in entries:
        groups[entry.activity_id].entries.append(entry)
    helped, paper = helpers_of(entries), paper_names_of(entries)
    for group in groups.values():
        group.helped = {e.id: helped[e.id] for e in group.entries}
        group.paper = {e.id: paper[e.id] for e in group.entries if e.id in paper}
    return sorted(groups.values(), key=_soonest_first)


def _activities(ids) -> list[Activity]:
    return list(db.session.scalars(select(Activity).where(Activity.id.in_(ids)).options(
        joinedload(Activity.organisation), joinedload(Activity.node))))


def queue(reviewer: User, *, today: date, page: int = 1,
          per_page: int = PER_PAGE) -> QueuePage:
    """Pending entries the reviewer may decide, by activity, soonest due first, a page of
    activities at a time. The same statements for any number of entries: the page's
    activities (grouped, counted in the same pass), the activities, their entries with
    volunteers, then helpers and paper names for all of them at once. What waits is read
    from hour_queue alone (it carries each activity's end, place and organisation), in the
    order of its index on the end, so the cost follows the waiting rows, not the ledger's
    size nor the number of activities."""
    q = HourQueue
    waiting_ids = (
        select(q.activity_id).join(Node, q.node_id == Node.id)
        .where(reviewable(reviewer, q.organisation_id)).group_by(q.ends_at, q.activity_id))
    # the due date follows the end day, so the end orders the pages as it orders a page;
    # the number of groups comes with them (one pass over what waits, not two)
    found = db.session.execute(
        waiting_ids.add_columns(func.count().over()).order_by(q.ends_at, q.activity_id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    ids = [row[0] for row in found]
    if not ids:
        total = db.session.scalar(select(func.count()).select_from(waiting_ids.subquery()))
        return QueuePage([], total or 0, page, per_page)
    total = found[0][1]
    entries = list(db.session.scalars(_waiting_entries(HourQueue.activity_id.in_(ids))).unique())
    return QueuePage(_groups(_activities(ids), entries, today=today), total, page, per_page)


def group(activity: Activity, entry_ids: list[int], *, today: date) -> QueueGroup:
    """One activity's group as the queue shows it, with these entries (decided or not)."""
    entries = list(db.session.scalars(
        select(HourEntry).where(HourEntry.id.in_(entry_ids)).order_by(HourEntry.id)
        .options(joinedload(HourEntry.review), joinedload(HourEntry.user),
                 joinedload(HourEntry.created_by))).unique()) if entry_ids else []
    return _groups([activity], entries, today=today)[0]
