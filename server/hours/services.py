"""What a volunteer sees of their hours, stars and corrections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from server.accounts.models import User
from server.activities.models import Activity
from server.communities.models import Node
from server.core.clock import local
from server.core.errors import Forbidden, ValidationError
from server.extensions import db
from server.hours import errors, ledger, notices, review
from server.hours.models import CorrectionRequest, HourEntry, HourReview


def star_level(total_minutes: int) -> tuple[int, int | None]:
    """(stars, hours needed for the next star or None at the top). Thresholds in config."""
    hours = total_minutes / 60
    thresholds = current_app.config["STAR_THRESHOLDS_HOURS"]
    stars = sum(1 for t in thresholds if hours >= t)
    return stars, (thresholds[stars] if stars < len(thresholds) else None)


@dataclass
class ActivityHours:
    activity_id: int
    title: str
    starts_at: datetime
    minutes: int
    # the entry that counts now for this activity, where an error in it is reported
    entry_id: int | None = None


@dataclass
class Summary:
    total_minutes: int
    year_minutes: int
    stars: int
    next_star_hours: int | None
    minutes_to_next: int | None
    by_activity: list[ActivityHours]
    pending: list[HourEntry]
    rejected: list[HourEntry]


def entries_of(user: User) -> list[HourEntry]:
    return list(db.session.scalars(
        select(HourEntry).where(HourEntry.user_id == user.id)
        .options(joinedload(HourEntry.activity), joinedload(HourEntry.review))
        .order_by(HourEntry.created_at.desc(), HourEntry.id.desc())).unique())


def speaks_for(viewer: User | None, person_id: int) -> bool:
    """The person themself, or the guardian who manages them (a family member without a
    phone, accounts.family): who may see their hours and certificates."""
    if viewer is None:
        return False
    if viewer.id == person_id:
        return True
    person = db.session.get(User, person_id)
    return person is not None and person.managed_by_id == viewer.id


def summary(user: User, *, now: datetime) -> Summary:
    """Totals count approved entries only (reversals included, so corrections net out)."""
    entries = entries_of(user)
    approved = [e for e in entries if e.status == "approved"]
    total = sum(e.minutes for e in approved)
    year = local(now).year
    year_total = sum(e.minutes for e in approved if local(e.activity.starts_at).year == year)
    # an entry an approved replacement or a reversal took the place of no longer counts
    # (one that was rejected, or set aside by a later upload, took nothing's place)
    done_with = {e.replaces_id for e in approved} | {e.reverses_id for e in approved}
    per: dict[int, ActivityHours] = {}
    for e in approved:  # newest first
        row = per.setdefault(e.activity_id, ActivityHours(e.activity_id, e.activity.title,
                                                          e.activity.starts_at, 0))
        row.minutes += e.minutes
        if row.entry_id is None and e.kind != "reversal" and e.id not in done_with:
            row.entry_id = e.id
    stars, next_at = star_level(total)
    return Summary(
        total_minutes=total, year_minutes=year_total, stars=stars, next_star_hours=next_at,
        minutes_to_next=None if next_at is None else max(next_at * 60 - total, 0),
        by_activity=sorted((r for r in per.values() if r.minutes),
                           key=lambda r: r.starts_at, reverse=True),
        pending=[e for e in entries if e.status == "pending" and e.kind != "reversal"],
        rejected=[e for e in entries if e.status == "rejected"])


def history(entry: HourEntry) -> list[HourEntry]:
    """The entry, what reversed or replaced it, and so on: the whole story, oldest first."""
    seen, queue, story = set(), [entry], []
    while queue:
        current = queue.pop(0)
        if current.id in seen:
            continue
        seen.add(current.id)
        story.append(current)
        queue.extend(db.session.scalars(select(HourEntry).where(
            (HourEntry.reverses_id == current.id) | (HourEntry.replaces_id == current.id))))
        if current.replaces_id:
            queue.append(db.session.get(HourEntry, current.replaces_id))
    return sorted(story, key=lambda e: (e.created_at, e.id))


def correctable(entry: HourEntry) -> bool:
    """An error is reported on the entry that counts now: not a reversal, not one that
    was rejected, set aside or replaced (those are answered with 补录 or a new review)."""
    if entry.kind == "reversal" or entry.status in ("rejected", "superseded"):
        return False
    # a replacement waiting or approved anywhere along the chain (ledger.ahead: one
    # rejected or set aside replaced nothing)
    if ledger.ahead(entry.id):
        return False
    return db.session.scalar(select(HourEntry.id).where(
        HourEntry.reverses_id == entry.id).limit(1)) is None


def open_correction(entry: HourEntry) -> CorrectionRequest | None:
    return db.session.scalar(select(CorrectionRequest).where(
        CorrectionRequest.entry_id == entry.id, CorrectionRequest.answer.is_(None)))


def can_request_correction(entry: HourEntry, user: User) -> bool:
    """What the page offers is what the service accepts: one rule, here."""
    return entry.user_id == user.id and correctable(entry) and open_correction(entry) is None


def request_correction(entry: HourEntry, *, user: User, message: str,
                       now: datetime) -> CorrectionRequest:
    """A volunteer reports an error; the organising body must check and answer."""
    if entry.user_id != user.id:
        raise errors.EntryNotFound()
    # the entry's row, as an adjustment locks it (review.adjust): one made meanwhile is
    # seen below (the entry no longer counts), one made after answers this request
    review.get_entry(entry.id, lock=True)
    if not correctable(entry):
        raise errors.NotCorrectable()
    message = (message or "").strip()
    if len(message) < 4:
        raise ValidationError(errors={"message": ["required"]})
    if open_correction(entry) is not None:
        raise errors.CorrectionOpen()
    req = CorrectionRequest(entry_id=entry.id, user_id=user.id, message=message[:2000],
                            created_at=now)
    try:
        with db.session.begin_nested():  # two taps at once: the unique index says no
            db.session.add(req)
    except IntegrityError:
        raise errors.CorrectionOpen() from None
    return req


def answer_correction(req: CorrectionRequest, *, reviewer: User, now: datetime,
                      reason: str, minutes: int | None = None) -> CorrectionRequest:
    """Correct (new minutes, as a reversing replacement) or decline, always with a reason.
    The request's row is locked: two reviewers answering at once answer it once. The
    entry's first, as review.adjust and request_correction take it, so that an answer and an
    adjustment from the queue at once take turns instead of each holding what the other
    waits for."""
    review.get_entry(req.entry_id, lock=True)
    db.session.refresh(req, with_for_update=True)
    if req.answer is not None:
        raise errors.AlreadyReviewed()
    if not review.can_review(reviewer, req.entry.activity):
        raise errors.NotReviewer()
    if req.user_id == reviewer.id:
        raise errors.OwnHours()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(errors={"reason": ["required"]})
    if minutes is not None:  # the adjustment answers the request (review._answered_by)
        review.adjust(req.entry_id, reviewer=reviewer, minutes=minutes, reason=reason, now=now)
    else:
        req.answer = "declined"
    req.answer_reason, req.answered_by_id, req.answered_at = reason, reviewer.id, now
    db.session.flush()
    if req.answer == "declined":  # a correction is heard as the adjustment it made
        notices.correction_declined(req, now=now)
    return req


def corrections_of(user: User) -> list[CorrectionRequest]:
    return list(db.session.scalars(select(CorrectionRequest).where(
        CorrectionRequest.user_id == user.id).order_by(CorrectionRequest.id.desc())))


# open correction requests shown at once, oldest first: answering one brings the next
CORRECTIONS_SHOWN = 20


@dataclass
class OpenCorrections:
    rows: list[CorrectionRequest]  # the oldest CORRECTIONS_SHOWN
    total: int  # all that wait for this reviewer


def open_corrections(reviewer: User, *, shown: int | None = None) -> OpenCorrections:
    """The open correction requests this reviewer may answer (not their own), oldest first,
    as many as `shown` (CORRECTIONS_SHOWN), and how many wait in all (counted only when
    there are more)."""
    shown = CORRECTIONS_SHOWN if shown is None else shown
    waiting = (select(CorrectionRequest)
               .join(HourEntry, CorrectionRequest.entry_id == HourEntry.id)
               .join(Activity, HourEntry.activity_id == Activity.id)
               .join(Node, Activity.node_id == Node.id)
               .where(CorrectionRequest.answer.is_(None),
                      CorrectionRequest.user_id != reviewer.id, review.reviewable(reviewer)))
    rows = list(db.session.scalars(
        waiting.options(joinedload(CorrectionRequest.entry).joinedload(HourEntry.activity),
                        joinedload(CorrectionRequest.entry).joinedload(HourEntry.user),
                        joinedload(CorrectionRequest.entry).joinedload(HourEntry.review))
        .order_by(CorrectionRequest.id).limit(shown + 1)))
    if len(rows) <= shown:
        return OpenCorrections(rows=rows, total=len(rows))
    total = db.session.scalar(select(func.count()).select_from(waiting.subquery()))
    return OpenCorrections(rows=rows[:shown], total=total)


def reviewed_by(entry: HourEntry) -> HourReview | None:
    return entry.review


def ensure_reviewer(user: User, entry: HourEntry) -> None:
    if not review.can_review(user, entry.activity):
        raise Forbidden()


# --- what the hours domain holds about a person (server.core.personal_data) ---------------

def hour_rows(user: User) -> list[dict]:
    from server.core.personal_data import when
    entries = db.session.scalars(
        select(HourEntry).where(HourEntry.user_id == user.id)
        .options(joinedload(HourEntry.activity), joinedload(HourEntry.review))
        .order_by(HourEntry.id)).all()
    return [{"activity": e.activity.title, "kind": e.kind, "minutes": e.minutes,
             "status": e.status, "recorded_at": when(e.created_at), "evidence": e.evidence,
             "reason": e.reason, "reviewed_at": when(e.review.decided_at) if e.review else None,
             "review_reason": e.review.reason if e.review else None}
            for e in entries]


def certificate_rows(user: User) -> list[dict]:
    from server.core.personal_data import when
    from server.hours.models import Certificate
    return [{"number": c.number, "status": c.status, "requested_at": when(c.requested_at),
             "purpose": c.purpose, "minutes": c.total_minutes,
             "name_printed": c.volunteer_name, "id_number_printed": c.id_number_masked,
             "lines": c.lines, "issuer": c.issuer_name, "issued_at": when(c.issued_at),
             "reason": c.revoked_reason}
            for c in db.session.scalars(select(Certificate).where(
                Certificate.user_id == user.id).order_by(Certificate.id))]


def correction_rows(user: User) -> list[dict]:
    from server.core.personal_data import when
    return [{"entry": c.entry_id, "message": c.message, "asked_at": when(c.created_at),
             "answer": c.answer, "answer_reason": c.answer_reason,
             "answered_at": when(c.answered_at)}
            for c in db.session.scalars(select(CorrectionRequest).where(
                CorrectionRequest.user_id == user.id).order_by(CorrectionRequest.id))]


def on_person_erased(*, user: User, now: datetime, **_) -> None:
    """PERSON_ERASED: open certificate requests and corrections are closed, and what the
    person wrote in them goes. Certificates already issued stay as the organising body
    issued them (its signature covers the name printed; the verification page shows it
    masked): a document it is answerable for, not the platform's to rewrite."""
    from sqlalchemy import update

    from server.hours.models import Certificate
    db.session.execute(update(Certificate).where(
        Certificate.user_id == user.id, Certificate.status == "requested").values(
        status="declined", revoked_reason="account_deleted", revoked_at=now))
    db.session.execute(update(Certificate).where(Certificate.user_id == user.id)
                       .values(purpose=None))
    db.session.execute(update(CorrectionRequest).where(
        CorrectionRequest.user_id == user.id, CorrectionRequest.answer.is_(None)).values(
        answer="declined", answer_reason="account_deleted", answered_at=now))
    db.session.execute(update(CorrectionRequest).where(CorrectionRequest.user_id == user.id)
                       .values(message=""))
