"""Staff page endpoints (thin): the activities I manage, the activity form,
publish / cancel / finish, and the roster."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from server.accounts import permissions
from server.accounts.errors import ResidentNotFound
from server.activities import errors, lottery, queries, services, signups
from server.activities.models import LIVE_SIGNUP, Activity, Programme
from server.activities.schemas import ActivityIn, ActivityPatch, ReasonIn
from server.activities.views import bp, render_detail
from server.communities.services import get_organisation, organisations_visible_to, subtree
from server.core import clock
from server.core.errors import Forbidden
from server.core.pages import FORM_ERRORS, load_form, me, problem
from server.extensions import db

LISTS = ("required_skills", "forces")
TIMES = ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at")
MANAGE_LIMIT = 200


def _staff():
    user = me()
    if not permissions.has_any_role(user):
        raise Forbidden()
    return user


@bp.route("/manage")
@login_required
def manage():
    """Activities I organise or oversee, newest first."""
    user = _staff()
    items = db.session.scalars(services.managed_query(user).limit(MANAGE_LIMIT)).all()
    can_create = any(services.can_create_for(user, o) for o in organisations_visible_to(user))
    return render_template("activities/manage.html", items=items, can_create=can_create)


def _choices(user, organisations) -> dict:
    """Organisations, the places under each, and their programmes, for the form's selects."""
    nodes, node_orgs = {}, {}
    for org in organisations:
        for node in subtree(org.node):
            nodes.setdefault(node.id, node)
            node_orgs.setdefault(node.id, []).append(org.id)
    programmes = db.session.scalars(select(Programme).where(
        Programme.organisation_id.in_([o.id for o in organisations])).order_by(
        Programme.name)).all() if organisations else []
    return {"organisations": organisations, "nodes": sorted(nodes.values(), key=lambda n: n.path),
            "node_orgs": node_orgs, "programmes": programmes}


def _values_from_form() -> dict:
    values = request.form.to_dict()
    for key in LISTS:
        values[key] = request.form.getlist(key)
    values["insurance_required"] = "insurance_required" in request.form
    return values


