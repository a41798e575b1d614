"""Reviewers' page endpoints (thin): the queue by activity, approve / reject / adjust one
entry (htmx swaps its row), approve a whole activity, and answer correction requests."""

from __future__ import annotations

import json
from datetime import date

import marshmallow as ma
from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import login_required

from server.activities.services import can_manage, get_activity
from server.core import clock
from server.core.errors import Forbidden, ValidationError, WusheError
from server.core.labels import join, sentences
from server.core.pages import is_htmx, load_args, load_form, me, problem
from server.hours import ledger, review, services
from server.hours.api import get_correction, is_reviewer
from server.hours.schemas import AdjustIn, AnswerIn, FileForIn, QueuePageIn, RejectIn
from server.hours.views import bp

# refusals shown on the row the reviewer acted on (already reviewed, own hours, no reason…)
ROW_ERRORS = (ma.ValidationError, WusheError)


@bp.app_template_global()
def bulk_approvable(group: review.QueueGroup) -> list:
    """What "approve all" would approve for me (the service's rule, not the page's)."""
    return review.bulk_approvable(group.entries, me(), group.helped)


@bp.app_template_global()
def helped_ids(entries, helped: dict | None = None) -> set[int]:
    """The entries whose hours the viewer filed, or forced, assisted or admitted the
    scans of (`helped`: what the queue already read for its group, else one look)."""
    user = me()
    if helped is None:
        helped = review.helpers_of(list(entries))
    return {i for i, ids in helped.items() if user.id in ids}


@bp.app_template_global()
def paper_entered_by(entry, names: list[str] | None = None) -> str:
    """"Paper sign-in sheet, entered by X" for an entry with ticks from paper, else ""
    (`names`: what the queue already read for its group, else one look)."""
    if names is None:
        names = review.paper_entered_by(entry) if "paper" in (entry.flags or []) else []
    if not names:
        return ""
    return _("Paper sign-in sheet, entered by %(names)s", names=join(names))


@bp.app_template_filter("day")
def day(value: date) -> str:
    return format_date(value, "medium")


@bp.route("/review/hours")
@login_required
def queue():
    """Pending hours I may review, by activity, soonest due first, a page of activities at a
    time; the oldest open correction requests, and how many wait in all."""
    user = me()
    args = load_args(QueuePageIn())
    found = review.queue(user, today=clock.today(), page=args["page"], per_page=args["per_page"])
    if not is_reviewer(user, found):
        raise Forbidden()
    corrections = services.open_corrections(user)
    return render_template("hours/review.html", queue=found, groups=found.groups,
                           corrections=corrections.rows,
                           corrections_total=corrections.total)


def _toast(response: Response, message: str) -> Response:
    # header values are latin-1: json.dumps escapes the Chinese
    response.headers["HX-Trigger"] = json.dumps({"wushe:toast": {"message": message}})
    return response


def _field_name(key: str) -> str:
    # the review forms' fields, as their labels read (every row of the queue has them)
    return {"minutes": _("Minutes"), "reason": _("Reason")}.get(key, key)


def _refusal(exc: Exception) -> tuple[str, int]:
    """The message for a refused action, each field's text named by its field (a row of
    the queue has several); rolls the attempt back. Chinese sentences run on without the
    spaces English puts between them."""
    message, fields, status = problem(exc)
    details = [_("%(field)s: %(problem)s", field=_field_name(key), problem=text)
               for key, texts in fields.items() for text in texts if text != message]
    return sentences([message, *details]), status


def _row(entry_id: int, *, done: str | None = None, error: str | None = None,
         replacement=None, status: int = 200):
    """htmx gets the entry's row again; a plain form post goes back to the queue."""
    if not is_htmx():
        flash(done or error, "success" if done else "warning")
        return redirect(url_for("hours_pages.queue"))
    body = render_template("hours/_review_entry.html", entry=review.get_entry(entry_id),
                           done=done, error=error, replacement=replacement)
    response = make_response(body, status)
    return _toast(response, done) if done else response


def _decide(entry_id: int, verb, done: str, schema: ma.Schema | None = None):
    user = me()  # the service decides who may review this entry
    try:
        data = load_form(schema) if schema is not None else {}
        result = verb(entry_id, reviewer=user, now=clock.now(), **data)
    except ROW_ERRORS as exc:
        if getattr(exc, "code", None) == "entry_not_found":
            raise
        error, status = _refusal(exc)
        return _row(entry_id, error=error, status=status)
    return _row(entry_id, done=done, replacement=result if result.id != entry_id else None)


