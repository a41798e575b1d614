"""Hours in and out: entries with their review and history, the summary, the review queue.

The label tables (flags, sources, kinds) live here because both doors, the API and the
pages, show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import validate as v

from server.accounts.privacy import mask_phone
from server.core import timefmt
from server.core.fields import (
    Computed,
    Count,
    Id,
    LocalDateTime,
    Text,
    Whole,
)
from server.core.labels import label
from server.hours.models import CorrectionRequest, HourEntry
from server.hours.review import PER_PAGE
from server.hours.services import Summary

MAX_MINUTES = 100_000  # far above any activity; the services cap at the activity's length

FLAG = {
    "auto_checkout": _l("Checked out automatically"),
    "duplicate_scans": _l("Scanned twice (offline phones)"),
    "self_checkin": _l("Self check-in"),
    "poster_checkin": _l("Checked in from the poster"),
    "no_location": _l("No location"),
    "walk_in": _l("Walk-in"),
    "forced": _l("Forced by organiser"),
    "retroactive": _l("Retroactive (补录)"),
    "assisted": _l("Found by name or phone"),
    "late_scan": _l("Scans uploaded after the activity was finished"),
    "filed_by_organiser": _l("Filed by the organiser"),
    "paper": _l("Paper sign-in sheet"),
}
SOURCE = {
    "organiser_scan": _l("Organiser scan"),
    "self": _l("Self scan"),
    "self_poster": _l("Self scan of the poster"),
    "offline_upload": _l("Scanned offline"),
    "manual_search": _l("Found by name"),
    "phone_lookup": _l("Found by phone number"),
    "automatic": _l("Automatic check-out"),
    "retroactive": _l("Retroactive (补录)"),
    "paper": _l("Paper sign-in sheet"),
    "import": _l("Imported from a roster"),
}
KIND = {
    "attendance": _l("Attendance"),
    "retroactive": _l("Retroactive (补录)"),
    "replacement": _l("Corrected minutes"),
    "reversal": _l("Reversal"),
    "imported": _l("Imported from a roster"),
}
STATUS = {
    "pending": _l("Pending review"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "superseded": _l("Replaced by a newer record"),
}
ANSWER = {
    None: _l("Waiting for an answer"),
    "corrected": _l("Corrected"),
    "declined": _l("Declined"),
}


def hours_text(minutes: int | None) -> str:
    """Hours with one decimal, as shown everywhere: 90 minutes -> "1.5"."""
    return str(timefmt.hours(minutes))


# --- in -----------------------------------------------------------------------------------

class CorrectionIn(ma.Schema):
    message = ma.fields.String(required=True, validate=v.Length(min=1, max=2000))


class RetroactiveIn(ma.Schema):
    activity_id = Id(required=True)
    minutes = Whole(required=True, validate=v.Range(1, MAX_MINUTES))
    evidence = ma.fields.String(required=True, validate=v.Length(min=1, max=2000))


class FileForIn(ma.Schema):
    """补录 filed by the organising body for a named person (found by full phone)."""

    phone = ma.fields.String(required=True, validate=v.Length(min=1, max=20))
    minutes = Whole(required=True, validate=v.Range(1, MAX_MINUTES))
    evidence = ma.fields.String(required=True, validate=v.Length(min=1, max=2000))


class RejectIn(ma.Schema):
    reason = ma.fields.String(required=True, validate=v.Length(min=1, max=500))


class AdjustIn(ma.Schema):
    minutes = Whole(required=True, validate=v.Range(0, MAX_MINUTES))
    reason = ma.fields.String(required=True, validate=v.Length(min=1, max=500))


class AnswerIn(ma.Schema):
    """Correct with new minutes, or decline (no minutes); a reason either way."""

    minutes = Whole(load_default=None, allow_none=True, validate=v.Range(0, MAX_MINUTES))
    reason = ma.fields.String(required=True, validate=v.Length(min=1, max=500))


# --- out ----------------------------------------------------------------------------------

class ReviewOut(ma.Schema):
    decision = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    reviewer_name = Text(lambda r: r.reviewer.name if r.reviewer else None, nullable=True)
    decided_at = LocalDateTime()


class EntryOut(ma.Schema):
    """One ledger entry as its volunteer sees it; dumps an HourEntry."""

    id = ma.fields.Integer()
    activity_id = Id()
    activity_title = Text(lambda e: e.activity.title)
    kind = ma.fields.String()
    kind_label = Text(lambda e: label(KIND, e.kind))
    status = ma.fields.String()
    status_label = Text(lambda e: label(STATUS, e.status))
    minutes = ma.fields.Integer()
    hours = Text(lambda e: hours_text(e.minutes))
    served_from = LocalDateTime(allow_none=True)
    served_to = LocalDateTime(allow_none=True)
    sources = ma.fields.List(ma.fields.String())
    flags = ma.fields.List(ma.fields.String())
    flag_labels = Computed(lambda e: [label(FLAG, f) for f in e.flags or []], "array",
                           items={"type": "string"})
    evidence = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    reverses_id = Id(allow_none=True)
    replaces_id = Id(allow_none=True)
    created_by_name = Text(lambda e: e.created_by.name if e.created_by else None, nullable=True)
    created_at = LocalDateTime()
    review = ma.fields.Nested(ReviewOut, allow_none=True)


class CorrectionOut(ma.Schema):
    id = ma.fields.Integer()
    entry_id = Id()
    message = ma.fields.String()
    created_at = LocalDateTime()
    answer = ma.fields.String(allow_none=True)
    answer_label = Text(lambda c: label(ANSWER, c.answer))
    answer_reason = ma.fields.String(allow_none=True)
    answered_at = LocalDateTime(allow_none=True)
    new_entry_id = Id(allow_none=True)


@dataclass
class EntryView:
    entry: HourEntry
    history: list[HourEntry]
    corrections: list[CorrectionRequest]


class EntryDetailOut(EntryOut):
    """An entry with its whole story (oldest first) and my correction requests on it;
    dumps an EntryView."""

    history = ma.fields.List(ma.fields.Nested(EntryOut))
    corrections = ma.fields.List(ma.fields.Nested(CorrectionOut))

    @ma.pre_dump
    def _entry(self, view, **kwargs):
        return view.entry

    @ma.post_dump(pass_original=True)
    def _story(self, data, view, **kwargs):
        data["history"] = EntryOut(many=True).dump(view.history)
        data["corrections"] = CorrectionOut(many=True).dump(view.corrections)
        return data


class ActivityHoursOut(ma.Schema):
    activity_id = Id()
    title = ma.fields.String()
    starts_at = LocalDateTime()
    minutes = ma.fields.Integer()
    hours = Text(lambda r: hours_text(r.minutes))
    entry_id = Id(allow_none=True, metadata={
        "description": "The entry that counts now: GET /api/v1/me/hours/entries/{id} for "
                       "its review, POST /api/v1/me/hours/entries/{id}/corrections to "
                       "report an error in it."})


@dataclass
class SummaryView:
    summary: Summary
    corrections: list[CorrectionRequest]


class SummaryOut(ma.Schema):
    """Approved totals (all time and this year), star level, and what is still open;
    dumps a SummaryView."""

    total_minutes = ma.fields.Integer()
    total_hours = Text(lambda s: hours_text(s.total_minutes))
    year_minutes = ma.fields.Integer()
    year_hours = Text(lambda s: hours_text(s.year_minutes))
    stars = ma.fields.Integer()
    next_star_hours = ma.fields.Integer(allow_none=True)
    minutes_to_next = ma.fields.Integer(allow_none=True)
    by_activity = ma.fields.List(ma.fields.Nested(ActivityHoursOut))
    pending = ma.fields.List(ma.fields.Nested(EntryOut))
    rejected = ma.fields.List(ma.fields.Nested(EntryOut))
    corrections = ma.fields.List(ma.fields.Nested(CorrectionOut))

    @ma.pre_dump
    def _summary(self, view, **kwargs):
        return view.summary

    @ma.post_dump(pass_original=True)
    def _corrections(self, data, view, **kwargs):
        data["corrections"] = CorrectionOut(many=True).dump(view.corrections)
        return data


class QueueEntryOut(EntryOut):
    """An entry as a reviewer sees it: the volunteer's name and masked phone."""

    user_id = Id()
    volunteer_name = Text(lambda e: e.user.name)
    volunteer_phone = Text(lambda e: mask_phone(e.user.phone))


