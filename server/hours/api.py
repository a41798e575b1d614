"""/api/v1 hours: my summary, entries, corrections and 补录; the reviewers' queue and decisions."""

from __future__ import annotations

from flask_login import login_required

from server.accounts import permissions
from server.accounts.family import acting_for
from server.accounts.models import User
from server.activities.services import get_activity
from server.core import clock
from server.core.api import Blueprint
from server.core.errors import Forbidden
from server.core.pages import me
from server.extensions import db
from server.hours import errors, ledger, review, services
from server.hours.models import CorrectionRequest, HourEntry
from server.hours.schemas import (
    AdjustIn,
    AnswerIn,
    ApprovedCountOut,
    CorrectionIn,
    CorrectionOut,
    EntryDetailOut,
    EntryOut,
    EntryView,
    FileForIn,
    MemberArgs,
    QueuePageIn,
    RejectIn,
    RetroactiveIn,
    ReviewQueueOut,
    SummaryOut,
    SummaryView,
)

my_hours = Blueprint("my_hours", __name__, url_prefix="/api/v1/me/hours",
                     description="The logged-in volunteer's hours, stars and corrections.")
reviewing = Blueprint("hours_review", __name__, url_prefix="/api/v1/hours",
                      description="Reviewing hours: the queue, approve, reject, adjust.")
blueprints = [my_hours, reviewing]
reviewing.before_request(permissions.gate(refuse=errors.NotReviewer))


def is_reviewer(user: User, queue: review.QueuePage | None = None) -> bool:
    """Who may open the review queue: anyone with something in it, or any staff role."""
    return permissions.has_any_role(user) or bool(
        (review.queue(user, today=clock.today()) if queue is None else queue).total)


def my_entry(entry_id: int) -> HourEntry:
    """One of my own entries (or my family member's); anyone else's is "not found", never
    "forbidden"."""
    entry = review.get_entry(entry_id)
    if not services.speaks_for(me(), entry.user_id):
        raise errors.EntryNotFound()
    return entry


def get_correction(correction_id: int) -> CorrectionRequest:
    req = db.session.get(CorrectionRequest, correction_id)
    if req is None:
        raise errors.CorrectionNotFound()
    return req


# --- mine ----------------------------------------------------------------------------------

@my_hours.route("", methods=["GET"])
@login_required
@my_hours.arguments(MemberArgs, location="query")
@my_hours.response(200, SummaryOut)
def summary(args):
    """Approved hours in total and this year, by activity; star level; pending and rejected
    (mine, or my family member's with `member_id`)."""
    person = acting_for(me(), args["member_id"])
    return SummaryView(services.summary(person, now=clock.now()),
                       services.corrections_of(person))


@my_hours.route("/entries/<int:entry_id>", methods=["GET"])
@login_required
@my_hours.response(200, EntryDetailOut)
def entry(entry_id):
    """One of my entries (or my family member's) with its review, its full history and
    the correction requests."""
    found = my_entry(entry_id)
    return EntryView(found, services.history(found),
                     [c for c in services.corrections_of(found.user) if c.entry_id == found.id])


@my_hours.route("/entries/<int:entry_id>/corrections", methods=["POST"])
@login_required
@my_hours.arguments(CorrectionIn)
@my_hours.response(201, CorrectionOut)
def request_correction(data, entry_id):
    """Report an error in one of my entries; the organising body must answer."""
    return services.request_correction(my_entry(entry_id), user=me(), message=data["message"],
                                       now=clock.now())


@my_hours.route("/retroactive", methods=["POST"])
@login_required
@my_hours.arguments(RetroactiveIn)
@my_hours.response(201, EntryOut)
def file_retroactive(data):
    """补录: file my hours for an activity that took place; capped and always reviewed."""
    activity = get_activity(data["activity_id"], viewer=me())
    return ledger.file_retroactive(actor=me(), activity=activity, user=me(),
                                   minutes=data["minutes"], evidence=data["evidence"],
                                   now=clock.now())


# --- reviewing -----------------------------------------------------------------------------

@reviewing.route("/review", methods=["GET"])
@login_required
@reviewing.arguments(QueuePageIn, location="query")
@reviewing.response(200, ReviewQueueOut)
def queue(args):
    """Pending entries I may review, by activity, soonest due first, a page of activities at
    a time (`total` counts the activities); the oldest open correction requests
    (`corrections_total` counts them all)."""
    found = review.queue(me(), today=clock.today(), page=args["page"],
                         per_page=args["per_page"])
    if not is_reviewer(me(), found):
        raise Forbidden()
    corrections = services.open_corrections(me())
    return {"groups": found.groups, "total": found.total, "page": found.page,
            "per_page": found.per_page, "pages": found.pages,
            "corrections": corrections.rows, "corrections_total": corrections.total}


@reviewing.route("/entries/<int:entry_id>/approve", methods=["POST"])
@login_required
@reviewing.response(200, EntryOut)
def approve(entry_id):
    """Approve one pending entry (never one's own)."""
    return review.approve(entry_id, reviewer=me(), now=clock.now())


@reviewing.route("/entries/<int:entry_id>/reject", methods=["POST"])
@login_required
@reviewing.arguments(RejectIn)
@reviewing.response(200, EntryOut)
def reject(data, entry_id):
    """Reject one pending entry with a reason the volunteer reads."""
    return review.reject(entry_id, reviewer=me(), reason=data["reason"], now=clock.now())


@reviewing.route("/entries/<int:entry_id>/adjust", methods=["POST"])
@login_required
@reviewing.arguments(AdjustIn)
@reviewing.response(200, EntryOut)
def adjust(data, entry_id):
    """Other minutes with a reason: reverses the entry (if approved) and adds the replacement."""
    return review.adjust(entry_id, reviewer=me(), minutes=data["minutes"],
                         reason=data["reason"], now=clock.now())


@reviewing.route("/activities/<int:activity_id>/approve-all", methods=["POST"])
@login_required
@reviewing.response(200, ApprovedCountOut)
def approve_all(activity_id):
    """Approve every pending entry of one activity, except the reviewer's own."""
    activity = get_activity(activity_id, viewer=me())
    return review.approve_activity(activity, reviewer=me(), now=clock.now())


@reviewing.route("/activities/<int:activity_id>/retroactive", methods=["POST"])
@login_required
@reviewing.arguments(FileForIn)
@reviewing.response(201, EntryOut)
def file_for(data, activity_id):
    """补录 by the organising body for a person named by their full phone number; marked as
    filed by the organiser, never approved with "approve all", nor by whoever filed it."""
    activity = get_activity(activity_id, viewer=me())
    return ledger.file_for(actor=me(), activity=activity, phone=data["phone"],
                           minutes=data["minutes"], evidence=data["evidence"],
                           now=clock.now())


@reviewing.route("/corrections/<int:correction_id>/answer", methods=["POST"])
@login_required
@reviewing.arguments(AnswerIn)
@reviewing.response(200, CorrectionOut)
def answer_correction(data, correction_id):
    """Answer a correction request: new minutes corrects it, no minutes declines it."""
    return services.answer_correction(get_correction(correction_id), reviewer=me(),
                                      now=clock.now(), reason=data["reason"],
                                      minutes=data["minutes"])