@bp.route("/review/hours/<int:entry_id>/approve", methods=["POST"])
@login_required
def approve(entry_id: int):
    """Approve one entry."""
    return _decide(entry_id, review.approve, _("Approved"))


@bp.route("/review/hours/<int:entry_id>/reject", methods=["POST"])
@login_required
def reject(entry_id: int):
    """Reject one entry with a reason the volunteer reads."""
    return _decide(entry_id, review.reject, _("Rejected"), RejectIn())


@bp.route("/review/hours/<int:entry_id>/adjust", methods=["POST"])
@login_required
def adjust(entry_id: int):
    """Other minutes, with a reason: the entry is replaced, never edited."""
    return _decide(entry_id, review.adjust, _("Minutes adjusted"), AdjustIn())


@bp.route("/review/activities/<int:activity_id>/approve-all", methods=["POST"])
@login_required
def approve_all(activity_id: int):
    """Approve every pending attendance entry of one activity, except my own, 补录 claims
    and hours I helped record."""
    user = me()
    activity = get_activity(activity_id, viewer=user)
    before = review.pending_ids(activity)
    result = review.approve_activity(activity, reviewer=user, now=clock.now())
    done = sentences([
        ngettext("%(num)d entry approved.", "%(num)d entries approved.", result.approved),
        result.left and ngettext(
            "%(num)d needs a look of its own: retroactive hours (补录), or hours you "
            "helped record.",
            "%(num)d need a look of their own: retroactive hours (补录), or hours you "
            "helped record.",
            result.left)])
    if not is_htmx():
        flash(done, "success")
        return redirect(url_for("hours_pages.queue"))
    group = review.group(activity, before, today=clock.today())
    body = render_template("hours/_review_group.html", group=group, done=done)
    return _toast(make_response(body), done)


@bp.app_template_global()
def permissions_can_file_for(activity) -> bool:
    return can_manage(me(), activity)


@bp.route("/review/activities/<int:activity_id>/retroactive", methods=["GET", "POST"])
@login_required
def file_for(activity_id: int):
    """补录 for someone who took part (found by their full phone number)."""
    activity = get_activity(activity_id, viewer=me())
    if not can_manage(me(), activity):
        raise Forbidden()
    message, fields, status = None, {}, 200
    if request.method == "POST":
        try:
            data = load_form(FileForIn())
            entry = ledger.file_for(actor=me(), activity=activity, now=clock.now(), **data)
        except ROW_ERRORS as exc:
            message, fields, status = problem(exc)
        else:
            flash(_("Filed for %(name)s. Another reviewer decides it.", name=entry.user.name),
                  "success")
            return redirect(url_for("hours_pages.queue"))
    return render_template("hours/file_for.html", activity=activity, message=message,
                           errors=fields, values=request.form.to_dict()), status


@bp.route("/review/corrections/<int:correction_id>/answer", methods=["POST"])
@login_required
def answer_correction(correction_id: int):
    """Correct (new minutes) or decline a correction request, with a reason."""
    user = me()
    req = get_correction(correction_id)
    correct = request.form.get("action") == "correct"
    try:
        data = load_form(AnswerIn())
        if correct and data["minutes"] is None:
            raise ValidationError(errors={"minutes": ["required"]})
        services.answer_correction(req, reviewer=user, now=clock.now(), reason=data["reason"],
                                   minutes=data["minutes"] if correct else None)
    except ROW_ERRORS as exc:
        error, status = _refusal(exc)
        return _correction_row(correction_id, error=error, status=status)
    return _correction_row(correction_id, done=_("Corrected") if correct else _("Declined"))


def _correction_row(correction_id: int, *, done: str | None = None, error: str | None = None,
                    status: int = 200):
    if not is_htmx():
        flash(done or error, "success" if done else "warning")
        return redirect(url_for("hours_pages.queue") + "#corrections")
    body = render_template("hours/_correction_row.html", c=get_correction(correction_id),
                           done=done, error=error)
    response = make_response(body, status)
    return _toast(response, done) if done else response
