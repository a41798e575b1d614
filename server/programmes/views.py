"""Page endpoints (thin): programmes listed, one programme with its figures and
activities, and the form that creates or edits one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from server.communities.services import get_organisation
from server.core import clock
from server.core.errors import Forbidden
from server.core.numbers import page_arg
from server.core.pages import FORM_ERRORS, load_form, me, problem
from server.extensions import db
from server.programmes import services
from server.programmes.schemas import ProgrammeIn, ProgrammePatch

bp = Blueprint("programme_pages", __name__, url_prefix="/programmes")
PAGE_SIZE = 20
SHOWN = 20


@bp.route("")
def index():
    """Programmes and what each has done (public)."""
    page = db.paginate(services.listed(), page=page_arg(request.args.get("page")),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("programmes/index.html", page=page,
                           items=services.overviews(list(page.items), now=clock.now()),
                           can_create=bool(services.organisations_for(me())))


@bp.route("/<int:programme_id>")
def detail(programme_id: int):
    """One programme: what it is, its figures, its coming and past activities."""
    programme = services.get_programme(programme_id)
    now = clock.now()
    coming = db.session.scalars(services.activities_of(
        programme, viewer=me(), upcoming=True, now=now).limit(SHOWN)).all()
    past = db.session.scalars(services.activities_of(
        programme, viewer=me(), upcoming=False, now=now).limit(SHOWN)).all()
    return render_template("programmes/detail.html", o=services.overviews([programme],
                                                                           now=now)[0],
                           coming=coming, past=past,
                           can_manage=services.can_manage(me(), programme))


def _form(programme, organisations, values, *, message=None, fields=None, status=200):
    return render_template("programmes/form.html", programme=programme,
                           organisations=[(o.id, o.name) for o in organisations],
                           values=values, message=message, errors=fields or {}), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Create a programme for one of one's organisations."""
    organisations = services.organisations_for(me())
    if not organisations:
        raise Forbidden()
    if request.method == "GET":
        return _form(None, organisations, {"organisation_id": organisations[0].id})
    try:
        data = load_form(ProgrammeIn())
        organisation = get_organisation(data.pop("organisation_id"))
        programme = services.create_programme(actor=me(), organisation=organisation,
                                              now=clock.now(), **data)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _form(None, organisations, request.form.to_dict(), message=message,
                     fields=fields, status=status)
    flash(_("Programme created. Choose it when you create its activities."), "success")
    return redirect(url_for("programme_pages.detail", programme_id=programme.id))


@bp.route("/<int:programme_id>/edit", methods=["GET", "POST"])
@login_required
def edit(programme_id: int):
    """Rename a programme or change its description."""
    programme = services.get_programme(programme_id)
    if not services.can_manage(me(), programme):
        raise Forbidden()
    if request.method == "GET":
        return _form(programme, [], {"name": programme.name,
                                     "description": programme.description})
    try:
        data = load_form(ProgrammePatch())
        services.update_programme(programme, actor=me(), now=clock.now(), **data)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _form(services.get_programme(programme_id), [], request.form.to_dict(),
                     message=message, fields=fields, status=status)
    flash(_("Changes saved."), "success")
    return redirect(url_for("programme_pages.detail", programme_id=programme_id))