class QueueActivityOut(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    place = ma.fields.String()
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()


class QueueGroupOut(ma.Schema):
    activity = ma.fields.Nested(QueueActivityOut)
    due = ma.fields.Date(allow_none=True, metadata={
        "description": "the 10th working day after the activity (China's holidays and 调休); "
                       "null while that year's holidays are not known"})
    due_state = Text(lambda g: g.deadline.state, metadata={
        "enum": ["overdue", "soon", "unknown", ""],
        "description": "overdue | soon (2 working days or fewer left) | unknown | empty "
                       "(in time)"})
    entries = ma.fields.List(ma.fields.Nested(QueueEntryOut))


class OpenCorrectionOut(CorrectionOut):
    activity_id = Count(lambda c: c.entry.activity_id)

    activity_title = Text(lambda c: c.entry.activity.title)
    volunteer_name = Text(lambda c: c.entry.user.name)
    volunteer_phone = Text(lambda c: mask_phone(c.entry.user.phone))
    minutes = Count(lambda c: c.entry.minutes)


class QueuePageIn(ma.Schema):
    page = Whole(load_default=1, validate=v.Range(1, 100_000))
    per_page = Whole(load_default=PER_PAGE, validate=v.Range(1, 100))


class ReviewQueueOut(ma.Schema):
    groups = ma.fields.List(ma.fields.Nested(QueueGroupOut))
    total = ma.fields.Integer(metadata={"description": "activities with entries waiting"})
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    pages = ma.fields.Integer()
    corrections = ma.fields.List(ma.fields.Nested(OpenCorrectionOut), metadata={
        "description": "the oldest open correction requests (20): answering one brings the "
                       "next"})
    corrections_total = ma.fields.Integer(metadata={
        "description": "open correction requests waiting in all"})


class ApprovedCountOut(ma.Schema):
    approved = ma.fields.Integer()
    left = ma.fields.Integer(metadata={
        "description": "pending entries left for one-by-one review: 补录 claims and hours "
                       "the reviewer helped record"})


class MemberArgs(ma.Schema):
    member_id = Id(load_default=None, allow_none=True, metadata={
        "description": "one of your family members without a phone instead of yourself "
                       "(anyone else's: 404 member_not_found)"})
