"""Page endpoints (thin): 时长 (my hours and stars), one entry with its history and the
"report an error" form, and filing 补录. The review queue is in review_views.py."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select

from server.accounts import family
from server.accounts.models import User
from server.activities.models import Activity, Signup
from server.activities.services import get_activity
from server.activities.views import at, when
from server.core import clock
from server.core.numbers import id_arg
from server.core.pages import FORM_ERRORS, load_form, me, problem
from server.extensions import db
from server.hours import errors, ledger, review, schemas, services
from server.hours.api import is_reviewer
from server.hours.models import HourEntry
from server.hours.schemas import CorrectionIn, RetroactiveIn, hours_text

bp = Blueprint("hours_pages", __name__)
bp.add_app_template_global(schemas, "hours_labels")  # FLAG, SOURCE, KIND, STATUS, ANSWER
CHOICES_LIMIT = 60


@bp.app_template_filter("hours")
def hours_filter(minutes: int | None) -> str:
    """Minutes as hours with one decimal: 90 -> "1.5"."""
    return hours_text(minutes)


@bp.app_template_filter("span")
def span(entry: HourEntry) -> str:
    """The time served in Beijing time, e.g. "11月28日 周五 09:02–10:58"."""
    if entry.served_from is None or entry.served_to is None:
        return ""
    start, end = clock.local(entry.served_from), clock.local(entry.served_to)
    if start.date() == end.date():
        return f"{at(entry.served_from)}–{end:%H:%M}"
    return f"{at(entry.served_from)} – {at(entry.served_to)}"


def member_arg() -> int | None:
    """?member=<id>: one of my family members instead of myself (accounts.family)."""
    return id_arg(request.args.get("member"))


@bp.route("/hours")
@login_required
def mine():
    """My approved hours, star level, what is pending or rejected, and my corrections; a
    tab for each family member I manage, with theirs."""
    person = family.acting_for(me(), member_arg())
    summary = services.summary(person, now=clock.now())
    return render_template("hours/mine.html", s=summary, person=person,
                           member=person.id if person.id != me().id else None,
                           members=family.members_of(me()),
                           star_count=len(current_app.config["STAR_THRESHOLDS_HOURS"]),
                           corrections=services.corrections_of(person),
                           reviewer=is_reviewer(me()))


def _visible_entry(entry_id: int, user: User) -> HourEntry:
    """My own entry (or my family member's), or one I may review; anything else is "not
    found"."""
    entry = review.get_entry(entry_id)
    if (not services.speaks_for(user, entry.user_id)
            and not review.can_review(user, entry.activity)):
        raise errors.EntryNotFound()
    return entry


def _entry_page(entry_id: int, *, message=None, fields=None, values=None, status=200):
    user = me()
    entry = _visible_entry(entry_id, user)
    history = services.history(entry)
    corrections = [c for c in services.corrections_of(entry.user)
                   if c.entry_id in {e.id for e in history}]
    return render_template(
        "hours/entry.html", entry=entry, history=history, corrections=corrections,
        own=entry.user_id == user.id,
        can_report=services.can_request_correction(entry, user),
        message=message, errors=fields or {}, values=values or {}), status


@bp.route("/hours/entries/<int:entry_id>")
@login_required
def entry(entry_id: int):
    """One entry: its review, flags and full history, and a way to report an error."""
    return _entry_page(entry_id)


@bp.route("/hours/entries/<int:entry_id>/corrections", methods=["POST"])
@login_required
def request_correction(entry_id: int):
    """Report an error in one of my entries."""
    found = _visible_entry(entry_id, me())
    try:
        data = load_form(CorrectionIn())
        services.request_correction(found, user=me(), message=data["message"],
                                    now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _entry_page(entry_id, message=message, fields=fields,
                           values=request.form.to_dict(), status=status)
    flash(_("Sent. The organiser will check it and answer here."), "success")
    return redirect(url_for("hours_pages.entry", entry_id=entry_id))


def past_activities(user: User, now: datetime) -> list[Activity]:
    """Activities I held a place in that are over and have no live hours of mine yet."""
    rows = db.session.scalars(
        select(Activity).join(Signup, Signup.activity_id == Activity.id)
        .where(Signup.user_id == user.id, Signup.status == "confirmed",
               Activity.status.in_(("published", "finished")),
               or_(Activity.status == "finished", Activity.ends_at <= now))
        .order_by(Activity.starts_at.desc()).limit(CHOICES_LIMIT)).unique().all()
    return [a for a in rows if not ledger.recorded(user.id, a.id)]


def _retro_form(*, values=None, message=None, fields=None, status=200):
    choices = [(a.id, f"{a.title} · {when(a)}") for a in past_activities(me(), clock.now())]
    return render_template("hours/retroactive.html", choices=choices, values=values or {},
                           message=message, errors=fields or {}), status


@bp.route("/hours/retroactive", methods=["GET", "POST"])
@login_required
def retroactive():
    """补录: file hours for an activity I took part in that has no record of them."""
    if request.method == "GET":
        return _retro_form(values={"activity_id": request.args.get("activity_id", "")})
    try:
        data = load_form(RetroactiveIn())
        activity = get_activity(data["activity_id"], viewer=me())
        ledger.file_retroactive(actor=me(), activity=activity, user=me(),
                                minutes=data["minutes"], evidence=data["evidence"],
                                now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _retro_form(values=request.form.to_dict(), message=message, fields=fields,
                           status=status)
    flash(_("Filed. A reviewer will check it before it counts."), "success")
    return redirect(url_for("hours_pages.mine"))


# The reviewers' pages register their routes on `bp` when imported.
from server.hours import review_views  # noqa: E402,F401