def _values_from(activity: Activity) -> dict:
    values = {k: getattr(activity, k) for k in (
        "organisation_id", "node_id", "programme_id", "kind", "title", "description", "place",
        "withdraw_cutoff_hours", "capacity", "min_age", "insurance_required",
        "contact_name", "signup_mode")}
    for key in TIMES:
        moment = getattr(activity, key)
        values[key] = clock.local(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""
    values["required_skills"] = list(activity.required_skills or [])
    values["forces"] = list(activity.forces or [])
    return values


def _form(activity, choices, values, *, message=None, fields=None, status=200):
    return render_template("activities/form.html", activity=activity, values=values,
                           message=message, errors=fields or {}, **choices), status


def _programme_only(activity: Activity, programmes):
    """A finished session's one change: which programme it belongs to (update_activity)."""
    if request.method == "GET":
        return render_template("activities/programme_only.html", activity=activity,
                               programmes=programmes, message=None, errors={})
    try:
        data = load_form(ActivityPatch(only=("programme_id",)))
        services.update_activity(activity, actor=me(), now=clock.now(), **data)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return render_template("activities/programme_only.html", activity=activity,
                               programmes=programmes, message=message, errors=fields), status
    flash(_("Changes saved."), "success")
    return redirect(url_for("activities_pages.detail", activity_id=activity.id))


@bp.route("/manage/new", methods=["GET", "POST"])
@login_required
def new():
    """Create an activity (saved as a draft)."""
    user = _staff()
    organisations = [o for o in organisations_visible_to(user)
                     if services.can_create_for(user, o) and o.active]
    if not organisations:
        raise Forbidden()
    choices = _choices(user, organisations)
    if request.method == "GET":
        values = {"withdraw_cutoff_hours": current_app.config["DEFAULT_WITHDRAW_CUTOFF_HOURS"],
                  "contact_name": user.name, "forces": [], "required_skills": [],
                  "organisation_id": organisations[0].id}
        return _form(None, choices, values)
    try:
        data = load_form(ActivityIn())
        organisation = get_organisation(data.pop("organisation_id"))
        activity = services.create_activity(actor=user, organisation=organisation,
                                            now=clock.now(), **data)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _form(None, choices, _values_from_form(), message=message, fields=fields,
                     status=status)
    flash(_("Saved as a draft. Publish it when it is ready."), "success")
    return redirect(url_for("activities_pages.detail", activity_id=activity.id))


def _managed(activity_id: int) -> Activity:
    activity = services.get_activity(activity_id, viewer=me())
    if not services.can_manage(me(), activity):
        raise Forbidden()
    return activity


@bp.route("/manage/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(activity_id: int):
    """Change an activity; people signed up are told if the time or place moves."""
    activity = _managed(activity_id)
    choices = _choices(me(), [activity.organisation])
    if activity.status == "finished" and choices["programmes"]:
        return _programme_only(activity, choices["programmes"])
    if activity.status in ("cancelled", "finished"):
        # nothing left to edit: say so on the activity page instead of a form that fails
        flash(services.closed_for_edits(activity).text(), "warn")
        return redirect(url_for("activities_pages.detail", activity_id=activity_id))
    if request.method == "GET":
        return _form(activity, choices, _values_from(activity))
    try:
        data = load_form(ActivityPatch())
        services.update_activity(activity, actor=me(), now=clock.now(), **data)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        activity = _managed(activity_id)
        return _form(activity, choices, _values_from_form(), message=message, fields=fields,
                     status=status)
    flash(_("Changes saved."), "success")
    return redirect(url_for("activities_pages.detail", activity_id=activity_id))


def _act(activity_id: int, verb, done: str, **kwargs):
    """Run one lifecycle service; a refusal is shown beside the staff buttons."""
    activity = _managed(activity_id)
    try:
        verb(activity, actor=me(), now=clock.now(), **kwargs)
    except FORM_ERRORS as exc:
        message, _fields, status = problem(exc)
        return render_detail(_managed(activity_id), status=status, action_error=message)
    flash(done, "success")
    return redirect(url_for("activities_pages.detail", activity_id=activity_id))


@bp.route("/manage/<int:activity_id>/publish", methods=["POST"])
@login_required
def publish(activity_id: int):
    """Open a draft for sign-up."""
    return _act(activity_id, services.publish, _("Published: people can sign up now."))


@bp.route("/manage/<int:activity_id>/cancel", methods=["POST"])
@login_required
def cancel(activity_id: int):
    """Cancel with a reason; everyone signed up is told."""
    try:
        reason = load_form(ReasonIn())["reason"]
    except FORM_ERRORS as exc:
        status = problem(exc)[2]
        return render_detail(_managed(activity_id), status=status,
                             action_error=_("Give a reason: the people signed up will read it."))
    return _act(activity_id, services.cancel,
                _("Cancelled. Everyone signed up has been told."), reason=reason)


@bp.route("/manage/<int:activity_id>/finish", methods=["POST"])
@login_required
def finish(activity_id: int):
    """Mark an activity that has started as finished."""
    return _act(activity_id, services.finish, _("Marked as finished."))


@bp.route("/manage/<int:activity_id>/draw", methods=["POST"])
@login_required
def draw(activity_id: int):
    """Draw the lottery now, after it closed (when the scheduler has not)."""
    return _act(activity_id, lambda activity, **kw: lottery.draw(activity.id, **kw),
                _("Drawn. Everyone who entered has been told the result."))


@bp.route("/manage/<int:activity_id>/roster")
@login_required
def roster(activity_id: int):
    """Who is signed up and who waits, in order; phones masked."""
    activity = services.get_activity(activity_id, viewer=me())
    if not services.can_oversee(me(), activity):
        raise Forbidden()
    return _roster_page(activity)


def _roster_page(activity, *, message=None, phone="", status=200):
    entries = queries.roster(activity, include_ended=activity.status == "cancelled")
    confirmed = [s for s in entries if s.status == "confirmed"]
    waiting = [s for s in entries if s.status == "waitlisted"]
    entered = [s for s in entries if s.status == "entered"]
    return render_template("activities/roster.html", activity=activity, confirmed=confirmed,
                           waiting=waiting, entered=entered, message=message,
                           phone=phone, can_manage=services.can_manage(me(), activity)), status


def _back_to_roster(activity, notice: str):
    flash(notice, "warning")
    return redirect(url_for("activities_pages.roster", activity_id=activity.id))


@bp.route("/manage/<int:activity_id>/roster/<int:signup_id>/remove", methods=["GET", "POST"])
@login_required
def remove_signup(activity_id: int, signup_id: int):
    """Take someone off the list, with a reason they are told (signups.remove)."""
    activity = _managed(activity_id)
    signup = signups.get_signup(signup_id)
    if signup is None or signup.activity_id != activity.id:
        raise errors.SignupNotFound()
    if signup.status not in LIVE_SIGNUP:  # a second tap: the first one did it
        return _back_to_roster(
            activity, errors.SignupAlreadyRemoved(name=signup.user.name).text())
    message, fields, status = None, {}, 200
    if signup.presence != "none":  # they came: the form would only be refused
        message, _f, status = problem(errors.SignupAttended())
    elif request.method == "POST":
        try:
            data = load_form(ReasonIn())
            signups.remove(signup, actor=me(), now=clock.now(), reason=data["reason"])
        except errors.SignupAlreadyRemoved as exc:  # two taps that crossed
            return _back_to_roster(activity, problem(exc)[0])
        except FORM_ERRORS as exc:
            message, fields, status = problem(exc)
        else:
            flash(_("%(name)s is off the list, and has been told why.", name=signup.user.name),
                  "success")
            return redirect(url_for("activities_pages.roster", activity_id=activity.id))
    return render_template("activities/remove_signup.html", activity=activity, signup=signup,
                           message=message, errors=fields or {}, status=status,
                           reason=request.form.get("reason", "")), status


@bp.route("/manage/<int:activity_id>/roster", methods=["POST"])
@login_required
def sign_up_on_behalf(activity_id: int):
    """Sign up a resident who is not on a phone, by their registered number."""
    phone = request.form.get("phone", "")[:20]
    try:
        made = signups.sign_up_for(activity_id, phone=phone, actor=me(), now=clock.now())
    except (*FORM_ERRORS, ResidentNotFound) as exc:
        message, _fields, status = problem(exc)
        activity = services.get_activity(activity_id, viewer=me())
        return _roster_page(activity, message=message, phone=phone, status=status)
    flash(_("%(name)s is signed up.", name=made.user.name) if made.status == "confirmed"
          else _("%(name)s is entered in the lottery.", name=made.user.name)
          if made.status == "entered"
          else _("%(name)s is on the waitlist.", name=made.user.name), "success")
    return redirect(url_for("activities_pages.roster", activity_id=activity_id))
